// Partial order sampling and the selectively uniform random walk: the same
// seed makes the same search, each finds buggy variants of the built-in
// models within a modest budget, and neither reports a correct variant.
import { describe, expect, it } from "vitest";
import { hunt, search } from "../src/harness/hunt.ts";
import { removableEvents } from "../src/harness/minimize.ts";
import { searchOnline } from "../src/harness/online.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";
import { findStrategy } from "../src/strategies/index.ts";

const mempool = findModel("mempool")!;
const spinlock = findModel("spinlock")!;
const rcu = findModel("rcu")!;

const undated = <T extends { found: { date: string } }>(cx: T | undefined) => cx && { ...cx, found: { ...cx.found, date: "" } };

/** Per strategy, the seeds its finds are pinned to (a search is deterministic for its seed). */
const SEEDS: Record<string, { mempool: number; rcu: number }> = {
  pos: { mempool: 4, rcu: 5 },
  surw: { mempool: 6, rcu: 5 },
};

describe.each(["pos", "surw"])("%s", (strategy) => {
  const seeds = SEEDS[strategy]!;

  it("is registered, and a fresh scheduler repeats the same runs for the same seed", () => {
    const def = findStrategy(strategy)!;
    expect(def.name).toBe(strategy);
    const config = variantConfig(mempool, "irq-preempt-lock");
    const schedules = () => {
      const runs: string[] = [];
      const s = def.create({ seed: 9, depth: 3, bound: 2, workloads: 20, shard: { index: 0, count: 1 } });
      const recording = { ...s, next: (...a: Parameters<typeof s.next>) => { const e = s.next(...a); runs.push(JSON.stringify(e)); return e; } };
      searchOnline({ model: mempool, variant: "irq-preempt-lock", config, runs: 20, seed: 9 }, recording);
      return runs;
    };
    const a = schedules();
    expect(a.length).toBeGreaterThan(100);
    expect(schedules()).toEqual(a);
  });

  it("gives the same counterexample for the same seed", () => {
    const config = variantConfig(mempool, "preempt-lock");
    const once = () => hunt({ model: mempool, variant: "preempt-lock", config, runs: 500, seed: seeds.mempool, strategy }).counterexample;
    const a = once();
    expect(a).toBeDefined();
    expect(a!.found.strategy).toBe(strategy);
    expect(undated(once())).toEqual(undated(a));
  });

  it("finds the allocator's interrupt race (mempool preempt-lock), reduced to a 1-minimal schedule", () => {
    const config = variantConfig(mempool, "preempt-lock");
    const cx = hunt({ model: mempool, variant: "preempt-lock", config, runs: 500, seed: seeds.mempool, strategy }).counterexample!;
    expect(["conservation", "no-double-alloc", "page-accounting", "oops"]).toContain(cx.property);
    expect(removableEvents({ model: mempool, variant: "preempt-lock", config, workload: cx.workload, property: cx.property }, cx.schedule)).toEqual([]);
  });

  // Finding is what these two show: the search alone (the reduction of what it finds is the same whatever found it, and tested with the models).
  it("finds the lock taken in the interrupt handler with interrupts on (spinlock plain-lock-in-irq)", () => {
    const r = search({ model: spinlock, variant: "plain-lock-in-irq", config: variantConfig(spinlock, "plain-lock-in-irq"), runs: 200, seed: 1, strategy });
    expect(r.found?.property).toBe("lockdep");
  });

  it("finds the rcu_barrier() that counts from zero (rcu count-from-zero)", () => {
    const r = search({ model: rcu, variant: "count-from-zero", config: variantConfig(rcu, "count-from-zero"), runs: 400, seed: seeds.rcu, strategy });
    expect(r.found?.property).toBe("rcu-barrier");
  });

  for (const [model, variant] of [
    [spinlock, "irqsave"],
    [mempool, "irq-preempt-lock"],
  ] as const) {
    it(`passes the correct ${model.name} ${variant}`, () => {
      const r = hunt({ model, variant, config: variantConfig(model, variant), runs: 150, seed: 1, strategy });
      expect(r.counterexample).toBeUndefined();
      expect(r.runs).toBe(150);
    });
  }
});

describe("what each strategy says of its search", () => {
  it("pos keeps the priorities of events that do not race with the one taken", () => {
    const r = hunt({ model: rcu, variant: "barrier-unload", config: variantConfig(rcu, "barrier-unload"), runs: 20, seed: 1, strategy: "pos" });
    const { kept, redrawn } = r.report as { kept: number; redrawn: number };
    expect(redrawn).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0); // a random walk would redraw them all
  });

  it("surw learns the contexts of the hunt's runs", () => {
    const r = hunt({ model: rcu, variant: "barrier-unload", config: variantConfig(rcu, "barrier-unload"), runs: 20, seed: 1, strategy: "surw" });
    expect(r.report?.contexts).toBeGreaterThan(3);
  });
});
