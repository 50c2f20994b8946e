// The benchmark: how fast each schedule source finds each bug, and how fast
// it runs a correct variant, side by side, with the floor (a bare generator
// loop) and a peer (fast-check's own fc.scheduler on a promise version of the
// allocator race).
//   npm run bench [-- --quick] [-- --speed] [-- --json FILE] [-- --strategies fast-check,pct] [-- --models channel] [-- --seeds 11-20] [-- --against FILE]
// --quick measures the default (the portfolio) alone, on 3 seeds and smaller
// budgets, and does not shrink what it finds: a first look in under a minute.
// --speed measures only the speeds (correct variants, two workers, four CPUs,
// the peer's speed, litmus), hunting no bug: the figures a change to the harness's speed moves.
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { hunt, search } from "../src/harness/hunt.ts";
import type { AnyModel } from "../src/kernel/model.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { MODELS, findModel } from "../src/models/index.ts";
import { STRATEGIES } from "../src/strategies/index.ts";
import { MEMORY_MODELS } from "../src/sim/memory.ts";
import { floorEventsPerSecond } from "./floor.ts";
import { parseLitmus } from "../src/litmus/parse.ts";
import { judge } from "../src/litmus/verdict.ts";
import { FIXED_WORKLOAD, peerRunsToFailure } from "./peer-fc-scheduler.ts";
import type { Best, BugFigures } from "./summary.ts";
import { bestSingles, knownBest, lengthSpreads, standings } from "./summary.ts";

const { values } = parseArgs({
  options: { quick: { type: "boolean" }, speed: { type: "boolean" }, json: { type: "string" }, strategies: { type: "string" }, models: { type: "string" }, seeds: { type: "string" }, against: { type: "string" } },
});
const quick = values.quick === true;
const speedOnly = values.speed === true;
const seeds = values.seeds === undefined ? Array.from({ length: quick ? 3 : 10 }, (_, i) => i + 1) : seedRange(values.seeds);
/** The best single strategy of each bug in an earlier run's --json file (on other seeds), to stand these seeds against. */
const reference = values.against === undefined ? undefined : referenceBests(values.against);
const budget = quick ? 1000 : 5000;
const throughputRuns = quick ? 1000 : 5000;
const strategies = values.strategies?.split(",") ?? (quick ? ["portfolio"] : ["portfolio", "fast-check", ...STRATEGIES.map((s) => s.name)]);
const benchStarted = performance.now();
/** One line per variant on standard error as the bench goes, so a long run shows where it is. */
const progress = (what: string) => process.stderr.write(`bench: ${what} (${((performance.now() - benchStarted) / 1000).toFixed(0)} s)\n`);
const models = values.models === undefined ? MODELS : values.models.split(",").map((n) => findModel(n) ?? fail(`unknown model '${n}' (known: ${MODELS.map((m) => m.name).join(", ")})`));
const extras = models !== MODELS;

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

/** "11-20": the seeds 11 to 20. */
function seedRange(text: string): number[] {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (m === null || Number(m[1]) < 1 || Number(m[2]) < Number(m[1])) fail(`--seeds takes a range FROM-TO of seeds from 1, such as 11-20; got '${text}'`);
  return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
}

function referenceBests(file: string): Map<string, Best> {
  let bugRows: BugFigures[];
  try {
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { bugs?: BugFigures[] };
    if (!Array.isArray(json.bugs)) throw new Error("it has no bug rows");
    // Its JSON writes a median past the budget (Infinity) as null.
    bugRows = json.bugs.map((r) => ({ ...r, runs: { median: r.runs.median ?? Infinity } }));
  } catch (err) {
    fail(`--against ${file}: not a bench --json file (${err instanceof Error ? err.message : String(err)})`);
  }
  return bestSingles(bugRows);
}

