// One worker of a parallel hunt: searches its shard, reports progress, and
// posts what it found (unshrunk by us: the main thread packs the winner).
import { parentPort, workerData } from "node:worker_threads";
import { findModel } from "../models/index.ts";
import type { HuntOptions } from "./hunt.ts";
import { search } from "./hunt.ts";

const { modelName, opts } = workerData as { modelName: string; opts: Omit<HuntOptions, "model" | "onProgress"> };
const model = findModel(modelName);
if (model === undefined) throw new Error(`worker: no model '${modelName}'`);
const result = search({ ...opts, model, onProgress: (runs) => parentPort!.postMessage({ progress: runs }) });
parentPort!.postMessage({ result });
