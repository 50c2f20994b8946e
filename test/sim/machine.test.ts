import { describe, expect, it } from "vitest";
import { local_irq_disable, local_irq_enable, preempt_disable, preempt_enable, smp_processor_id } from "../../src/kernel/index.ts";
import type { ScheduleEvent } from "../../src/sim/index.ts";
import { Machine, sleepWait, spinWait, yieldWait } from "../../src/sim/index.ts";

const step = (cpu = 0): ScheduleEvent => ({ kind: "step", cpu });
const irq = (cpu = 0, line = "dev"): ScheduleEvent => ({ kind: "irq", cpu, line });

function machine(cpus = 1, maxSteps = 1000) {
  return new Machine({ cpus, maxSteps, trace: true });
}

/** Applies events in order, returning which were enabled. */
function apply(m: Machine, events: ScheduleEvent[]): boolean[] {
  return events.map((e, i) => m.apply(e, i));
}

describe("steps", () => {
  it("runs code between two yields as one step, labelled by the yield", () => {
    const m = machine();
    const log: string[] = [];
    m.spawn(
      "T0",
      function* () {
        log.push("a");
        log.push("b");
        yield "first";
        log.push("c");
        yield "second";
      },
      { cpu: 0 },
    );
    apply(m, [step()]);
    expect(log).toEqual(["a", "b"]);
    apply(m, [step()]);
    expect(log).toEqual(["a", "b", "c"]);
    expect(m.trace.map((t) => t.text)).toEqual(["first", "second"]);
  });

  it("records the end of a context and then has nothing to step", () => {
    const m = machine();
    const t = m.spawn("T0", function* () {}, { cpu: 0 });
    expect(apply(m, [step(), step()])).toEqual([true, false]);
    expect(t.done).toBe(true);
  });

  it("turns an exception in model code into an oops failure", () => {
    const m = machine();
    m.spawn(
      "T0",
      function* () {
        yield "fine";
        throw new Error("NULL pointer dereference");
      },
      { cpu: 0 },
    );
    apply(m, [step(), step()]);
    expect(m.failure?.property).toBe("oops");
    expect(m.failure?.message).toContain("NULL pointer dereference");
    expect(m.failure?.contexts).toEqual(["T0"]);
  });
});

describe("interrupts", () => {
  function withIrq(count = 1) {
    const m = machine();
    const log: string[] = [];
    m.spawn(
      "T0",
      function* () {
        log.push("t1");
        yield "t1";
        log.push("t2");
        yield "t2";
      },
      { cpu: 0 },
    );
    m.requestIrq(
      "dev",
      function* () {
        log.push("h1");
        yield "h1";
        log.push("h2");
        yield "h2";
      },
      { cpus: [0], count },
    );
    return { m, log };
  }

  it("nests the handler on the interrupted context, which resumes only after the handler returns", () => {
    const { m, log } = withIrq();
    expect(apply(m, [step(), irq()])).toEqual([true, true]);
    const cpu = m.cpus[0]!;
    expect(cpu.inIrq).toBe(true);
    expect(cpu.irqsEnabled).toBe(false); // handlers run with interrupts off
    apply(m, [step(), step(), step()]);
    expect(cpu.inIrq).toBe(false);
    expect(cpu.irqsEnabled).toBe(true); // restored on return
    apply(m, [step()]);
    expect(log).toEqual(["t1", "h1", "h2", "t2"]);
  });

  it("delivers an interrupt only while its CPU has interrupts enabled", () => {
    const m = machine();
    m.spawn(
      "T0",
      function* () {
        local_irq_disable();
        yield "irqs off";
        local_irq_enable();
        yield "irqs on";
      },
      { cpu: 0 },
    );
    m.requestIrq("dev", function* () {}, { cpus: [0], count: 1 });
    expect(apply(m, [step(), irq(), step(), irq()])).toEqual([true, false, true, true]);
  });

  it("delivers no more fresh interrupts than the line's budget, and none on CPUs it is not routed to", () => {
    const { m } = withIrq(1);
    expect(apply(m, [irq(), step(), step(), step(), irq()])).toEqual([true, true, true, true, false]);
    const m2 = machine(2);
    m2.requestIrq("dev", function* () {}, { cpus: [0], count: 1 });
    expect(m2.isEnabled(irq(1))).toBe(false);
  });

  it("delivers a pending interrupt in the drain once interrupts are on", () => {
    const m = machine();
    const log: string[] = [];
    m.requestIrq(
      "ipi",
      function* () {
        log.push("handler");
      },
      { cpus: [0], count: 0 },
    );
    m.spawn(
      "T0",
      function* () {
        local_irq_disable();
        m.raiseIrq(0, "ipi");
        yield "raise with irqs off";
        log.push("still off");
        local_irq_enable();
        yield "irqs on";
        log.push("after");
      },
      { cpu: 0 },
    );
    m.drain(0);
    expect(log).toEqual(["still off", "handler", "after"]);
    expect(m.failure).toBeUndefined();
  });
});