/** Median and spread over every seed: a seed that found nothing counts as Infinity (more than the budget). */
function overAll(found: number[]): { median: number; min: number; max: number } {
  const all = [...found, ...new Array<number>(seeds.length - found.length).fill(Infinity)];
  return { median: median(all), min: Math.min(...all), max: Math.max(...all) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface BugRow extends BugFigures {
  /** Over every seed, a seed that missed counting as more than the budget. */
  runs: { median: number; min: number; max: number };
  ms?: number;
  /** The saved counterexamples' schedule lengths, shortest and longest (not measured by --quick, which does not shrink). */
  events?: { min: number; max: number };
  properties: string[];
  /** PCT: its guarantee for a bug of depth d in the failing runs (median), against the rate of failing runs seen. */
  pctBound?: number;
  observedRate?: number;
}

interface SpeedRow {
  model: string;
  variant: string;
  strategy: string;
  runsPerSec: number;
  actionsPerSec: number;
  /** The floor measured in the same process (the best of one before each timed hunt, events/s), and the actions' share of it. */
  floor: number;
  ofFloor: number;
}

function huntBug(model: AnyModel, variant: string, strategy: string, overrides: Record<string, number | string>): BugRow {
  const config = variantConfig(model, variant, overrides);
  const runs: number[] = [];
  const ms: number[] = [];
  const properties = new Set<string>();
  let allRuns = 0;
  const bounds: number[] = [];
  const lengths: number[] = [];
  for (const seed of seeds) {
    const opts = { model, variant, config, runs: budget, seed, strategy };
    const r = quick ? search(opts) : hunt(opts);
    allRuns += r.runs;
    const failed = "counterexample" in r ? r.counterexample : "found" in r ? r.found : undefined;
    if (failed) {
      if (strategy === "pct" && typeof r.report?.bound === "number") bounds.push(r.report.bound);
      runs.push(r.runs);
      ms.push(r.msToFailure ?? ("elapsedMs" in r ? r.elapsedMs : 0));
      properties.add(failed.property);
      if (!quick) lengths.push(failed.schedule.length);
    }
  }
  return {
    model: model.name,
    variant,
    settings: Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(" "),
    strategy,
    found: runs.length,
    seeds: seeds.length,
    runs: overAll(runs),
    ms: ms.length ? median(ms) : undefined,
    events: lengths.length ? { min: Math.min(...lengths), max: Math.max(...lengths) } : undefined,
    properties: [...properties].sort(),
    pctBound: strategy === "pct" && bounds.length > 0 ? median(bounds) : undefined,
    observedRate: strategy === "pct" ? runs.length / Math.max(1, allRuns) : undefined,
  };
}

// The best of three: one measurement alone moves by 1.7x from one to the next on this machine.
const floor = Math.max(floorEventsPerSecond(), floorEventsPerSecond(), floorEventsPerSecond());
const bugs: BugRow[] = [];
const speeds: SpeedRow[] = [];
const buggyCount = models.reduce((n, m) => n + Object.values(m.variants).filter((v) => !v.correct).length, 0);
let variantsDone = 0;
for (const model of speedOnly ? [] : models) {
  for (const [variant, spec] of Object.entries(model.variants)) {
    if (spec.correct) continue;
    progress(`bug ${++variantsDone} of ${buggyCount}: ${model.name}/${variant}, ${strategies.length} strateg${strategies.length === 1 ? "y" : "ies"}`);
    for (const strategy of strategies) {
      // A model with a memory mode: every buggy variant in every mode (a bug a mode hides is missed there, and that is the point).
      if (typeof model.defaults.memory === "string") {
        for (const memory of MEMORY_MODELS) bugs.push(huntBug(model, variant, strategy, { memory }));
        continue;
      }
      const row = huntBug(model, variant, strategy, {});
      bugs.push(row);
      // What the lock validator buys: the same hunt with it off must find the bug itself.
      if (row.properties.includes("lockdep")) bugs.push(huntBug(model, variant, strategy, { lockdep: 0 }));
    }
  }
}

// Correct variants: each model's, per strategy, in a process of its own (bench/correct-speed.ts), as a command hunting it runs.
const withCorrect = models.filter((m) => Object.values(m.variants).some((v) => v.correct));
for (const [i, model] of withCorrect.entries()) {
  progress(`speed ${i + 1} of ${withCorrect.length}: ${model.name}'s correct variants, ${strategies.length} strateg${strategies.length === 1 ? "y" : "ies"}`);
  for (const strategy of strategies) {
    const args = ["--model", model.name, "--strategy", strategy, "--runs", String(throughputRuns), "--reps", quick ? "1" : "3", "--warm-ms", quick ? "500" : "1500"];
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL("./correct-speed.ts", import.meta.url)), ...args], { encoding: "utf8" });
    if (child.status !== 0) fail(`bench/correct-speed.ts ${args.join(" ")} failed: ${child.stderr.trim().split("\n").at(-1)}`);
    for (const line of child.stdout.trim().split("\n")) {
      const r = JSON.parse(line) as Omit<SpeedRow, "ofFloor"> & { floor: number };
      speeds.push({ model: r.model, variant: r.variant, strategy, runsPerSec: r.runsPerSec, actionsPerSec: r.actionsPerSec, floor: r.floor, ofFloor: r.actionsPerSec / r.floor });
    }
  }
}

