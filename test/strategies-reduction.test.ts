// Exhaustive search's reduction of independent steps (src/strategies/
// reduction.ts): fewer schedules where the machine can see what steps touch,
// the same verdicts as the search without it, and exactly the search it was
// where it cannot see.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { litmusOutcomes } from "../src/harness/litmus.ts";
import type { LitmusTest } from "../src/harness/litmus.ts";
import { litmusModel } from "../src/harness/litmus-model.ts";
import { Workloads, searchOnline } from "../src/harness/online.ts";
import { atomic_inc, atomic_read, DEFINE_ATOMIC } from "../src/kernel/atomic.ts";
import { DEFINE_SHARED, READ_ONCE, WRITE_ONCE, shared_state_in_memory_only, smp_mb } from "../src/kernel/barrier.ts";
import type { AnyModel, MachineConfig } from "../src/kernel/model.ts";
import { defineModel, variantConfig } from "../src/kernel/model.ts";
import { kthread_run } from "../src/kernel/sched.ts";
import { DEFINE_SPINLOCK, spin_lock, spin_unlock } from "../src/kernel/spinlock.ts";
import type { MemoryModel } from "../src/sim/memory.ts";
import { findModel } from "../src/models/index.ts";
import type { BoundKind } from "../src/strategies/scheduler.ts";
import { createExhaustive } from "../src/strategies/exhaustive.ts";

/** An exhaustive search of one workload of `model`; `reduce` off is the search as it was. */
function search(model: AnyModel, variant: string, config: MachineConfig, o: { bound: number; boundKind?: BoundKind; reduce: boolean; workloads?: number }) {
  const workloads = new Workloads(model.workload(config), 1);
  const scheduler = createExhaustive({ seed: 1, depth: 3, bound: o.bound, boundKind: o.boundKind, workloads: o.workloads ?? 1, shard: { index: 0, count: 1 }, reduce: o.reduce });
  const r = searchOnline({ model, variant, config, runs: 1e6, seed: 1 }, scheduler, workloads);
  return { found: r.found !== undefined, runs: r.runs, complete: r.exhausted, slept: Number(r.report.slept) };
}

/** A litmus test searched for `exists` under `memory`. */
function litmus(test: LitmusTest, exists: string, memory: MemoryModel, bound: number, boundKind: BoundKind, reduce: boolean) {
  const model = litmusModel(test, exists, memory);
  return search(model, "search", variantConfig(model, "search"), { bound, boundKind, reduce });
}

// Two CPUs: each stores its word, then loads the other's.
const SB: LitmusTest = {
  name: "SB",
  locations: { x: 0, y: 0 },
  threads: [
    function* (w, r) {
      WRITE_ONCE(w.x!, 1);
      yield "x = 1";
      r.r0 = READ_ONCE(w.y!);
      yield "r0 = y";
    },
    function* (w, r) {
      WRITE_ONCE(w.y!, 1);
      yield "y = 1";
      r.r1 = READ_ONCE(w.x!);
      yield "r1 = x";
    },
  ],
};

// Message passing: data then flag; flag then data.
const MP: LitmusTest = {
  name: "MP",
  locations: { data: 0, flag: 0 },
  threads: [
    function* (w) {
      WRITE_ONCE(w.data!, 1);
      yield "data = 1";
      WRITE_ONCE(w.flag!, 1);
      yield "flag = 1";
    },
    function* (w, r) {
      r.r0 = READ_ONCE(w.flag!);
      yield "r0 = flag";
      r.r1 = READ_ONCE(w.data!);
      yield "r1 = data";
    },
  ],
};