describe("preemption and migration", () => {
  function twoThreads() {
    const m = machine(2);
    const log: string[] = [];
    for (const name of ["A", "B"])
      m.spawn(
        name,
        function* () {
          log.push(`${name}1`);
          yield "1";
          preempt_disable();
          yield "preempt off";
          preempt_enable();
          log.push(`${name}@${smp_processor_id()}`);
          yield "preempt on";
        },
        { cpu: 0 },
      );
    return { m, log };
  }

  it("switches threads only at preempt count 0, outside interrupt context", () => {
    const { m, log } = twoThreads();
    expect(m.isEnabled({ kind: "preempt", cpu: 0, to: "B" })).toBe(true);
    apply(m, [step(), step()]); // A: "1", then preempt off
    expect(m.isEnabled({ kind: "preempt", cpu: 0, to: "B" })).toBe(false);
    apply(m, [step()]); // A: preempt on again
    expect(apply(m, [{ kind: "preempt", cpu: 0, to: "B" }, step()])).toEqual([true, true]);
    expect(log).toEqual(["A1", "A@0", "B1"]);
  });

  it("does not preempt inside an interrupt handler", () => {
    const { m } = twoThreads();
    m.requestIrq(
      "dev",
      function* () {
        yield "h";
      },
      { cpus: [0], count: 1 },
    );
    apply(m, [irq()]);
    expect(m.isEnabled({ kind: "preempt", cpu: 0, to: "B" })).toBe(false);
  });

  it("migrates a preemptible thread, which then runs on its new CPU", () => {
    const { m, log } = twoThreads();
    expect(apply(m, [{ kind: "migrate", thread: "A", cpu: 1 }, step(1), step(1), step(1)])).toEqual([true, true, true, true]);
    expect(log).toEqual(["A1", "A@1"]);
  });

  it("never migrates a thread that runs with preemption disabled, nor a pinned one", () => {
    const { m } = twoThreads();
    apply(m, [step(), step()]);
    expect(m.isEnabled({ kind: "migrate", thread: "A", cpu: 1 })).toBe(false);
    expect(m.isEnabled({ kind: "migrate", thread: "B", cpu: 1 })).toBe(true); // B waits in the run queue
    const m2 = machine(2);
    m2.spawn("P", function* () {}, { cpu: 0, pinned: true });
    expect(m2.isEnabled({ kind: "migrate", thread: "P", cpu: 1 })).toBe(false);
  });
});

