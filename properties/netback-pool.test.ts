// The netback page pool hunted with fixed seeds: each way the design goes
// wrong is caught as what it is, and the design itself survives.
import { describe, expect, it } from "vitest";
import { hunt } from "../src/harness/hunt.ts";
import { replayCounterexample } from "../src/harness/replay.ts";
import { runSchedule } from "../src/harness/run.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { runsFromEnv } from "../src/vitest.ts";
import { FreeListWalker, freeCount, freeListOnce } from "../src/models/netback-pool/checks.ts";
import model from "../src/models/netback-pool/index.ts";
import type { Pool } from "../src/models/netback-pool/pool.ts";

const correctRuns = runsFromEnv(1500);

describe("netback-pool: buggy variants are caught", () => {
  // Seeds and budgets keep each hunt (search and shrinking) to a few hundred milliseconds.
  const cases: { variant: string; seed: number; runs: number; expect: string[] }[] = [
    { variant: "no-page-count", seed: 20, runs: 500, expect: ["page-in-use"] },
    { variant: "spin-lock-only", seed: 1, runs: 500, expect: ["lockdep"] },
    // A lost update of the free list shows as whichever of its symptoms a check sees first
    // (the oops: get_free_entry's BUG() on a free_count that says an entry is there when none is).
    { variant: "lockless-link", seed: 9, runs: 1000, expect: ["free-count", "free-list-once", "one-holder", "nothing-lost", "oops"] },
    { variant: "clear-before-check", seed: 19, runs: 500, expect: ["nothing-lost"] },
    // The narrowest race of the model: about one run in a thousand hits it.
    { variant: "count-before-mark", seed: 49, runs: 1000, expect: ["page-in-use"] },
  ];
  for (const c of cases) {
    it(`${c.variant}: ${c.expect.join(" or ")}`, () => {
      const config = variantConfig(model, c.variant);
      const cx = hunt({ model, variant: c.variant, config, runs: c.runs, seed: c.seed }).counterexample;
      expect(cx?.failure.message).toBeDefined();
      expect(c.expect).toContain(cx!.property);
      // It fails the same way on replay, and the correct variant survives the same schedule.
      expect(replayCounterexample(cx!, model).every((v) => v.ok)).toBe(true);
    });
  }

  it("spin-lock-only without lockdep: the interrupt spins on the lock its own CPU's thread holds", () => {
    const config = variantConfig(model, "spin-lock-only", { lockdep: 0 });
    const cx = hunt({ model, variant: "spin-lock-only", config, runs: 500, seed: 2 }).counterexample!;
    expect(cx.property).toBe("deadlock");
    expect(replayCounterexample(cx, model).every((v) => v.ok)).toBe(true);
    expect(cx.failure.message).toMatch(/^deadlock: xenvif#1 on cpu(\d) spins until pool_lock is released \(held by T\d\); T\d on cpu\1 is interrupted by xenvif#1/);
  });
});

describe("netback-pool: the races, step by step", () => {
  const workload = {
    poolSize: 2,
    threads: [
      { cpu: 0, ops: ["xmit", "complete"] },
      { cpu: 1, ops: ["xmit"] },
    ],
    irq: { cpus: [], count: 0, ops: ["xmit"] },
    tasklet: [],
  };
  // T0 takes pool[0]; T1 takes the lock on cpu1 and loads free_head (1); the drain then runs
  // T0 to its end (the stack drops the page, put_free_entry) before T1 stores free_head.
  const schedule = [...Array(8).fill({ kind: "step", cpu: 0 }), ...Array(3).fill({ kind: "step", cpu: 1 }), { kind: "step", cpu: 0 }];

  it("lockless-link: put_free_entry links pool[0] while T1 is between its load and store of free_head; pool[0] is lost", () => {
    const f = runSchedule(model, "lockless-link", variantConfig(model, "lockless-link"), workload, schedule).failure;
    expect(f?.property).toBe("free-count");
    expect(f?.message).toBe("free_count is 1, but the free list holds 0 entries (empty)");
  });

  it("reclaim-checked: the same schedule is harmless, the mark is one store and the list is changed under the lock", () => {
    expect(runSchedule(model, "reclaim-checked", variantConfig(model, "reclaim-checked"), workload, schedule).failure).toBeUndefined();
  });

  it("one thread, the stack's softirq held off: no-page-count hands out a page the stack holds, clear-before-check loses the entry", () => {
    // Both entries out to the stack, pool[0] completed (marked RECLAIMABLE), then a third xmit scans:
    // 24 steps of T0 with no net-rx softirq in between, the rest drained.
    const w = { poolSize: 2, threads: [{ cpu: 0, ops: ["xmit", "xmit", "complete", "xmit"] }], irq: { cpus: [], count: 0, ops: ["xmit"] }, tasklet: [] };
    const steps = Array(24).fill({ kind: "step", cpu: 0 });
    const failure = (variant: string) => runSchedule(model, variant, variantConfig(model, variant, { cpus: 1 }), w, steps).failure;
    expect(failure("no-page-count")?.message).toBe("get_free_entry() hands pool[0] to T0 while the network stack still holds 1 reference(s) to its page (page_count 2)");
    expect(failure("clear-before-check")?.message).toBe("pool[0] is lost: on no free list, not RECLAIMABLE, held by nobody");
    // The design skips pool[0] (page_count 2), finds nothing, and the packet is dropped; pool[0] is reclaimed later.
    expect(failure("reclaim-checked")).toBeUndefined();
    // Run without deviations, the stack drops every page at once and none of them fails.
    for (const variant of ["no-page-count", "clear-before-check"]) expect(runSchedule(model, variant, variantConfig(model, variant, { cpus: 1 }), w, []).failure).toBeUndefined();
  });
});

describe("netback-pool: the design survives", () => {
  it(`reclaim-checked, ${correctRuns} runs on 2 CPUs`, () => {
    const r = hunt({ model, variant: "reclaim-checked", config: variantConfig(model, "reclaim-checked"), runs: correctRuns, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
    expect(r.runs).toBe(correctRuns);
  });

  it("reclaim-checked, 500 runs of the portfolio of strategies", () => {
    const r = hunt({ model, variant: "reclaim-checked", config: variantConfig(model, "reclaim-checked"), runs: 500, seed: 2, strategy: "portfolio" });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});

describe("netback-pool: the checks' walk of the free list", () => {
  /** The fields the checks read, of a pool of `size` entries whose free list is `next` from `head`. */
  const poolOf = (size: number, head: number, next: Record<number, number>, count: number, held: [number, string][] = []) =>
    ({ size, free_head: head, free_list: Array.from({ length: size }, (_, i) => next[i] ?? -1), free_count: count, held: new Map(held), lock: { locked: false }, lockless: 0 }) as unknown as Pool;
  const straight = poolOf(4, 0, { 0: 1, 1: 2 }, 3);
  const cycle = poolOf(4, 0, { 0: 1, 1: 0 }, 2);
  const handedOut = poolOf(4, 0, { 0: 1, 1: 2 }, 3, [[1, "T0"]]);

  it("counts the list, and finds a cycle or an entry handed out, with no marks left over from one walk to the next", () => {
    const walker = new FreeListWalker();
    expect([straight, cycle, straight, handedOut, cycle].map((p) => walker.length(p, true))).toEqual([3, -1, 3, -1, -1]);
    expect(walker.length(handedOut, false)).toBe(3);
  });

  it("words what it finds as the listing walk does", () => {
    const walker = new FreeListWalker();
    expect(freeListOnce(straight, walker)).toBeUndefined();
    expect(freeListOnce(cycle, walker)).toBe("pool[0] is on the free list twice: free_head = 0, then 0 -> 1 -> 0 again");
    expect(freeListOnce(handedOut, walker)).toBe("pool[1] is on the free list (0 -> 1 -> 2) while T0 has it");
    expect(freeCount(straight, false, walker)).toBeUndefined();
    expect(freeCount(cycle, false, walker)).toBeUndefined(); // free-list-once says so
    expect(freeCount({ ...straight, free_count: 2 } as Pool, false, walker)).toBe("free_count is 2, but the free list holds 3 entries (0 -> 1 -> 2)");
  });
});
