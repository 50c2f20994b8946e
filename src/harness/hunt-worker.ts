// One worker of a parallel hunt: searches its part, counts its runs where
// the main thread can read them, and posts what it found (reduced by the
// main thread, once).
import { parentPort, workerData } from "node:worker_threads";
import { findModel } from "../models/index.ts";
import type { HuntOptions } from "./hunt.ts";
import { search } from "./hunt.ts";
import { loadModelFile } from "./model-file.ts";

const { modelName, modelFile, opts, counters, slot } = workerData as {
  modelName: string;
  /** A model file of one's own, as an absolute path; else the model is a built-in one. */
  modelFile?: string;
  opts: Omit<HuntOptions, "model" | "onProgress" | "onRun" | "onFound">;
  counters: Float64Array;
  slot: number;
};
const model = modelFile === undefined ? findModel(modelName) : await loadModelFile(modelFile, modelName);
if (model === undefined) throw new Error(`no built-in model '${modelName}'`);
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
