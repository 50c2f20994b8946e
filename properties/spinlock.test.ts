// The spinlock model hunted with fixed seeds: every locking mistake is caught,
// by the validator when it is on and as the deadlock it is when it is off;
// correct use survives, nested locks included, and the validator stays quiet.
import { runsFromEnv } from "../src/vitest.ts";
import { describe, expect, it } from "vitest";
import type { Counterexample } from "../src/harness/counterexample.ts";
import { hunt } from "../src/harness/hunt.ts";
import { removableEvents } from "../src/harness/minimize.ts";
import { replayCounterexample } from "../src/harness/replay.ts";
import seedrandom from "seedrandom";
import { Run, runSchedule } from "../src/harness/run.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";

const model = findModel("spinlock")!;
const correctRuns = runsFromEnv(10000);

/** What the fixed-seed hunt of a buggy variant finds, hunted once for all the tests that read it. */
const found = new Map<string, Counterexample | undefined>();
function caught(variant: string, lockdep = 1): Counterexample | undefined {
  const key = `${variant}/lockdep=${lockdep}`;
  if (!found.has(key)) found.set(key, hunt({ model, variant, config: variantConfig(model, variant, { lockdep }), runs: 2000, seed: 1 }).counterexample);
  return found.get(key);
}

describe("spinlock: buggy variants are caught", () => {
  const cases: { variant: string; lockdep: number; expect: string }[] = [
    { variant: "plain-lock-in-irq", lockdep: 1, expect: "lockdep" },
    { variant: "plain-lock-in-irq", lockdep: 0, expect: "deadlock" },
    { variant: "unlock-irq-nested", lockdep: 1, expect: "irq-state" },
    { variant: "unlock-irq-nested", lockdep: 0, expect: "irq-state" },
    { variant: "shared-flags", lockdep: 1, expect: "irq-state" },
    { variant: "sleep-under-lock", lockdep: 1, expect: "sleep-in-atomic" },
    { variant: "no-preempt-disable", lockdep: 1, expect: "deadlock" },
  ];
  for (const c of cases) {
    it(`${c.variant} with lockdep=${c.lockdep}: ${c.expect}`, () => {
      const config = variantConfig(model, c.variant, { lockdep: c.lockdep });
      const cx = caught(c.variant, c.lockdep);
      expect(cx?.property).toBe(c.expect);
      expect(replayCounterexample(cx!, model).every((v) => v.ok)).toBe(true);
      expect(removableEvents({ model, variant: c.variant, config, workload: cx!.workload, property: cx!.property }, cx!.schedule)).toEqual([]);
    });
  }

  it("the deadlock report names the cycle through the interrupted context", () => {
    const cx = caught("plain-lock-in-irq", 0)!;
    expect(cx.failure.message).toBe("deadlock: nic#1 on cpu0 spins until priv->lock is released (held by T0); T0 on cpu0 is interrupted by nic#1 and resumes only when it returns");
  });

  it("no-preempt-disable: the SCHED_FIFO interrupt thread spins on a lock whose preempted holder cannot run", () => {
    const cx = caught("no-preempt-disable")!;
    expect(cx.failure.message).toMatch(/^deadlock: irq\/nic on cpu0 spins until priv->ring_lock is released \(held by T\d\); T\d on cpu0 is ready but cpu0 is held by irq\/nic, which has a higher priority \(SCHED_FIFO 50\)$/);
    expect(cx.schedule.some((e) => e.kind === "preempt" && e.to === "irq/nic")).toBe(true);
  });
});

