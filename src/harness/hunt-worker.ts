// A worker of parallel hunts: it waits for a part of a hunt to search, counts
// its runs where the main thread can read them, and posts what it found
// (reduced by the main thread, once). It then waits for the next part: the
// main thread keeps its workers for the next hunt (parallel.ts).
import { parentPort } from "node:worker_threads";
import type { AnyModel } from "../kernel/model.ts";
import type { HuntOptions } from "./hunt.ts";
import { search } from "./hunt.ts";
import { loadModelFile } from "./model-file.ts";

/** A part of a hunt, as the main thread posts it. */
export interface WorkerJob {
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
}

async function modelOf(job: WorkerJob): Promise<AnyModel> {
  const finder = job.builtins === undefined ? undefined : ((await import(job.builtins)) as { findModel: (name: string) => AnyModel | undefined }).findModel;
  const model = job.modelFile !== undefined ? await loadModelFile(job.modelFile, job.modelName) : finder?.(job.modelName);
  if (model === undefined) throw new Error(`a parallel hunt's worker cannot find model '${job.modelName}': give the model file, or the module of built-in models`);
  return model;
}

async function run(job: WorkerJob): Promise<void> {
  const { counters, slot, limitSlot } = job;
  const result = search({
    ...job.opts,
    model: await modelOf(job),
    onProgress: (runs) => parentPort!.postMessage({ progress: runs }),
    onRun: (runs, actions) => {
      counters[2 * slot] = runs;
      counters[2 * slot + 1] = actions;
    },
    onFound: (property, runs) => parentPort!.postMessage({ foundAt: { property, runs } }),
    runLimit: () => counters[limitSlot]!,
  });
  parentPort!.postMessage({ result });
}

parentPort!.on("message", (job: WorkerJob) => {
  run(job).catch((err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }));
});
