// --property P: another property's violation does not end a run where the
// machine can go on, and runs that another property did end are counted.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, fixture } from "../helpers/cli.ts";
import { defineModel, fc, hunt, kthread_run, replayCounterexample, variantConfig, violation, DEFINE_SPINLOCK, spin_lock } from "../../src/index.ts";

const twoBugs = defineModel<number>({
  name: "two_bugs",
  description: "one bug always shows first, the other needs an interleaving",
  variants: {
    both: { description: "a noisy bug at the first step, a counter race later", correct: false },
    "stuck-first": { description: "a deadlock always ends the run before the race can show", correct: false },
  },
  properties: { noisy: "shows at the first step of every run", "lost-update": "two increments are not lost" },
  defaults: { cpus: 2, maxSteps: 100, lockdep: 0 },
  workload: () => fc.constant(0),
  setup(variant) {
    const c = { n: 0 };
    const inc = (name: string, cpu: number) =>
      kthread_run(function* () {
        if (variant === "both" && cpu === 0) violation("noisy", "the noisy bug");
        if (variant === "stuck-first") {
          const l = DEFINE_SPINLOCK(`l${cpu}`);
          yield* spin_lock(l);
          yield* spin_lock(l); // deadlocks on itself
        }
        const v = c.n;
        yield `load n (${v})`;
        c.n = v + 1;
        yield `store n = ${v + 1}`;
      }, name, { cpu });
    inc("A", 0);
    inc("B", 1);
    return { finals: { "lost-update": () => (c.n === 2 ? undefined : `n is ${c.n} after two increments`) } };
  },
});

describe("--property", () => {
  it("the property asked about is found past another that always breaks first, and the file replays", () => {
    const config = variantConfig(twoBugs, "both");
    expect(hunt({ model: twoBugs, variant: "both", config, runs: 200, seed: 1 }).counterexample?.property).toBe("noisy");
    const cx = hunt({ model: twoBugs, variant: "both", config, runs: 500, seed: 1, property: "lost-update" }).counterexample!;
    expect(cx.property).toBe("lost-update");
    expect(cx.failure.message).toBe("n is 1 after two increments");
    expect(replayCounterexample(cx, twoBugs).every((v) => v.ok)).toBe(true);
  });

  it("runs that a property the run cannot go on after ended are counted, not passed", () => {
    const r = hunt({ model: twoBugs, variant: "stuck-first", config: variantConfig(twoBugs, "stuck-first"), runs: 50, seed: 1, property: "lost-update" });
    expect(r.counterexample).toBeUndefined();
    expect(r.endedEarly).toEqual({ deadlock: 50 });
  });

  it("the command line says so instead of 'passed'", async () => {
    const r = await cli(["hunt", "--model-file", path.relative(process.cwd(), fixture("stuck-first.ts")), "--property", "late", "--runs", "20", "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: no failure of late in 20 runs in [\d.]+ s; 20 run\(s\) ended early on another property \(deadlock: 20\)$/m);
  });
});
