// Runs per second of correct variants, for before/after comparisons of the
// harness's own speed. With --against DIR (another checkout, e.g. made with
// `git worktree add /tmp/base <commit>`), both are loaded into this one
// process and measured in turn, so that other work on the machine weighs on
// both alike.
//   npx tsx bench/speed.ts [--runs 3000] [--reps 5] [--strategy fast-check] [--models mempool,channel] [--against DIR]
import * as path from "node:path";
import { parseArgs } from "node:util";
import { middleBy } from "./middle.ts";

const { values } = parseArgs({
  options: { runs: { type: "string" }, reps: { type: "string" }, strategy: { type: "string" }, models: { type: "string" }, against: { type: "string" } },
});
const runs = Number(values.runs ?? 3000);
const reps = Number(values.reps ?? 5);
const CASES: [string, string][] = [
  ["mempool", "irq-preempt-lock"],
  ["channel", "correct"],
  ["rcu", "barrier-unload"],
  ["spinlock", "irqsave"],
  ["netback-pool", "reclaim-checked"],
  ["shadow-driver", "correct"],
  ["xen-busdma", "deferred-load"],
  ["virtio-evtchn", "correct"],
];
const cases = values.models === undefined ? CASES : CASES.filter(([m]) => values.models!.split(",").includes(m));

interface Tree {
  name: string;
  hunt: (o: object) => { runs: number };
  findModel: (name: string) => unknown;
  variantConfig: (model: unknown, variant: string) => object;
}

async function load(root: string, name: string): Promise<Tree> {
  const from = (f: string) => import(path.resolve(root, f));
  return {
    name,
    hunt: (await from("src/harness/hunt.ts")).hunt,
    findModel: (await from("src/models/index.ts")).findModel,
    variantConfig: (await from("src/kernel/model.ts")).variantConfig,
  };
}

/** Runs per CPU-second of one hunt: CPU time, not wall time, counts less of what else runs on the machine. */
function once(t: Tree, model: string, variant: string, n: number): number {
  const m = t.findModel(model);
  const before = process.cpuUsage();
  const r = t.hunt({ model: m, variant, config: t.variantConfig(m, variant), runs: n, seed: 1, strategy: values.strategy });
  const used = process.cpuUsage(before);
  return r.runs / ((used.user + used.system) / 1e6);
}

const median = (xs: number[]) => middleBy(xs, (x) => x);
const trees = [await load(path.resolve(import.meta.dirname, ".."), "this")];
if (values.against !== undefined) trees.unshift(await load(values.against, "against"));

for (const [model, variant] of cases) {
  for (const t of trees) once(t, model, variant, Math.min(runs, 500)); // warm up
  const rates = trees.map(() => [] as number[]);
  for (let i = 0; i < reps; i++) trees.forEach((t, k) => rates[k]!.push(once(t, model, variant, runs)));
  const cells = trees.map((t, k) => `${t.name}: median ${Math.round(median(rates[k]!))}, best ${Math.round(Math.max(...rates[k]!))} runs/s`);
  const ratio = trees.length === 2 ? `  (x${(median(rates[1]!) / median(rates[0]!)).toFixed(2)})` : "";
  console.log(`${model}/${variant}: ${cells.join(" | ")}${ratio}`);
}
