import { describe, expect, it } from "vitest";
import {
  alloc_percpu,
  DEFINE_SPINLOCK,
  installKernel,
  local_irq_restore,
  local_irq_save,
  per_cpu,
  smp_processor_id,
  spin_lock,
  spin_lock_irqsave,
  spin_unlock,
  spin_unlock_irqrestore,
  this_cpu_ptr,
} from "../../src/kernel/index.ts";
import { Machine, setBooting } from "../../src/sim/index.ts";

describe("local_irq_save / local_irq_restore", () => {
  it("restores exactly the state that was saved, nested", () => {
    const m = new Machine({ cpus: 1, maxSteps: 100 });
    const seen: boolean[] = [];
    m.spawn(
      "T0",
      function* () {
        const outer = local_irq_save();
        const inner = local_irq_save();
        local_irq_restore(inner);
        seen.push(m.cpus[0]!.irqsEnabled);
        local_irq_restore(outer);
        seen.push(m.cpus[0]!.irqsEnabled);
        yield "done";
      },
      { cpu: 0 },
    );
    m.drain(0);
    expect(seen).toEqual([false, true]);
  });
});

describe("per-CPU variables", () => {
  it("gives each CPU its own instance, reached from the CPU the caller runs on", () => {
    const m = new Machine({ cpus: 2, maxSteps: 100 });
    setBooting(m);
    const counter = alloc_percpu(() => ({ n: 0 }));
    setBooting(null);
    for (const cpu of [0, 1])
      m.spawn(
        `T${cpu}`,
        function* () {
          this_cpu_ptr(counter).n += 10 + smp_processor_id();
          yield "add";
        },
        { cpu },
      );
    m.drain(0);
    expect(counter.all().map((c) => c.n)).toEqual([10, 11]);
    expect(per_cpu(counter, 1)).toBe(counter.all()[1]);
  });
});

describe("spinlocks", () => {
  it("exclude each other across CPUs: the second locker spins until the first unlocks", () => {
    const m = new Machine({ cpus: 2, maxSteps: 200, trace: true });
    const lock = DEFINE_SPINLOCK("L");
    const inside: string[] = [];
    let holders = 0;
    let maxHolders = 0;
    for (const cpu of [0, 1])
      m.spawn(
        `T${cpu}`,
        function* () {
          yield* spin_lock(lock);
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          inside.push(`T${cpu}`);
          yield "critical section";
          holders--;
          yield* spin_unlock(lock);
        },
        { cpu },
      );
    // T0 takes the lock, then T1 tries and spins, then everything drains.
    expect(m.apply({ kind: "step", cpu: 0 }, 0)).toBe(true);
    expect(m.apply({ kind: "step", cpu: 1 }, 1)).toBe(true);
    expect(m.isEnabled({ kind: "step", cpu: 1 })).toBe(false);
    m.drain(2);
    expect(m.failure).toBeUndefined();
    expect(maxHolders).toBe(1);
    expect(inside).toEqual(["T0", "T1"]);
    expect(m.trace.some((t) => t.ctx === "T1" && t.text.startsWith("spins until L is released (held by T0)"))).toBe(true);
  });

  it("spin_lock_irqsave masks interrupts and preemption; spin_unlock_irqrestore restores both", () => {
    const m = new Machine({ cpus: 1, maxSteps: 100 });
    const lock = DEFINE_SPINLOCK("L");
    const states: [boolean, number][] = [];
    m.spawn(
      "T0",
      function* () {
        const flags = yield* spin_lock_irqsave(lock);
        states.push([m.cpus[0]!.irqsEnabled, m.cpus[0]!.preemptCount]);
        yield* spin_unlock_irqrestore(lock, flags);
        states.push([m.cpus[0]!.irqsEnabled, m.cpus[0]!.preemptCount]);
      },
      { cpu: 0 },
    );
    m.drain(0);
    expect(states).toEqual([
      [false, 1],
      [true, 0],
    ]);
  });

  it("an interrupt handler taking a lock its interrupted thread holds deadlocks (lockdep off: it would report first)", () => {
    const m = new Machine({ cpus: 1, maxSteps: 100 });
    installKernel(m, { lockdep: false });
    const lock = DEFINE_SPINLOCK("L");
    m.spawn(
      "T0",
      function* () {
        yield* spin_lock(lock);
        yield "holding";
        yield* spin_unlock(lock);
      },
      { cpu: 0 },
    );
    m.requestIrq(
      "dev",
      function* () {
        yield* spin_lock(lock);
        yield* spin_unlock(lock);
      },
      { cpus: [0], count: 1 },
    );
    m.apply({ kind: "step", cpu: 0 }, 0);
    m.apply({ kind: "irq", cpu: 0, line: "dev" }, 1);
    m.drain(2);
    expect(m.failure?.property).toBe("deadlock");
    expect(m.failure?.message).toBe("deadlock: dev#1 on cpu0 spins until L is released (held by T0); T0 on cpu0 is interrupted by dev#1 and resumes only when it returns");
  });
});