describe("priorities", () => {
  it("never preempts a real-time thread for a normal one, and starts the highest priority ready thread first", () => {
    const m = machine(1);
    const order: string[] = [];
    const body = (name: string) =>
      function* () {
        order.push(name);
        yield `${name} runs`;
      };
    m.spawn("normal", body("normal"), { cpu: 0 });
    m.spawn("rt", body("rt"), { cpu: 0, prio: 50 });
    m.spawn("normal2", body("normal2"), { cpu: 0 });
    expect(m.preemptTargets(m.cpus[0]!).map((t) => t.name)).toEqual(["rt", "normal2"]);
    apply(m, [{ kind: "preempt", cpu: 0, to: "rt" }]);
    expect(m.preemptTargets(m.cpus[0]!)).toEqual([]);
    m.drain(1);
    expect(order).toEqual(["rt", "normal2", "normal"]); // the preempted thread went to the back
  });

  it("reports a real-time thread spinning on a lock held by a preempted normal thread on its CPU", () => {
    const m = machine(1);
    const lock = { owner: null as string | null };
    m.spawn(
      "holder",
      function* () {
        lock.owner = "holder";
        yield "take (preemption stays on)";
        lock.owner = null;
        yield "release";
      },
      { cpu: 0 },
    );
    m.spawn(
      "rt",
      function* () {
        yield spinWait(() => lock.owner === null, "the lock is released", () => lock.owner);
      },
      { cpu: 0, prio: 50 },
    );
    apply(m, [step(), { kind: "preempt", cpu: 0, to: "rt" }, step()]);
    m.drain(3);
    expect(m.failure?.property).toBe("deadlock");
    expect(m.failure?.message).toBe("deadlock: rt on cpu0 spins until the lock is released; holder on cpu0 is ready but cpu0 is held by rt, which has a higher priority (SCHED_FIFO 50)");
  });

  it("never preempts a SCHED_FIFO thread for another of the same priority", () => {
    const m = machine(1);
    for (const name of ["fifo1", "fifo2"])
      m.spawn(
        name,
        function* () {
          yield "run";
        },
        { cpu: 0, prio: 50 },
      );
    expect(m.preemptTargets(m.cpus[0]!)).toEqual([]);
  });

  it("lets a yielding thread give way to the next ready one", () => {
    const m = machine(1);
    const order: string[] = [];
    m.spawn(
      "A",
      function* () {
        order.push("A1");
        yield yieldWait("schedule()");
        order.push("A2");
      },
      { cpu: 0 },
    );
    m.spawn(
      "B",
      function* () {
        order.push("B");
      },
      { cpu: 0 },
    );
    m.drain(0);
    expect(order).toEqual(["A1", "B", "A2"]);
  });
});

