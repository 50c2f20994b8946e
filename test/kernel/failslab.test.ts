// Fault injection: with `failslab`, the schedule may make an allocation
// fail, so an error path that leaks a lock is reached and caught.
import { describe, expect, it } from "vitest";
import { DEFINE_SPINLOCK, GFP_ATOMIC, defineModel, fc, hunt, kmalloc, kthread_run, spin_lock, spin_unlock, variantConfig } from "../../src/index.ts";
import type { Gen } from "../../src/index.ts";
import { cli, tmp } from "../helpers/cli.ts";

const probe = defineModel<number>({
  name: "alloc_under_lock",
  description: "allocates under a lock and bails out when the allocation fails",
  variants: {
    "unlock-on-error": { description: "the error path unlocks", correct: true },
    "return-with-lock": { description: "return -ENOMEM with the lock still held", correct: false },
  },
  properties: {},
  defaults: { cpus: 1, maxSteps: 100 },
  workload: () => fc.constant(0),
  setup(variant) {
    const lock = DEFINE_SPINLOCK("dev->lock");
    kthread_run(function* probe(): Gen {
      yield* spin_lock(lock);
      const buf = yield* kmalloc(64, GFP_ATOMIC);
      if (buf === null) {
        if (variant === "unlock-on-error") yield* spin_unlock(lock);
        yield "return -ENOMEM";
        return;
      }
      yield "fill the buffer";
      yield* spin_unlock(lock);
    }, "probe", { cpu: 0 });
  },
});

describe("failslab", () => {
  it("without fault injection the allocation never fails, and the broken error path is never reached", () => {
    const r = hunt({ model: probe, variant: "return-with-lock", config: variantConfig(probe, "return-with-lock"), runs: 300, seed: 1 });
    expect(r.counterexample).toBeUndefined();
  });

  it("with failslab=1 the schedule makes the allocation fail: the error path returns with the lock held", () => {
    const config = variantConfig(probe, "return-with-lock", { failslab: 1 });
    const cx = hunt({ model: probe, variant: "return-with-lock", config, runs: 300, seed: 1 }).counterexample!;
    expect(cx.property).toBe("irq-state");
    expect(cx.failure.message).toMatch(/^probe on cpu0 returns still holding dev->lock/);
    expect(cx.schedule).toEqual([{ kind: "env", source: "failslab", arg: "fail" }]);
  });

  it("the right error path survives the same injection", () => {
    const config = variantConfig(probe, "unlock-on-error", { failslab: 2 });
    expect(hunt({ model: probe, variant: "unlock-on-error", config, runs: 300, seed: 1 }).counterexample).toBeUndefined();
  });

  it("--set failslab=N is a setting every model takes, and a file hunted with it replays", async () => {
    const r = await cli(["hunt", "spinlock", "--variant", "irqsave", "--set", "failslab=1", "--runs", "50", "--quiet"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const out = tmp();
    const found = await cli(["hunt", "spinlock", "--variant", "sleep-under-lock", "--set", "failslab=1", "--out", out, "--quiet"]);
    expect(found.code, found.err).toBe(1);
    expect(found.out).toMatch(/^  saved /m);
    const replayed = await cli(["replay", out]);
    expect(replayed.out).toMatch(/^1 as expected, 0 not as expected, 0 unreadable$/m);
    expect(replayed.code).toBe(0);
  });
});
