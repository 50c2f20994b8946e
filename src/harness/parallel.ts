// Parallel hunting: N worker threads search disjoint shards of the hunt
// (disjoint seed streams, or disjoint workloads for exhaustive search). The
// first failure reported wins; the others are stopped, and the winner is
// reduced once, here. Which worker wins first depends on timing: the file
// records that worker's seed, and a hunt with that seed (one worker) repeats
// its search.
import { Worker } from "node:worker_threads";
import type { HuntOptions, HuntResult, SearchResult, Shard } from "./hunt.ts";
import { pack } from "./hunt.ts";

export async function huntParallel(opts: HuntOptions, workers: number, onProgress?: (runs: number) => void): Promise<HuntResult> {
  const started = performance.now();
  const base: Shard = opts.shard ?? { index: 0, count: 1 };
  const { model, onProgress: _p, ...plain } = opts;
  const progress = new Array<number>(workers).fill(0);
  const results: (SearchResult | undefined)[] = new Array(workers).fill(undefined);
  let winner: number | undefined;
  const pool = Array.from({ length: workers }, (_, w) => {
    const shard = { index: base.index * workers + w, count: base.count * workers };
    // The worker is TypeScript: its entry registers tsx in the thread, then loads it.
    return new Worker(new URL("./hunt-worker.mjs", import.meta.url), {
      workerData: { modelName: model.name, opts: { ...plain, shard } },
      // Runs allocate a lot and die young: a larger young generation means fewer scavenges competing for the cores.
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
  });
  await new Promise<void>((resolve, reject) => {
    let open = workers;
    pool.forEach((worker, w) => {
      worker.on("message", (msg: { progress?: number; result?: SearchResult }) => {
        if (msg.progress !== undefined) {
          progress[w] = msg.progress;
          onProgress?.(progress.reduce((a, b) => a + b, 0));
          return;
        }
        results[w] = msg.result;
        if (msg.result?.found !== undefined && winner === undefined) {
          winner = w;
          for (const other of pool) if (other !== worker) void other.terminate();
          resolve();
        }
      });
      worker.on("error", reject);
      worker.on("exit", () => {
        if (--open === 0) resolve();
      });
    });
  });
  const runs = results.reduce((sum, r, w) => sum + (r?.runs ?? progress[w]!), 0);
  const actions = results.reduce((sum, r) => sum + (r?.actions ?? 0), 0);
  const elapsedMs = performance.now() - started;
  if (winner === undefined) {
    const exhausted = results.every((r) => r?.exhausted === true);
    const schedules = results.reduce((sum, r) => sum + Number(r?.report?.schedules ?? 0), 0);
    const report = results[0]?.report === undefined ? undefined : { ...results[0].report, schedules, workloads: opts.workloads ?? 20 };
    return { runs, actions, elapsedMs, exhausted, report, seed: opts.seed };
  }
  const won = results[winner]!;
  const f = won.found!;
  const counterexample = pack(opts, f.workload, f.schedule, f.property, opts.strategy ?? "fast-check", won.seed, won.runs);
  return { runs, actions, msToFailure: won.msToFailure, elapsedMs: performance.now() - started, counterexample, seed: won.seed, report: won.report };
}