// SB with each CPU's store and load under one lock, and a full barrier after the store.
const SBlocked: LitmusTest = {
  name: "SB+lock+mb",
  locations: { x: 0, y: 0 },
  locks: ["l"],
  threads: [
    function* (w, r, l) {
      yield* spin_lock(l.l!);
      WRITE_ONCE(w.x!, 1);
      smp_mb();
      yield "x = 1";
      r.r0 = READ_ONCE(w.y!);
      yield "r0 = y";
      yield* spin_unlock(l.l!);
    },
    function* (w, r, l) {
      WRITE_ONCE(w.y!, 1);
      yield "y = 1";
      yield* spin_lock(l.l!);
      r.r1 = READ_ONCE(w.x!);
      yield "r1 = x";
      yield* spin_unlock(l.l!);
    },
  ],
};

// Four CPUs: two writers, two readers that read the words in opposite orders.
const IRIW: LitmusTest = {
  name: "IRIW",
  locations: { x: 0, y: 0 },
  threads: [
    function* (w) {
      WRITE_ONCE(w.x!, 1);
      yield "x = 1";
    },
    function* (w) {
      WRITE_ONCE(w.y!, 1);
      yield "y = 1";
    },
    function* (w, r) {
      r.r0 = READ_ONCE(w.x!);
      yield "r0 = x";
      r.r1 = READ_ONCE(w.y!);
      yield "r1 = y";
    },
    function* (w, r) {
      r.r2 = READ_ONCE(w.y!);
      yield "r2 = y";
      r.r3 = READ_ONCE(w.x!);
      yield "r3 = x";
    },
  ],
};

/**
 * Three CPUs add 1 to a counter: in two steps (a load, then a store: an
 * update may be lost), under a spinlock, or with atomic_inc(). `plain`
 * keeps the count in a plain field and says nothing: its steps are opaque.
 */
const counter = defineModel<number>({
  name: "counter",
  description: "three CPUs add 1 each",
  variants: {
    racy: { description: "load, then store", correct: false },
    locked: { description: "under a spinlock", correct: true },
    atomic: { description: "atomic_inc()", correct: true },
    plain: { description: "a plain field, load then store, the machine not told", correct: false },
  },
  properties: { count: "the counter ends at 3" },
  defaults: { cpus: 3, maxSteps: 1000, memory: "sc", lockdep: 0 },
  workload: () => fc.constant(0),
  setup(variant) {
    if (variant !== "plain") shared_state_in_memory_only();
    const word = DEFINE_SHARED("count", 0);
    const atom = DEFINE_ATOMIC("acount", 0);
    const lock = DEFINE_SPINLOCK("l");
    const field = { count: 0 };
    for (let cpu = 0; cpu < 3; cpu++)
      kthread_run(
        function* () {
          if (variant === "atomic") {
            atomic_inc(atom);
            yield "atomic_inc";
            return;
          }
          if (variant === "locked") yield* spin_lock(lock);
          const v = variant === "plain" ? field.count : READ_ONCE(word);
          yield "load";
          if (variant === "plain") field.count = v + 1;
          else WRITE_ONCE(word, v + 1);
          yield "store";
          if (variant === "locked") yield* spin_unlock(lock);
        },
        `T${cpu}`,
        { cpu, pinned: true },
      );
    const total = () => (variant === "atomic" ? atomic_read(atom) : variant === "plain" ? field.count : READ_ONCE(word));
    return { finals: { count: () => (total() === 3 ? undefined : `the counter ends at ${total()}`) } };
  },
});