describe("blocking, deadlock and hangs", () => {
  it("does not step a context spinning on a condition that does not hold", () => {
    const m = machine(2);
    const flag = { set: false };
    m.spawn(
      "waiter",
      function* () {
        yield spinWait(() => flag.set, "flag");
        yield "got it";
      },
      { cpu: 0 },
    );
    m.spawn(
      "setter",
      function* () {
        flag.set = true;
        yield "set";
      },
      { cpu: 1 },
    );
    expect(apply(m, [step(0), step(0), step(1), step(0)])).toEqual([true, false, true, true]);
    expect(m.trace.at(-1)?.text).toBe("got it");
  });

  it("reports a deadlock naming what each context waits for", () => {
    const m = machine(1);
    m.spawn(
      "T0",
      function* () {
        preempt_disable();
        yield spinWait(() => false, "a lock nobody releases");
      },
      { cpu: 0 },
    );
    m.spawn("T1", function* () {}, { cpu: 0 });
    m.drain(0);
    expect(m.failure?.property).toBe("deadlock");
    expect(m.failure?.message).toContain("T0 on cpu0 spins until a lock nobody releases");
    expect(m.failure?.message).toContain("T1 on cpu0 is ready but cpu0 is held by T0, which cannot be preempted");
    expect(m.failure?.contexts).toEqual(["T0", "T1"]);
  });

  it("names the cycle when a handler waits for what the context it interrupted holds", () => {
    const m = machine(1);
    const lock = { owner: null as string | null };
    m.spawn(
      "T0",
      function* () {
        lock.owner = "T0";
        yield "take";
        lock.owner = null;
        yield "release";
      },
      { cpu: 0 },
    );
    m.requestIrq(
      "dev",
      function* () {
        yield spinWait(() => lock.owner === null, "L is released", () => lock.owner);
      },
      { cpus: [0], count: 1 },
    );
    apply(m, [step(), irq()]);
    m.drain(2);
    expect(m.failure?.property).toBe("deadlock");
    expect(m.failure?.message).toBe("deadlock: dev#1 on cpu0 spins until L is released; T0 on cpu0 is interrupted by dev#1 and resumes only when it returns");
    expect(m.failure?.contexts).toEqual(["dev#1", "T0"]);
  });

  it("names the cycle of two threads each spinning on what the other holds", () => {
    const m = machine(2);
    const owner: Record<string, string | null> = { A: null, B: null };
    const taker = (me: string, first: string, second: string) =>
      function* () {
        owner[first] = me;
        yield `take ${first}`;
        yield spinWait(() => owner[second] === null, `${second} is released`, () => owner[second]!);
      };
    m.spawn("T0", taker("T0", "A", "B"), { cpu: 0 });
    m.spawn("T1", taker("T1", "B", "A"), { cpu: 1 });
    apply(m, [step(0), step(1)]);
    m.drain(2);
    expect(m.failure?.message).toBe("deadlock: T0 on cpu0 spins until B is released; T1 on cpu1 spins until A is released");
  });

  it("lets a sleeping thread give its CPU to another, and wakes it when its condition holds", () => {
    const m = machine(1);
    const box = { full: false };
    const log: string[] = [];
    m.spawn(
      "consumer",
      function* () {
        yield sleepWait(() => box.full, "box full");
        log.push("consumed");
      },
      { cpu: 0 },
    );
    m.spawn(
      "producer",
      function* () {
        box.full = true;
        log.push("produced");
        yield "fill";
      },
      { cpu: 0 },
    );
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual(["produced", "consumed"]);
  });

  it("does not count a daemon left asleep as a deadlock", () => {
    const m = machine(1);
    m.spawn(
      "worker",
      function* () {
        for (;;) yield sleepWait(() => false, "work");
      },
      { cpu: 0, daemon: true },
    );
    m.drain(0);
    expect(m.failure).toBeUndefined();
  });

  it("flags a sleep with preemption disabled", () => {
    const m = machine(1);
    m.spawn(
      "T0",
      function* () {
        preempt_disable();
        yield sleepWait(() => false, "never");
      },
      { cpu: 0 },
    );
    m.drain(0);
    expect(m.failure?.property).toBe("sleep-in-atomic");
  });

  it("turns a run that never ends into a hang failure at the step bound", () => {
    const m = machine(1, 50);
    m.spawn(
      "spinner",
      function* () {
        for (;;) yield "again";
      },
      { cpu: 0 },
    );
    m.drain(0);
    expect(m.failure?.property).toBe("hang");
    expect(m.steps).toBe(50);
  });
});

