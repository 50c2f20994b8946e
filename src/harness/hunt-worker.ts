// One worker of a parallel hunt: searches its part, counts its runs where
// the main thread can read them, and posts what it found (reduced by the
// main thread, once).
import { parentPort, workerData } from "node:worker_threads";
import type { AnyModel } from "../kernel/model.ts";
import type { HuntOptions } from "./hunt.ts";
import { search } from "./hunt.ts";
import { loadModelFile } from "./model-file.ts";

const { modelName, modelFile, builtins, opts, counters, slot, limitSlot } = workerData as {
  modelName: string;
  /** A model file of one's own, as an absolute path. */
  modelFile?: string;
  /** Else a module whose findModel() knows the model by name (the built-in models'), as the caller gave it. */
  builtins?: string;
  opts: Omit<HuntOptions, "model" | "onProgress" | "onRun" | "onFound">;
  counters: Float64Array;
  slot: number;
  /** Where the main thread keeps the run limit: no run past it can win. */
  limitSlot: number;
};
const finder = builtins === undefined ? undefined : ((await import(builtins)) as { findModel: (name: string) => AnyModel | undefined }).findModel;
const model = modelFile !== undefined ? await loadModelFile(modelFile, modelName) : finder?.(modelName);
if (model === undefined) throw new Error(`a parallel hunt's worker cannot find model '${modelName}': give the model file, or the module of built-in models`);
const result = search({
  ...opts,
  model,
  onProgress: (runs) => parentPort!.postMessage({ progress: runs }),
  onRun: (runs, actions) => {
    counters[2 * slot] = runs;
    counters[2 * slot + 1] = actions;
  },
  onFound: (property, runs) => parentPort!.postMessage({ foundAt: { property, runs } }),
  runLimit: () => counters[limitSlot]!,
});
parentPort!.postMessage({ result });