// The peer: the interrupt-in-the-allocator race on one fixed workload, for fc.scheduler and for each strategy.
const mempool = findModel("mempool")!;
const fixed = FIXED_WORKLOAD;
const pinned: AnyModel = { ...mempool, workload: () => fc.constant(fixed) };
const peer = { fcScheduler: [] as number[], fcSchedulerMs: [] as number[], ours: [] as { strategy: string; runs: number[]; ms: number[] }[] };
// Only the full benchmark (no --models) hunts the peer's race; --speed only times the peer (bench/fresh.ts).
if (!extras && !speedOnly) {
  for (const seed of seeds) {
    const r = await peerRunsToFailure(seed, budget);
    if (r.runs !== undefined) peer.fcScheduler.push(r.runs), peer.fcSchedulerMs.push(r.ms);
  }
  for (const strategy of strategies) {
    const runs: number[] = [];
    const ms: number[] = [];
    for (const seed of seeds) {
      const r = hunt({ model: pinned, variant: "preempt-lock", config: variantConfig(mempool, "preempt-lock"), runs: budget, seed, strategy, workloads: 1 });
      if (r.counterexample) runs.push(r.runs), ms.push(r.msToFailure ?? r.elapsedMs);
    }
    peer.ours.push({ strategy, runs, ms });
  }
}

// Parallel hunting and four CPUs, in a fresh process of their own (bench/fresh.ts), as a user's command runs.
let parallel: { runs: number; workerStartMs: number; oneThreadRunsPerSec: number; twoWorkersRunsPerSec: number; ratios: number[] } | undefined;
let fourCpus: { seconds: number; runs: number; per10s: number[] } | undefined;
type Rate = { runsPerSec: number; actionsPerSec: number };
let peerSpeeds: { floor: number; fcScheduler: { runsPerSec: number; pointsPerSec: number; pendingPollsPerSec: number }; ours: (Rate & { strategy: string })[] } | undefined;
if (!extras) {
  progress("two workers, four CPUs and the peer's speed, in a process of their own");
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL("./fresh.ts", import.meta.url)), ...(quick ? ["--quick"] : [])], { encoding: "utf8" });
  if (child.status !== 0) fail(`bench/fresh.ts failed: ${child.stderr.trim().split("\n").at(-1)}`);
  ({ parallel, fourCpus, peerSpeeds } = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
    parallel: NonNullable<typeof parallel>;
    fourCpus: NonNullable<typeof fourCpus>;
    peerSpeeds: NonNullable<typeof peerSpeeds>;
  });
}

// Litmus: the project's own litmus tests, each searched completely under every memory mode.
const litmusDir = new URL("../litmus/", import.meta.url);
const litmusFiles = fs.readdirSync(litmusDir).filter((f) => f.endsWith(".litmus")).sort();
const litmusTests = litmusFiles.map((f) => parseLitmus(fs.readFileSync(new URL(f, litmusDir), "utf8")));
const litmusStart = performance.now();
let litmusStates = 0;
for (const t of litmusTests) for (const v of judge(t, MEMORY_MODELS)) litmusStates += v.states;
const litmusSecs = (performance.now() - litmusStart) / 1000;
const litmus = { tests: litmusTests.length, modes: MEMORY_MODELS.length, seconds: litmusSecs, testsPerSec: litmusTests.length / litmusSecs, statesPerSec: litmusStates / litmusSecs };

