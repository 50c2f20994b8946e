// Runs to the first failure, pct against pctwm, on the bugs that need a
// reordering of memory: the litmus-sized ones (message passing, store
// buffering) and the built-in models' barrier bugs.
//   npx tsx bench/pctwm.ts [--seeds 10] [--budget 5000] [--depth 3] [--strategies pct,pctwm] [--only channel/no-wmb]
import { parseArgs } from "node:util";
import { search } from "../src/harness/hunt.ts";
import type { AnyModel } from "../src/kernel/model.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";
import { messagePassing, storeBuffering } from "../test/helpers/litmus-models.ts";

const { values } = parseArgs({
  options: { seeds: { type: "string" }, budget: { type: "string" }, depth: { type: "string" }, strategies: { type: "string" }, only: { type: "string" } },
});
const seeds = Array.from({ length: Number(values.seeds ?? 10) }, (_, i) => i + 1);
const budget = Number(values.budget ?? 5000);
const depth = Number(values.depth ?? 3);
const strategies = (values.strategies ?? "pct,pctwm").split(",");

const BUGS: [AnyModel, string][] = [
  [messagePassing as AnyModel, "no-wmb"],
  [messagePassing as AnyModel, "no-rmb"],
  [storeBuffering as AnyModel, "no-mb"],
  [findModel("channel")!, "no-wmb"],
  [findModel("channel")!, "no-rmb"],
  [findModel("virtio-evtchn")!, "no-kick-mb"],
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

for (const [model, variant] of BUGS) {
  const name = `${model.name}/${variant}`;
  if (values.only !== undefined && !values.only.split(",").includes(name)) continue;
  const config = variantConfig(model, variant);
  const row = [`${name} (${config.memory})`.padEnd(34)];
  for (const strategy of strategies) {
    const t = performance.now();
    // A seed that found nothing counts as more than the budget.
    const runs = seeds.map((seed) => {
      const r = search({ model, variant, config, runs: budget, seed, strategy, depth });
      return r.found === undefined ? Infinity : r.runs;
    });
    const found = runs.filter((r) => r !== Infinity).length;
    row.push(`${strategy}: median ${median(runs)} (${found}/${seeds.length} found; ${runs.join(" ")}) ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  console.log(row.join("  "));
}
