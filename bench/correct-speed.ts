// The speed of one model's correct variants under one strategy, measured in
// a process of its own, as `hunt MODEL --strategy S` runs: a process that has
// run other models' code is slower for it (V8's compiled code has seen every
// model's objects), and no command does that. bench.ts runs this as a child
// per model and strategy. The floor is measured here too, beside each timed
// hunt, so that a share of it compares figures taken under the same load.
// Prints one line of JSON per correct variant.
//   npx tsx bench/correct-speed.ts --model mempool --strategy fast-check [--runs 5000] [--reps 3] [--warm-ms 1500]
import { parseArgs } from "node:util";
import { hunt } from "../src/harness/hunt.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";
import { floorEventsPerSecond } from "./floor.ts";
import { middleBy } from "./middle.ts";

const { values } = parseArgs({ options: { model: { type: "string" }, strategy: { type: "string" }, runs: { type: "string" }, reps: { type: "string" }, "warm-ms": { type: "string" } } });
const model = findModel(values.model ?? "");
if (model === undefined) throw new Error(`unknown model '${values.model}'`);
const strategy = values.strategy ?? "portfolio";
const runs = Number(values.runs ?? 5000);
const reps = Number(values.reps ?? 3);
const warmMs = Number(values["warm-ms"] ?? 1500);
if (!(Number.isInteger(runs) && runs > 0 && Number.isInteger(reps) && reps > 0 && warmMs >= 0)) throw new Error("--runs and --reps must be whole numbers above 0, --warm-ms a number of milliseconds");

for (const [variant, spec] of Object.entries(model.variants)) {
  if (!spec.correct) continue;
  const config = variantConfig(model, variant);
  // Exhaustive search would run out of schedules on the first workloads: one workload per run, so that it never does.
  const once = (seed: number, n: number) => hunt({ model, variant, config, runs: n, seed, strategy, workloads: n });
  // Warm up (a second and a half by default): V8 is still compiling the hot paths after the first thousand runs.
  const began = performance.now();
  for (let seed = 99; performance.now() - began < warmMs; seed++) once(seed, Math.min(runs, 1000));
  // The floor beside each timed hunt, its best taken: a slow measurement of it would flatter the share.
  const floors: number[] = [];
  const timed = Array.from({ length: reps }, (_, i) => (floors.push(floorEventsPerSecond(10_000_000)), once(i + 1, runs)));
  const floor = Math.max(...floors);
  const mid = middleBy(timed, (r) => r.runs / r.elapsedMs);
  const secs = mid.elapsedMs / 1000;
  console.log(JSON.stringify({ model: model.name, variant, strategy, runsPerSec: mid.runs / secs, actionsPerSec: mid.actions / secs, floor }));
}
