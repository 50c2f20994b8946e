// One worker of a parallel hunt: searches its part, counts its runs where
// the main thread can read them, and posts what it found (reduced by the
// main thread, once).
import { parentPort, workerData } from "node:worker_threads";
import { findModel } from "../models/index.ts";
import type { HuntOptions } from "./hunt.ts";
import { search } from "./hunt.ts";

const { modelName, opts, counters, slot } = workerData as { modelName: string; opts: Omit<HuntOptions, "model" | "onProgress" | "onRun">; counters: Float64Array; slot: number };
const model = findModel(modelName);
if (model === undefined) throw new Error(`no built-in model '${modelName}': parallel hunts run the built-in models`);
const result = search({
  ...opts,
  model,
  onProgress: (runs) => parentPort!.postMessage({ progress: runs }),
  onRun: (runs, actions) => {
    counters[2 * slot] = runs;
    counters[2 * slot + 1] = actions;
  },
});
parentPort!.postMessage({ result });
