// The spinlock model hunted with fixed seeds: every locking mistake is caught,
// by the validator when it is on and as the deadlock it is when it is off;
// correct use survives, nested locks included, and the validator stays quiet.
import { describe, expect, it } from "vitest";
import { hunt } from "../src/harness/hunt.ts";
import { removableEvents } from "../src/harness/minimize.ts";
import { replayCounterexample } from "../src/harness/replay.ts";
import { runSchedule } from "../src/harness/run.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";

const model = findModel("spinlock")!;
const correctRuns = Number(process.env.KRH_RUNS ?? 3000);

describe("spinlock: buggy variants are caught", () => {
  const cases: { variant: string; lockdep: number; expect: string }[] = [
    { variant: "plain-lock-in-irq", lockdep: 1, expect: "lockdep" },
    { variant: "plain-lock-in-irq", lockdep: 0, expect: "deadlock" },
    { variant: "unlock-irq-nested", lockdep: 1, expect: "lockdep" },
    { variant: "unlock-irq-nested", lockdep: 0, expect: "deadlock" },
    { variant: "shared-flags", lockdep: 1, expect: "irq-state" },
    { variant: "sleep-under-lock", lockdep: 1, expect: "sleep-in-atomic" },
    { variant: "no-preempt-disable", lockdep: 1, expect: "deadlock" },
  ];
  for (const c of cases) {
    it(`${c.variant} with lockdep=${c.lockdep}: ${c.expect}`, () => {
      const config = variantConfig(model, c.variant, { lockdep: c.lockdep });
      const cx = hunt({ model, variant: c.variant, config, runs: 2000, seed: 1 }).counterexample;
      expect(cx?.property).toBe(c.expect);
      expect(replayCounterexample(cx!, model).every((v) => v.ok)).toBe(true);
      expect(removableEvents({ model, variant: c.variant, config, workload: cx!.workload, property: cx!.property }, cx!.schedule)).toEqual([]);
    });
  }

  it("the deadlock report names the cycle through the interrupted context", () => {
    const config = variantConfig(model, "plain-lock-in-irq", { lockdep: 0 });
    const cx = hunt({ model, variant: "plain-lock-in-irq", config, runs: 2000, seed: 1 }).counterexample!;
    expect(cx.failure.message).toBe("deadlock: nic#1 on cpu0 spins until priv->lock is released (held by T0); T0 on cpu0 is interrupted by nic#1 and resumes only when it returns");
  });

  it("no-preempt-disable: the SCHED_FIFO interrupt thread spins on a lock whose preempted holder cannot run", () => {
    const cx = hunt({ model, variant: "no-preempt-disable", config: variantConfig(model, "no-preempt-disable"), runs: 2000, seed: 1 }).counterexample!;
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

  it("with the interrupt routed to another CPU the deadlock cannot happen, and the validator still reports", () => {
    const workload = { threads: [{ cpu: 0, sends: 2 }], irq: { cpus: [1], count: 2 }, nested: false };
    const off = hunt({ model, variant: "plain-lock-in-irq", config: variantConfig(model, "plain-lock-in-irq", { cpus: 2, lockdep: 0 }), runs: 500, seed: 1 });
    const on = runSchedule(model, "plain-lock-in-irq", variantConfig(model, "plain-lock-in-irq", { cpus: 2 }), workload, [{ kind: "irq", cpu: 1, line: "nic" }]);
    expect(on.failure?.property).toBe("lockdep");
    expect(runSchedule(model, "plain-lock-in-irq", variantConfig(model, "plain-lock-in-irq", { cpus: 2, lockdep: 0 }), workload, [{ kind: "irq", cpu: 1, line: "nic" }]).failure).toBeUndefined();
    expect(off.counterexample?.property ?? "none").not.toBe("lockdep");
  });
});

describe("spinlock: correct use survives and the validator stays silent", () => {
  for (const cpus of [1, 2]) {
    it(`irqsave on ${cpus} CPU(s), ${correctRuns} runs, nested locks included`, () => {
      const r = hunt({ model, variant: "irqsave", config: variantConfig(model, "irqsave", { cpus }), runs: correctRuns, seed: 7 + cpus });
      expect(r.counterexample?.failure.message).toBeUndefined();
      expect(r.runs).toBe(correctRuns);
    });
  }
});