describe("spinlock: the validator reports before any deadlock", () => {
  it("plain-lock-in-irq, interrupt outside the critical section: no deadlock, and both usages named", () => {
    const workload = { threads: [{ cpu: 0, sends: 1 }], irq: { cpus: [0], count: 1 }, nested: false };
    const schedule = [{ kind: "irq" as const, cpu: 0, line: "nic" }]; // the handler runs to completion before T0 locks
    const off = runSchedule(model, "plain-lock-in-irq", variantConfig(model, "plain-lock-in-irq", { lockdep: 0 }), workload, schedule);
    expect(off.failure).toBeUndefined(); // this execution does not deadlock
    const on = runSchedule(model, "plain-lock-in-irq", variantConfig(model, "plain-lock-in-irq"), workload, schedule).failure!;
    expect(on.property).toBe("lockdep");
    expect(on.message).toMatch(
      /^inconsistent \{IN-HARDIRQ-W\} -> \{HARDIRQ-ON-W\} usage of priv->lock: T0 on cpu0 \(spin_lock\(priv->lock\) at drain action \d+\) holds it with hardirqs enabled, but nic#1 on cpu0 \(spin_lock\(priv->lock\) at drain action \d+\) took it in hardirq context/,
    );
    expect(on.contexts).toEqual(["T0", "nic#1"]);
  });

  it("with the interrupt routed to another CPU than the (bound) thread's the deadlock cannot happen, and the validator still reports", () => {
    const workload = { threads: [{ cpu: 0, sends: 2 }], irq: { cpus: [1], count: 2 }, nested: false };
    const variant = "plain-lock-in-irq";
    // 1000 random interleavings without the validator, the thread kept on cpu0: never a deadlock, never anything.
    // (Let it migrate to cpu1 and the deadlock is back: the interrupt can land on it there.)
    const rng = seedrandom("cpu1-only");
    for (let i = 0; i < 1000; i++) {
      const run = new Run(model, variant, variantConfig(model, variant, { cpus: 2, lockdep: 0 }), workload);
      for (let k = 0; k < 60 && run.failure === undefined; k++) {
        const evs = run.machine.enabledEvents().filter((e) => e.kind !== "migrate");
        if (evs.length === 0) break;
        run.offer(evs[Math.floor(rng() * evs.length)]!);
      }
      expect(run.finish()).toBeUndefined();
    }
    // With it, the first run in which the interrupt fires is reported.
    const on = runSchedule(model, variant, variantConfig(model, variant, { cpus: 2 }), workload, [{ kind: "irq", cpu: 1, line: "nic" }]);
    expect(on.failure?.property).toBe("lockdep");
  });
});

describe("spinlock: correct use survives and the validator stays silent", () => {
  for (const cpus of [1, 2]) {
    const runs = cpus === 1 ? correctRuns : Math.min(correctRuns, 5000);
    it(`irqsave on ${cpus} CPU(s), ${runs} runs, nested locks included`, () => {
      const r = hunt({ model, variant: "irqsave", config: variantConfig(model, "irqsave", { cpus }), runs, seed: 7 + cpus });
      expect(r.counterexample?.failure.message).toBeUndefined();
      expect(r.runs).toBe(runs);
    });
  }

  it("the allocator's irq-preempt-lock and mpsc-queue, annotated as local locks, give lockdep nothing to report", () => {
    const mempool = findModel("mempool")!;
    for (const variant of ["irq-preempt-lock", "mpsc-queue"]) {
      const r = hunt({ model: mempool, variant, config: variantConfig(mempool, variant, { lockdep: 1 }), runs: 2000, seed: 5 });
      expect(r.counterexample?.failure.message).toBeUndefined();
    }
  });

  it("the allocator's preempt-lock is reported by lockdep at once: its handler takes the pool's local lock", () => {
    const mempool = findModel("mempool")!;
    const cx = hunt({ model: mempool, variant: "preempt-lock", config: variantConfig(mempool, "preempt-lock", { lockdep: 1 }), runs: 2000, seed: 1 }).counterexample!;
    expect(cx.property).toBe("lockdep");
    expect(cx.failure.message).toMatch(/^inconsistent \{(IN-HARDIRQ-W|HARDIRQ-ON-W)\} -> \{(HARDIRQ-ON-W|IN-HARDIRQ-W)\} usage of preempt_lock: /);
  });

  it("a threaded interrupt sharing the ring with spin_lock (preemption off) survives", () => {
    // The no-preempt-disable driver with its hand-rolled lock swapped for spin_lock.
    const r = hunt({ model, variant: "threaded-spin-lock", config: variantConfig(model, "threaded-spin-lock"), runs: 3000, seed: 3 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});