// ---- the table ----
const fmtN = (n: number) => (n === Infinity ? `>${budget}` : String(n));
const fmtRuns = (r: BugRow) => `${fmtN(r.runs.median)} [${fmtN(r.runs.min)}-${fmtN(r.runs.max)}]`;
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
};
console.log(`${seeds.length} seeds per bug and strategy (${seeds[0]}-${seeds.at(-1)}), budget ${budget} runs (exhaustive: schedules); ${throughputRuns} runs per hunt of a correct variant (${quick ? "one hunt" : "the median of three"}); node ${process.version}`);
console.log(`floor: a bare generator loop takes ${(floor / 1e6).toFixed(1)} M events/s on this machine (the best of three here; each speed below is set beside a floor measured in its own process)`);
console.log("");
if (!speedOnly) {
  console.log(`Runs to the first failure, median [min-max] over every seed (a seed that found nothing counts as >${budget}), the median time to it where found,`);
  console.log(quick ? "and no counterexample lengths (--quick does not shrink)." : "and the saved counterexamples' lengths in events, shortest-longest.");
  console.log("PCT (depth 3): its guaranteed chance per run, 1/(n*k^2) for the n steps and k contexts of the failing runs, and the share of runs seen failing:");
  table([
    ["model", "variant", "settings", "strategy", "found", "runs to failure", "ms", "events", "broke", "PCT bound / seen"],
    ...bugs.map((r) => [
      r.model,
      r.variant,
      r.settings || "-",
      r.strategy,
      `${r.found}/${r.seeds}`,
      fmtRuns(r),
      r.ms === undefined ? "-" : r.ms.toFixed(0),
      r.events === undefined ? "-" : r.events.min === r.events.max ? String(r.events.min) : `${r.events.min}-${r.events.max}`,
      r.properties.join(",") || "-",
      r.strategy !== "pct" ? "" : `${r.pctBound === undefined ? "-" : r.pctBound.toExponential(1)} / ${r.observedRate!.toExponential(1)}`,
    ]),
  ]);
  console.log("");
  const standing = standings(bugs, strategies, budget);
  if (standing.length > 0) {
    console.log("Each strategy against the best single strategy of each bug (median runs to failure; bugs no single strategy finds on most seeds left out):");
    table([
      ["strategy", "bugs", "found on every seed", "the best", "within 2x of the best", "geometric mean, x the best"],
      ...standing.map((s) => [s.strategy, String(s.rows), String(s.foundOnEverySeed), String(s.best), String(s.within2x), s.geomean.toFixed(2)]),
    ]);
    console.log("");
  }
  if (reference !== undefined) {
    console.log(`Each strategy on these seeds (${seeds[0]}-${seeds.at(-1)}) against the best single strategy of each bug in ${values.against}:`);
    table([
      ["strategy", "bugs", "found on every seed", "no worse than that best", "within 2x of it", "geometric mean, x that best"],
      ...standings(bugs, strategies, budget, reference).map((s) => [s.strategy, String(s.rows), String(s.foundOnEverySeed), String(s.best), String(s.within2x), s.geomean.toFixed(2)]),
    ]);
    const known = knownBest(bugs, reference);
    console.log(`The best single strategy of each bug there, on these seeds: within 2x of its own median there on ${known.within2x} bugs of ${known.rows}.`);
    console.log("");
  }
  if (!quick) {
    const spreads = lengthSpreads(bugs);
    const close = spreads.filter((s) => s.longest - s.shortest <= 2).length;
    const noLonger = spreads.filter((s) => s.fastCheckLongest !== undefined && s.longest <= s.fastCheckLongest).length;
    const apart = spreads.filter((s) => s.longest - s.shortest > 2);
    const againstFastCheck = strategies.includes("fast-check") ? `; no longer than fast-check's longest on ${noLonger}` : "";
    console.log(`Counterexample lengths, every strategy and seed of a bug: within 2 events of each other on ${close} bugs of ${spreads.length}${againstFastCheck}.`);
    if (apart.length > 0) {
      console.log("Further apart:");
      table([["bug", "shortest", "longest", "fast-check's longest"], ...apart.map((s) => [s.bug, String(s.shortest), String(s.longest), s.fastCheckLongest === undefined ? "-" : String(s.fastCheckLongest)])]);
    }
    console.log("");
  }
}
console.log("Correct variants, each model and strategy in a process of its own as a command runs: speed, and machine actions per second");
console.log("as a share of the floor measured in that process (the best of three, one before each timed hunt):");
table([
  ["model", "variant", "strategy", "runs/s", "actions/s", "floor M/s", "of floor"],
  ...speeds.map((r) => [r.model, r.variant, r.strategy, r.runsPerSec.toFixed(0), r.actionsPerSec.toFixed(0), (r.floor / 1e6).toFixed(1), `1/${Math.round(1 / r.ofFloor)}`]),
]);
if (parallel !== undefined) {
  if (!speedOnly) {
    console.log("");
    console.log(`Peer: the allocator's interrupt race on one fixed workload, ${JSON.stringify(fixed)}.`);
    console.log("In the promise version the interrupt always fires at some await; in the machine it fires only if the schedule delivers it.");
    const spread = (xs: number[]) => {
      const a = overAll(xs);
      return `${fmtN(a.median)} [${fmtN(a.min)}-${fmtN(a.max)}]`;
    };
    table([
      ["hunter", "found", "runs to failure", "ms (median)"],
      ["fc.scheduler (promises)", `${peer.fcScheduler.length}/${seeds.length}`, spread(peer.fcScheduler), peer.fcSchedulerMs.length ? median(peer.fcSchedulerMs).toFixed(1) : "-"],
      ...peer.ours.map((p) => [p.strategy, `${p.runs.length}/${seeds.length}`, spread(p.runs), p.ms.length ? median(p.ms).toFixed(1) : "-"]),
    ]);
  }
  console.log("");
  console.log(
    `Parallel: ${parallel.runs} runs of mempool/irq-preempt-lock, ${parallel.oneThreadRunsPerSec.toFixed(0)} runs/s on one thread, ${parallel.twoWorkersRunsPerSec.toFixed(0)} runs/s on --workers 2 (x${(parallel.twoWorkersRunsPerSec / parallel.oneThreadRunsPerSec).toFixed(2)})` +
      `; in a process of its own, the workers started and warmed by a first hunt of 5,000 runs, which took ${(parallel.workerStartMs / 1000).toFixed(1)} s.` +
      (parallel.ratios.length > 1 ? ` The median of ${parallel.ratios.length} pairs: ${parallel.ratios.map((r) => `x${r.toFixed(2)}`).join(", ")}.` : ""),
  );
}
if (peerSpeeds !== undefined) {
  console.log("");
  const share = (perSec: number) => `1/${Math.round(peerSpeeds!.floor / perSec)}`;
  console.log("Peer speed, in the same process of its own: the allocator's correct variant (irq-preempt-lock) on the peer's fixed workload, one CPU.");
  console.log("For fc.scheduler, actions/s are the scheduled points it releases per second; the interrupt's polls while pending are",
    `${((100 * peerSpeeds.fcScheduler.pendingPollsPerSec) / peerSpeeds.fcScheduler.pointsPerSec).toFixed(0)}% of them. Floor measured there: ${(peerSpeeds.floor / 1e6).toFixed(1)} M events/s.`);
  table([
    ["runner", "runs/s", "actions/s", "of floor"],
    ["fc.scheduler (promises)", peerSpeeds.fcScheduler.runsPerSec.toFixed(0), peerSpeeds.fcScheduler.pointsPerSec.toFixed(0), share(peerSpeeds.fcScheduler.pointsPerSec)],
    ...peerSpeeds.ours.map((o) => [o.strategy, o.runsPerSec.toFixed(0), o.actionsPerSec.toFixed(0), share(o.actionsPerSec)]),
  ]);
}
if (fourCpus !== undefined) {
  console.log("");
  const per10 = (fourCpus.runs / fourCpus.seconds) * 10;
  const windows = fourCpus.per10s.length > 1 ? ` The median of ${fourCpus.per10s.length} windows: ${fourCpus.per10s.map((r) => Math.round(r)).join(", ")}.` : "";
  console.log(`Four CPUs, in the same process of its own: mempool/irq-preempt-lock with --cpus 4, ${fourCpus.runs} schedules in ${fourCpus.seconds.toFixed(1)} s, ${Math.round(per10)} in 10 s${quick ? " (at that rate)" : ""}.${windows}`);
}
console.log("");
console.log(
  `Litmus: ${litmus.tests} tests of litmus/ x ${litmus.modes} memory modes, every search complete, in ${litmus.seconds.toFixed(2)} s: ` +
    `${litmus.testsPerSec.toFixed(0)} tests/s (all modes each), ${(litmus.statesPerSec / 1000).toFixed(0)} k states/s.`,
);
console.log("");
console.log(`The bench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s.`);
if (values.json) fs.writeFileSync(values.json, JSON.stringify({ seeds, budget, throughputRuns, floor, bugs, speeds, peer, peerSpeeds, parallel, fourCpus, litmus }, (_k, v) => (v === Infinity ? null : v), 2) + "\n");
