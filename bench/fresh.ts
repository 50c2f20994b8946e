// The figures a user's own command would see, measured in a process of their
// own (bench.ts runs this as a child): two workers against one thread, four
// CPUs (five and three times, the median reported, as both move from one
// measurement to the next), and the peer's speed beside ours on one fixed
// workload. The bench's
// process has run every strategy on every model by then, and its compiled
// code is slower for it than a command that hunts one model. Prints one line
// of JSON.
//   npx tsx bench/fresh.ts [--quick]
import { parseArgs } from "node:util";
import { hunt } from "../src/harness/hunt.ts";
import { huntParallel } from "../src/harness/parallel.ts";
import { variantConfig } from "../src/kernel/model.ts";
import type { AnyModel } from "../src/kernel/model.ts";
import { BUILTIN_MODELS_MODULE, findModel } from "../src/models/index.ts";
import fc from "fast-check";
import { floorEventsPerSecond } from "./floor.ts";
import { middleBy } from "./middle.ts";
import { FIXED_WORKLOAD, peerSpeed } from "./peer-fc-scheduler.ts";

const { values } = parseArgs({ options: { quick: { type: "boolean" } } });
const quick = values.quick === true;
const mempool = findModel("mempool")!;

// Parallel hunting: one thread, then two workers, each warmed by a first hunt (a command hunting several variants starts its workers once).
const runs = quick ? 8000 : 40000;
const irqPreempt = { model: mempool, variant: "irq-preempt-lock", config: variantConfig(mempool, "irq-preempt-lock"), runs, seed: 1 };
hunt({ ...irqPreempt, runs: 5000, seed: 99 });
const started = performance.now();
await huntParallel({ ...irqPreempt, runs: 5000, seed: 99 }, 2, { builtins: BUILTIN_MODELS_MODULE });
const workerStartMs = performance.now() - started;
// Five pairs (one on --quick), one thread then two workers: the speed-up moves from pair to pair (a pair in which the
// machine stalls one side gives x1.1 or x2.1), so the median pair is reported.
const rates: { oneThreadRunsPerSec: number; twoWorkersRunsPerSec: number }[] = [];
for (let pair = 0; pair < (quick ? 1 : 5); pair++) {
  const one = hunt(irqPreempt);
  const two = await huntParallel(irqPreempt, 2, { builtins: BUILTIN_MODELS_MODULE });
  rates.push({ oneThreadRunsPerSec: one.runs / (one.elapsedMs / 1000), twoWorkersRunsPerSec: two.runs / (two.elapsedMs / 1000) });
}
const ratio = (r: (typeof rates)[number]) => r.twoWorkersRunsPerSec / r.oneThreadRunsPerSec;
const parallel = { runs, workerStartMs, ...middleBy(rates, ratio), ratios: rates.map(ratio) };

// The allocator's correct variant on four CPUs, for the figure a model checker is compared by: schedules checked in 10 seconds.
// Hunts of 1,000 runs, one seed after another, until the time is up (a hunt cannot be cut short cheaply). Three windows
// (one on --quick); the median is reported.
const seconds = quick ? 2 : 10;
const config = variantConfig(mempool, "irq-preempt-lock", { cpus: 4 });
const windows = Array.from({ length: quick ? 1 : 3 }, (_, w) => {
  const began = performance.now();
  let fourRuns = 0;
  for (let seed = 1 + 1000 * w; performance.now() - began < seconds * 1000; seed++) fourRuns += hunt({ model: mempool, variant: "irq-preempt-lock", config, runs: 1000, seed }).runs;
  return { seconds: (performance.now() - began) / 1000, runs: fourRuns };
});
const per10 = (x: { seconds: number; runs: number }) => (x.runs / x.seconds) * 10;
const fourCpus = { ...middleBy(windows, per10), per10s: windows.map(per10) };

// The peer's speed: fc.scheduler on the promise version of the correct variant, and the machine on the same fixed workload.
const peerRuns = quick ? 2000 : 10000;
const fixed: AnyModel = { ...mempool, workload: () => fc.constant(FIXED_WORKLOAD) };
// One CPU, as the promise version and the workload have it.
const fixedOpts = { model: fixed, variant: "irq-preempt-lock", config: variantConfig(mempool, "irq-preempt-lock", { cpus: 1 }), workloads: 1 };
const ours = (strategy: string) => {
  hunt({ ...fixedOpts, runs: Math.min(peerRuns, 1000), seed: 99, strategy });
  const r = hunt({ ...fixedOpts, runs: peerRuns, seed: 1, strategy });
  return { strategy, runsPerSec: r.runs / (r.elapsedMs / 1000), actionsPerSec: r.actions / (r.elapsedMs / 1000) };
};
// The floor's best of three: one measurement alone moves by 1.7x on this machine.
const floor = Math.max(floorEventsPerSecond(10_000_000), floorEventsPerSecond(10_000_000), floorEventsPerSecond(10_000_000));
const peerSpeeds = { floor, fcScheduler: await peerSpeed(peerRuns), ours: [ours("fast-check"), ours("portfolio")] };

console.log(JSON.stringify({ parallel, fourCpus, peerSpeeds }));
