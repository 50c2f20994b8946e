// Parallel hunting: N worker threads search disjoint parts of the hunt
// (disjoint seed streams, or disjoint workloads for exhaustive search).
// Their runs are taken as interleaved (worker w's k-th run is the hunt's run
// k*N + w), and the failure found earliest in that order wins, whichever
// worker saw its failure first: once one finds a failure at its k-th run,
// the others go on only to their k-th, so the same hunt keeps the same
// failure every time. The winner is reduced once, here; the file records
// the hunt's seed and the winning part, and `--seed S --shard I/N` repeats
// that part's search alone.
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { HuntOptions, HuntResult, SearchResult, Shard } from "./hunt.ts";
import type { WorkerJob } from "./hunt-worker.ts";
import { pack } from "./hunt.ts";

/**
 * The part of a hunt worker `w` of `workers` searches, within the part
 * `base` this process was given: part base.index + base.count * w of
 * base.count * workers, so that a shard's workers split exactly that shard.
 */
export function workerShard(base: Shard, w: number, workers: number): Shard {
  return { index: base.index + base.count * w, count: base.count * workers };
}

/**
 * Where a parallel hunt's workers find the model, which cannot be handed to
 * a thread: a model file of one's own, loaded in each worker, or a module
 * whose findModel() knows it by name (BUILTIN_MODELS_MODULE for the built-in ones).
 */
export interface ParallelOptions {
  modelFile?: string;
  builtins?: string;
  /** How often the runs counted so far are passed to opts.onRun. */
  pollMs?: number;
}

/**
 * Workers kept between hunts. A worker takes about half a second to start
 * (TypeScript and the whole harness loaded in a fresh thread), as long as a
 * short hunt: a command hunting every variant of a model starts them once.
 * An idle worker does not keep the process alive.
 */
const idle: Worker[] = [];
let everStarted = 0;

/** How many hunt workers this process has started so far, and how many it keeps idle now. */
export function workersStarted(): number {
  return everStarted;
}
export function workersKept(): number {
  return idle.length;
}

