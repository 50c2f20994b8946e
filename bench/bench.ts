// The benchmark: how fast each schedule source finds each bug, and how fast
// it runs a correct variant, side by side, with the floor (a bare generator
// loop) and a peer (fast-check's own fc.scheduler on a promise version of the
// allocator race).
//   npm run bench [-- --quick] [-- --json FILE] [-- --strategies fast-check,pct]
import fc from "fast-check";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { hunt } from "../src/harness/hunt.ts";
import type { AnyModel } from "../src/kernel/model.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { MODELS, findModel } from "../src/models/index.ts";
import { STRATEGIES } from "../src/strategies/index.ts";
import { floorEventsPerSecond } from "./floor.ts";
import { peerRunsToFailure } from "./peer-fc-scheduler.ts";

const { values } = parseArgs({ options: { quick: { type: "boolean" }, json: { type: "string" }, strategies: { type: "string" } } });
const quick = values.quick === true;
const seeds = Array.from({ length: quick ? 3 : 10 }, (_, i) => i + 1);
const budget = quick ? 1000 : 5000;
const throughputRuns = quick ? 1000 : 5000;
const strategies = values.strategies?.split(",") ?? ["fast-check", ...STRATEGIES.map((s) => s.name)];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface BugRow {
  model: string;
  variant: string;
  settings: string;
  strategy: string;
  found: number;
  seeds: number;
  runs?: { median: number; min: number; max: number };
  ms?: number;
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
  ofFloor: number;
}

function huntBug(model: AnyModel, variant: string, strategy: string, overrides: Record<string, number>): BugRow {
  const config = variantConfig(model, variant, overrides);
  const runs: number[] = [];
  const ms: number[] = [];
  const properties = new Set<string>();
  let allRuns = 0;
  const bounds: number[] = [];
  for (const seed of seeds) {
    const r = hunt({ model, variant, config, runs: budget, seed, strategy });
    allRuns += r.runs;
    if (r.counterexample) {
      if (strategy === "pct" && typeof r.report?.bound === "number") bounds.push(r.report.bound);
      runs.push(r.runs);
      ms.push(r.msToFailure ?? r.elapsedMs);
      properties.add(r.counterexample.property);
    }
  }
  return {
    model: model.name,
    variant,
    settings: Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(" "),
    strategy,
    found: runs.length,
    seeds: seeds.length,
    runs: runs.length ? { median: median(runs), min: Math.min(...runs), max: Math.max(...runs) } : undefined,
    ms: runs.length ? median(ms) : undefined,
    properties: [...properties].sort(),
    pctBound: strategy === "pct" && bounds.length > 0 ? median(bounds) : undefined,
    observedRate: strategy === "pct" ? runs.length / Math.max(1, allRuns) : undefined,
  };
}

const floor = floorEventsPerSecond();
const bugs: BugRow[] = [];
const speeds: SpeedRow[] = [];
for (const model of MODELS) {
  for (const [variant, spec] of Object.entries(model.variants)) {
    for (const strategy of strategies) {
      if (spec.correct) {
        const config = variantConfig(model, variant);
        const r = hunt({ model, variant, config, runs: throughputRuns, seed: 1, strategy });
        const secs = r.elapsedMs / 1000;
        speeds.push({ model: model.name, variant, strategy, runsPerSec: r.runs / secs, actionsPerSec: r.actions / secs, ofFloor: r.actions / secs / floor });
        continue;
      }
      const row = huntBug(model, variant, strategy, {});
      bugs.push(row);
      // What the lock validator buys: the same hunt with it off must find the bug itself.
      if (row.properties.includes("lockdep")) bugs.push(huntBug(model, variant, strategy, { lockdep: 0 }));
    }
  }
}

// The peer: the interrupt-in-the-allocator race on one fixed workload, for fc.scheduler and for each strategy.
const mempool = findModel("mempool")!;
const fixed = { objectsPerPage: 3, threads: [{ cpu: 0, ops: ["alloc", "alloc", "free"] }], irq: { cpus: [0], count: 1 } };
const pinned: AnyModel = { ...mempool, workload: () => fc.constant(fixed) };
const peer = { fcScheduler: [] as number[], fcSchedulerMs: [] as number[], ours: [] as { strategy: string; runs: number[] }[] };
for (const seed of seeds) {
  const r = await peerRunsToFailure(seed, budget);
  if (r.runs !== undefined) peer.fcScheduler.push(r.runs), peer.fcSchedulerMs.push(r.ms);
}
for (const strategy of strategies.filter((s) => s !== "exhaustive")) {
  const runs: number[] = [];
  for (const seed of seeds) {
    const r = hunt({ model: pinned, variant: "preempt-lock", config: variantConfig(mempool, "preempt-lock"), runs: budget, seed, strategy });
    if (r.counterexample) runs.push(r.runs);
  }
  peer.ours.push({ strategy, runs });
}

// ---- the table ----
const fmtRuns = (r: BugRow) => (r.runs ? `${r.runs.median} [${r.runs.min}-${r.runs.max}]` : `none in ${budget}`);
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
};
console.log(`${seeds.length} seeds per bug and strategy, budget ${budget} runs (exhaustive: schedules); ${throughputRuns} runs per correct variant; node ${process.version}`);
console.log(`floor: a bare generator loop takes ${(floor / 1e6).toFixed(1)} M events/s on this machine`);
console.log("");
console.log("Runs to the first failure (median [min-max] over the seeds that found it), and time to it.");
console.log("PCT (depth 3): its guaranteed chance per run, 1/(n*k^2) for the n steps and k contexts of the failing runs, and the share of runs seen failing:");
table([
  ["model", "variant", "settings", "strategy", "found", "runs to failure", "ms", "broke", "PCT bound / seen"],
  ...bugs.map((r) => [
    r.model,
    r.variant,
    r.settings || "-",
    r.strategy,
    `${r.found}/${r.seeds}`,
    fmtRuns(r),
    r.ms === undefined ? "-" : r.ms.toFixed(0),
    r.properties.join(",") || "-",
    r.strategy !== "pct" ? "" : `${r.pctBound === undefined ? "-" : r.pctBound.toExponential(1)} / ${r.observedRate!.toExponential(1)}`,
  ]),
]);
console.log("");
console.log("Correct variants: speed, and machine actions per second as a share of the floor:");
table([
  ["model", "variant", "strategy", "runs/s", "actions/s", "of floor"],
  ...speeds.map((r) => [r.model, r.variant, r.strategy, r.runsPerSec.toFixed(0), r.actionsPerSec.toFixed(0), `1/${Math.round(1 / r.ofFloor)}`]),
]);
console.log("");
console.log(`Peer: the allocator's interrupt race, workload fixed (${JSON.stringify(fixed)}), runs to the first failure:`);
table([
  ["hunter", "found", "runs to failure"],
  ["fc.scheduler (promises)", `${peer.fcScheduler.length}/${seeds.length}`, peer.fcScheduler.length ? `${median(peer.fcScheduler)} [${Math.min(...peer.fcScheduler)}-${Math.max(...peer.fcScheduler)}]` : "-"],
  ...peer.ours.map((p) => [p.strategy, `${p.runs.length}/${seeds.length}`, p.runs.length ? `${median(p.runs)} [${Math.min(...p.runs)}-${Math.max(...p.runs)}]` : "-"]),
]);
if (values.json) fs.writeFileSync(values.json, JSON.stringify({ seeds, budget, throughputRuns, floor, bugs, speeds, peer }, null, 2) + "\n");