describe("exhaustive search's reduction", () => {
  it("SB (two CPUs) under tso is searched to completion in 261 schedules, where the search without the reduction takes 630", () => {
    const on = litmus(SB, "r0=9", "tso", 20, "deviation", true);
    const off = litmus(SB, "r0=9", "tso", 20, "deviation", false);
    expect([on.complete, off.complete]).toEqual([true, true]);
    // A bound of 20 is no bound here: one of 30 tries no more.
    expect(litmus(SB, "r0=9", "tso", 30, "deviation", true).runs).toBe(on.runs);
    expect(litmus(SB, "r0=9", "tso", 30, "deviation", false).runs).toBe(off.runs);
    expect([on.runs, off.runs]).toEqual([261, 630]);
    expect(on.slept).toBeGreaterThan(0);
  });

  it("IRIW (four CPUs) under sc is searched to completion in 737 schedules, where every one of the 25,200 interleavings was tried", () => {
    const on = litmus(IRIW, "r0=1 r1=0 r2=1 r3=0", "sc", 12, "preemption", true);
    const off = litmus(IRIW, "r0=1 r1=0 r2=1 r3=0", "sc", 12, "preemption", false);
    expect(on).toMatchObject({ found: false, complete: true, runs: 737 });
    expect(off).toMatchObject({ found: false, complete: true, runs: 25_200 });
  });

  // Every bound of 1, 2 and 8 with KRH_REDUCTION=all (5 s); by default one bound that cuts the search, and under sc one that does not.
  const allBounds = process.env.KRH_REDUCTION === "all";
  it("finds every outcome the search without it finds, and no other, at every kind of bound", () => {
    let checks = 0;
    for (const test of [SB, MP, SBlocked])
      for (const memory of ["sc", "tso", "weak"] as const) {
        const reachable = [...litmusOutcomes(test, memory).keys()];
        // Every outcome the machine can reach, and one it cannot (a register that never holds 2).
        for (const exists of [...reachable, `${reachable[0]!.split(" ")[0]!.split("=")[0]}=2`])
          for (const boundKind of ["preemption", "deviation", "delay"] as const)
            // Bounds that cut the search, and (but under weak, too large a search without the reduction) one that does not.
            for (const bound of allBounds ? (memory === "weak" ? [1, 2] : [1, 2, 8]) : memory === "weak" ? [1] : memory === "sc" ? [2, 8] : [2]) {
              const on = litmus(test, exists, memory, bound, boundKind, true);
              const off = litmus(test, exists, memory, bound, boundKind, false);
              expect(on.complete || on.found, `${test.name} ${memory} ${exists}`).toBe(true);
              expect(on.found, `${test.name} under ${memory}, ${exists}, ${bound} ${boundKind}s`).toBe(off.found);
              expect(on.runs).toBeLessThanOrEqual(off.runs);
              checks++;
            }
      }
    expect(checks).toBeGreaterThan(allBounds ? 200 : 100);
  });

  it("finds the lost update of a counter the search without it finds, and passes the locked and atomic ones with fewer schedules", () => {
    const runs: Record<string, [number, number]> = {};
    for (const variant of ["racy", "locked", "atomic"]) {
      const config = variantConfig(counter, variant);
      for (const bound of [0, 1, 2]) {
        const on = search(counter, variant, config, { bound, reduce: true });
        const off = search(counter, variant, config, { bound, reduce: false });
        expect(on.found, `${variant} at bound ${bound}`).toBe(off.found);
        expect(on.found).toBe(variant === "racy" && bound > 0);
        if (bound === 2) runs[variant] = [on.runs, off.runs];
      }
    }
    expect(runs.locked![0]).toBeLessThan(runs.locked![1]);
    expect(runs.atomic![0]).toBeLessThan(runs.atomic![1]);
  });

  it("where the steps are opaque (a plain field, under sc and tso; mempool), the search is the one it was: the same schedules, none left out", () => {
    for (const memory of ["sc", "tso"])
      for (const bound of [1, 2, 3]) {
        const plain = variantConfig(counter, "plain", { memory });
        const on = search(counter, "plain", plain, { bound, reduce: true });
        const off = search(counter, "plain", plain, { bound, reduce: false });
        expect(on).toEqual({ ...off, slept: 0 });
      }
    const mempool = findModel("mempool")!;
    const config = variantConfig(mempool, "irq-preempt-lock");
    const on = search(mempool, "irq-preempt-lock", config, { bound: 1, reduce: true, workloads: 2 });
    const off = search(mempool, "irq-preempt-lock", config, { bound: 1, reduce: false, workloads: 2 });
    expect(on.complete).toBe(true);
    expect(on).toEqual({ ...off, slept: 0 });
  });
});
