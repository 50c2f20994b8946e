// What a model of one's own may be: a name with underscores, a setup() that
// returns nothing and leaves the checking to the machine.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { defineModel, fc, hunt, kthread_run, DEFINE_SPINLOCK, spin_lock, spin_unlock, variantConfig } from "../../src/index.ts";
import { cli, fixture, jsonFiles, tmp } from "../helpers/cli.ts";

const abba = defineModel<number>({
  name: "my_driver",
  description: "two threads take two locks in opposite orders",
  variants: { abba: { description: "A then B, and B then A", correct: false }, ordered: { description: "A then B in both", correct: true } },
  properties: {},
  defaults: { cpus: 2, maxSteps: 200, lockdep: 0 },
  workload: () => fc.constant(0),
  setup(variant) {
    const a = DEFINE_SPINLOCK("a");
    const b = DEFINE_SPINLOCK("b");
    const [first, second] = variant === "abba" ? [b, a] : [a, b];
    kthread_run(function* () {
      yield* spin_lock(a);
      yield* spin_lock(b);
      yield* spin_unlock(b);
      yield* spin_unlock(a);
    }, "T0", { cpu: 0 });
    kthread_run(function* () {
      yield* spin_lock(first);
      yield* spin_lock(second);
      yield* spin_unlock(second);
      yield* spin_unlock(first);
    }, "T1", { cpu: 1 });
  },
});

describe("a model of one's own", () => {
  it("may be named with underscores and return nothing from setup(): the machine's own checks still catch its bug", () => {
    const caught = hunt({ model: abba, variant: "abba", config: variantConfig(abba, "abba"), runs: 500, seed: 1 });
    expect(caught.counterexample?.property).toBe("deadlock");
    const passes = hunt({ model: abba, variant: "ordered", config: variantConfig(abba, "ordered"), runs: 500, seed: 1 });
    expect(passes.counterexample).toBeUndefined();
  });

  it("setup-returns-nothing runs as a model with no checks of its own", async () => {
    const r = await cli(["hunt", "--model-file", path.relative(process.cwd(), fixture("crashes.ts")), "setup-returns-nothing", "--runs", "20", "--quiet"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  it("--out creates the folder and its missing parents", async () => {
    const out = path.join(tmp(), "a", "b", "c");
    const r = await cli(["hunt", "mempool", "--variant", "preempt-lock", "--seed", "22", "--out", out, "--quiet"]);
    expect(r.code).toBe(1);
    expect(jsonFiles(out)).toHaveLength(1);
  });
});