function takeWorker(): Worker {
  const kept = idle.pop();
  if (kept !== undefined) {
    kept.ref();
    return kept;
  }
  everStarted++;
  // The worker is TypeScript: its entry registers tsx in the thread, then loads it.
  const w = new Worker(new URL("./hunt-worker.mjs", import.meta.url), {
    // Runs allocate a lot and die young: a larger young generation means fewer scavenges competing for the cores.
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
  // One that ends or fails while idle is no longer kept (a hunt under way has listeners of its own).
  const drop = () => {
    const i = idle.indexOf(w);
    if (i >= 0) idle.splice(i, 1);
  };
  w.on("exit", drop).on("error", () => {
    drop();
    void w.terminate();
  });
  return w;
}

/** Keeps a worker that finished its part for the next hunt: as many as the hunt had, or one per core if more. */
function giveBack(w: Worker, keep: number): void {
  if (idle.length >= keep) {
    void w.terminate();
    return;
  }
  w.unref();
  idle.push(w);
}

export async function huntParallel(opts: HuntOptions, workers: number, po: ParallelOptions = {}): Promise<HuntResult> {
  const started = performance.now();
  const base: Shard = opts.shard ?? { index: 0, count: 1 };
  // Functions cannot be handed to a thread: the callbacks are served here, the portfolio's own (onEnd) has no place in a worker's hunt,
  // and the workers keep their run limit in `counters`.
  const { model, onProgress, onRun, onFound, onEnd: _onEnd, runLimit: _runLimit, ...plain } = opts;
  const modelFile = po.modelFile === undefined ? undefined : path.resolve(po.modelFile);
  // Each worker counts its runs and actions here after every run, so a stopped worker's work still counts;
  // the last slot is the run limit: the fewest runs after which a worker found a failure.
  const counters = new Float64Array(new SharedArrayBuffer(8 * (2 * workers + 1)));
  const limitSlot = 2 * workers;
  counters[limitSlot] = Infinity;
  const results: (SearchResult | undefined)[] = new Array(workers).fill(undefined);
  let winner: number | undefined;
  const pool = Array.from({ length: workers }, () => takeWorker());
  const total = (k: 0 | 1) => Array.from({ length: workers }, (_, i) => counters[2 * i + k]!).reduce((a, b) => a + b, 0);
  // The main thread is idle meanwhile: it reads the workers' counters for whoever watches the hunt.
  const poll = onRun === undefined ? undefined : setInterval(() => onRun(total(0), total(1)), po.pollMs ?? 100);
  await new Promise<void>((resolve, reject) => {
    let open = workers;
    let failed = false;
    /** This hunt's listeners on each worker, taken off when it ends. */
    const detach: (() => void)[] = [];
    // When one worker fails, none of the hunt's workers is kept: the others may still be searching.
    const fail = (w: number, why: string) => {
      if (failed) return;
      failed = true;
      for (const off of detach) off();
      for (const p of pool) void p.terminate();
      reject(new Error(`hunt worker ${w + 1} of ${workers} ${why}`));
    };
    pool.forEach((worker, w) => {
      const onMessage = (msg: { progress?: number; foundAt?: { runs: number; property: string }; result?: SearchResult; error?: string }) => {
        if (msg.progress !== undefined) {
          onProgress?.(total(0));
          return;
        }
        if (msg.foundAt !== undefined) {
          if (counters[limitSlot] === Infinity) onFound?.(msg.foundAt.property, total(0));
          counters[limitSlot] = Math.min(counters[limitSlot]!, msg.foundAt.runs);
          return;
        }
        if (msg.error !== undefined) return fail(w, `failed: ${msg.error}`);
        results[w] = msg.result;
        if (--open === 0 && !failed) {
          for (const off of detach) off();
          for (const p of pool) giveBack(p, Math.max(workers, os.availableParallelism()));
          resolve();
        }
      };
      const onError = (err: Error) => fail(w, `failed: ${err.message}`);
      const onExit = () => fail(w, "stopped without a result");
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
      detach.push(() => worker.off("message", onMessage).off("error", onError).off("exit", onExit));
    });
    for (let w = 0; w < workers && !failed; w++) {
      const job: WorkerJob = { modelName: model.name, modelFile, builtins: po.builtins, opts: { ...plain, shard: workerShard(base, w, workers) }, counters, slot: w, limitSlot };
      try {
        pool[w]!.postMessage(job);
      } catch (err) {
        // An option that cannot be handed to a thread: no worker is left waiting for its part.
        fail(w, `cannot be given its part: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }).finally(() => clearInterval(poll));
  let runs = 0;
  let actions = 0;
  for (let w = 0; w < workers; w++) {
    runs += counters[2 * w]!;
    actions += counters[2 * w + 1]!;
  }
  // The failure earliest in the interleaved order of runs: the same whichever worker was quicker.
  const order = (w: number) => (results[w]!.runs - 1) * workers + w;
  for (let w = 0; w < workers; w++) if (results[w]?.found !== undefined && (winner === undefined || order(w) < order(winner))) winner = w;
  if (winner === undefined) {
    const exhausted = results.every((r) => r?.exhausted === true);
    const sum = (key: string) => results.reduce((n, r) => n + Number(r?.report?.[key] ?? 0), 0);
    const report = results[0]?.report === undefined ? undefined : { ...results[0].report, schedules: sum("schedules"), slept: sum("slept"), workloads: opts.workloads ?? 20, complete: exhausted };
    const endedEarly: Record<string, number> = {};
    for (const r of results) for (const [q, k] of Object.entries(r?.endedEarly ?? {})) endedEarly[q] = (endedEarly[q] ?? 0) + k;
    const cap = results[0]?.capped?.cap;
    const capped = cap === undefined ? undefined : { runs: results.reduce((n, r) => n + (r?.capped?.runs ?? 0), 0), cap };
    return { runs, actions, elapsedMs: performance.now() - started, exhausted, report, endedEarly, capped };
  }
  const won = results[winner]!;
  const f = won.found!;
  const counterexample = pack({ ...opts, strategy: won.foundBy ?? opts.strategy }, f, won.runs, won.shard);
  // Runs up to the failure, in the interleaved order: the same every time, as the failure is.
  return { runs: order(winner) + 1, actions, msToFailure: won.msToFailure, elapsedMs: performance.now() - started, counterexample, report: won.report, shard: won.shard };
}
