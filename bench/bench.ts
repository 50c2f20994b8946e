// Benchmark: for every model and variant, how fast the hunt finds each bug
// (runs and time to the first failure, over several seeds) and how fast it
// runs a correct variant (runs and machine actions per second).
//   npm run bench [-- --quick] [-- --json FILE]
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { hunt } from "../src/harness/hunt.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { MODELS } from "../src/models/index.ts";

const { values } = parseArgs({ options: { quick: { type: "boolean" }, json: { type: "string" } } });
const seeds = values.quick ? [1, 2, 3] : Array.from({ length: 10 }, (_, i) => i + 1);
const budget = values.quick ? 5000 : 20000;
const throughputRuns = values.quick ? 2000 : 10000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Row {
  model: string;
  variant: string;
  /** Settings this row was hunted with beyond the variant's own. */
  settings: string;
  cpus: number;
  correct: boolean;
  runsPerSec: number;
  actionsPerSec: number;
  found?: string;
  /** Properties the failures broke. */
  properties: string;
  runsToFailure?: { median: number; min: number; max: number };
  msToFailure?: number;
}

function huntBuggy(model: (typeof MODELS)[number], variant: string, overrides: Record<string, number>): Row {
    const config = variantConfig(model, variant, overrides);
    const runs: number[] = [];
    const ms: number[] = [];
    let totalRuns = 0;
    let totalActions = 0;
    let totalMs = 0;
    const properties = new Set<string>();
    for (const seed of seeds) {
      const r = hunt({ model, variant, config, runs: budget, seed });
      totalRuns += r.runs;
      totalActions += r.actions;
      totalMs += r.msToFailure ?? r.elapsedMs;
      if (r.counterexample) {
        runs.push(r.runs);
        ms.push(r.msToFailure!);
        properties.add(r.counterexample.property);
      }
    }
    return {
      model: model.name,
      variant,
      settings: Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(" "),
      properties: [...properties].sort().join(","),
      cpus: config.cpus,
      correct: false,
      runsPerSec: (totalRuns / totalMs) * 1000,
      actionsPerSec: (totalActions / totalMs) * 1000,
      found: `${runs.length}/${seeds.length}`,
      runsToFailure: runs.length ? { median: median(runs), min: Math.min(...runs), max: Math.max(...runs) } : undefined,
      msToFailure: runs.length ? median(ms) : undefined,
    };
}

const rows: Row[] = [];
for (const model of MODELS) {
  for (const [variant, spec] of Object.entries(model.variants)) {
    if (spec.correct) {
      const config = variantConfig(model, variant);
      const r = hunt({ model, variant, config, runs: throughputRuns, seed: 1 });
      const secs = r.elapsedMs / 1000;
      rows.push({ model: model.name, variant, settings: "", properties: "", cpus: config.cpus, correct: true, runsPerSec: r.runs / secs, actionsPerSec: r.actions / secs });
      continue;
    }
    const row = huntBuggy(model, variant, {});
    rows.push(row);
    // What the lock validator buys: the same hunt with it off must find the bug itself.
    if (row.properties.includes("lockdep")) rows.push(huntBuggy(model, variant, { lockdep: 0 }));
  }
}

const table = [
  ["model", "variant", "settings", "cpus", "kind", "runs/s", "actions/s", "found", "broke", "runs to failure (median [min-max])", "ms to failure (median)"],
  ...rows.map((r) => [
    r.model,
    r.variant,
    r.settings || "-",
    String(r.cpus),
    r.correct ? "correct" : "buggy",
    r.runsPerSec.toFixed(0),
    r.actionsPerSec.toFixed(0),
    r.found ?? "-",
    r.properties || "-",
    r.runsToFailure ? `${r.runsToFailure.median} [${r.runsToFailure.min}-${r.runsToFailure.max}]` : r.correct ? "-" : `none in ${budget}`,
    r.msToFailure !== undefined ? r.msToFailure.toFixed(0) : "-",
  ]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
console.log(`strategy fast-check, ${seeds.length} seeds per buggy variant, budget ${budget} runs, ${throughputRuns} runs per correct variant, node ${process.version}`);
for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
if (values.json) fs.writeFileSync(values.json, JSON.stringify({ seeds, budget, throughputRuns, rows }, null, 2) + "\n");