describe("more machine rules", () => {
  it("flags a sleep in an interrupt handler and a sleep with interrupts off", () => {
    const m = machine(1);
    m.requestIrq(
      "dev",
      function* () {
        yield sleepWait(() => false, "never");
      },
      { cpus: [0], count: 1 },
    );
    apply(m, [irq(), step()]);
    expect(m.failure?.property).toBe("sleep-in-atomic");
    expect(m.failure?.message).toContain("in an interrupt handler");
    const m2 = machine(1);
    m2.spawn(
      "T0",
      function* () {
        local_irq_disable();
        yield sleepWait(() => false, "never");
      },
      { cpu: 0 },
    );
    m2.drain(0);
    expect(m2.failure?.message).toContain("with interrupts disabled");
  });

  it("does not migrate a thread while a handler is nested on it", () => {
    const m = machine(2);
    m.spawn(
      "T0",
      function* () {
        yield "a";
        yield "b";
      },
      { cpu: 0 },
    );
    m.requestIrq(
      "dev",
      function* () {
        yield "h";
      },
      { cpus: [0], count: 1 },
    );
    expect(m.isEnabled({ kind: "migrate", thread: "T0", cpu: 1 })).toBe(true);
    apply(m, [irq()]);
    expect(m.isEnabled({ kind: "migrate", thread: "T0", cpu: 1 })).toBe(false);
  });

  it("drains the CPU that ran last first, then the lowest one that can run", () => {
    const m = machine(3);
    const order: string[] = [];
    for (const cpu of [0, 1, 2])
      m.spawn(
        `T${cpu}`,
        function* () {
          order.push(`T${cpu}a`);
          yield "a";
          order.push(`T${cpu}b`);
          yield "b";
        },
        { cpu },
      );
    apply(m, [step(1)]);
    m.drain(1);
    expect(order).toEqual(["T1a", "T1b", "T0a", "T0b", "T2a", "T2b"]);
  });

  it("preempts, in the drain, a thread that spins with preemption on while another on its CPU can run", () => {
    const m = machine(1);
    const flag = { set: false };
    m.spawn(
      "waiter",
      function* () {
        yield spinWait(() => flag.set, "flag");
      },
      { cpu: 0 },
    );
    m.spawn(
      "setter",
      function* () {
        flag.set = true;
        yield "set";
      },
      { cpu: 0 },
    );
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(m.trace.map((t) => t.text)).toContain("waiter preempted by the tick, setter runs");
  });

  it("applies environment events, and lets the environment move in the drain", () => {
    const m = machine(1);
    const clock = { now: 0 };
    m.addEnvSource({
      name: "clock",
      enabled: () => (clock.now < 2 ? [{ kind: "env", source: "clock", arg: clock.now + 1 }] : []),
      apply: (e) => {
        clock.now = Number(e.arg);
        return `tick ${clock.now}`;
      },
      drainMove: () => (clock.now < 2 ? { kind: "env", source: "clock", arg: clock.now + 1 } : undefined),
    });
    m.spawn(
      "sleeper",
      function* () {
        yield sleepWait(() => clock.now >= 2, "time 2");
      },
      { cpu: 0 },
    );
    expect(m.isEnabled({ kind: "env", source: "clock", arg: 2 })).toBe(false);
    expect(apply(m, [{ kind: "env", source: "clock", arg: 1 }])).toEqual([true]);
    m.drain(1);
    expect(m.failure).toBeUndefined();
    expect(m.trace.filter((t) => t.cpu < 0).map((t) => t.text)).toEqual(["tick 1", "tick 2"]);
  });

  it("never preempts to a thread that is asleep, and an idle CPU takes the first ready thread of the highest priority", () => {
    const m = machine(1);
    m.spawn(
      "runner",
      function* () {
        yield "run";
        yield "run";
      },
      { cpu: 0 },
    );
    const sleeper = m.spawn(
      "sleeper",
      function* () {
        yield "start";
      },
      { cpu: 0 },
    );
    sleeper.waiting = sleepWait(() => false, "never");
    expect(m.preemptTargets(m.cpus[0]!)).toEqual([]);
    const m2 = machine(1);
    for (const [name, prio] of [
      ["low", 0],
      ["high", 10],
      ["high2", 10],
    ] as const)
      m2.spawn(
        name,
        function* () {
          yield name;
        },
        { cpu: 0, prio },
      );
    m2.cpus[0]!.runqueue.unshift(m2.cpus[0]!.current!);
    m2.cpus[0]!.current = null; // idle, all three waiting
    apply(m2, [step()]);
    expect(m2.trace[0]!.ctx).toBe("high");
  });
});
