import { describe, expect, it } from "vitest";
import type { Gen } from "../../src/kernel/index.ts";
import {
  DEFINE_MUTEX,
  DEFINE_SPINLOCK,
  GFP_ATOMIC,
  GFP_KERNEL,
  installKernel,
  kmalloc,
  local_irq_disable,
  local_irq_enable,
  lock_acquire,
  lock_acquired,
  lock_released,
  msleep,
  mutex_lock,
  mutex_unlock,
  preempt_disable,
  request_threaded_irq,
  spin_lock,
  spin_lock_irq,
  spin_lock_irqsave,
  spin_trylock,
  spin_trylock_irqsave,
  spin_unlock,
  spin_unlock_irq,
  spin_unlock_irqrestore,
  wait_event,
} from "../../src/kernel/index.ts";
import type { ScheduleEvent } from "../../src/sim/index.ts";
import { Machine, setBooting } from "../../src/sim/index.ts";

interface World {
  threads?: Record<string, { cpu?: number; prio?: number; body: () => Gen<unknown> }>;
  irq?: { cpus?: number[]; count?: number; handler: () => Gen<unknown> };
  cpus?: number;
  lockdep?: boolean;
}

/** Builds a machine with the kernel's checks, applies `events`, drains, and returns the failure. */
function run(w: World, events: ScheduleEvent[] = []) {
  const m = new Machine({ cpus: w.cpus ?? 1, maxSteps: 500, trace: true });
  installKernel(m, { lockdep: w.lockdep ?? true });
  for (const [name, t] of Object.entries(w.threads ?? {})) m.spawn(name, t.body, { cpu: t.cpu ?? 0, prio: t.prio });
  if (w.irq) m.requestIrq("dev", w.irq.handler, { cpus: w.irq.cpus ?? [0], count: w.irq.count ?? 1 });
  events.forEach((e, i) => m.apply(e, i));
  m.drain(events.length);
  return m.failure;
}

const step = (cpu = 0): ScheduleEvent => ({ kind: "step", cpu });

/** A body that takes `locks` in order with spin_lock and releases them in reverse. */
const nest = (...locks: ReturnType<typeof DEFINE_SPINLOCK>[]) =>
  function* () {
    for (const l of locks) yield* spin_lock(l);
    for (const l of [...locks].reverse()) yield* spin_unlock(l);
  };
const irq = (cpu = 0): ScheduleEvent => ({ kind: "irq", cpu, line: "dev" });

describe("lockdep: hardirq usage", () => {
  it("reports a lock taken in a handler and, at another time, with interrupts on: no deadlock needed", () => {
    const L = DEFINE_SPINLOCK("L");
    const f = run(
      {
        threads: {
          T0: {
            body: nest(L),
          },
        },
        irq: {
          handler: nest(L),
        },
      },
      [irq()], // the interrupt runs first, entirely outside T0's critical section
    );
    expect(f?.property).toBe("lockdep");
    expect(f?.message).toMatch(/^inconsistent \{IN-HARDIRQ-W\} -> \{HARDIRQ-ON-W\} usage of L: T0 on cpu0 \(spin_lock\(L\) at drain action \d+\) holds it with hardirqs enabled, but dev#1 on cpu0 \(spin_lock\(L\) at drain action \d+\) took it in hardirq context/);
    expect(f?.contexts).toEqual(["T0", "dev#1"]);
  });

  it("reports the other order too: taken with interrupts on first, then in a handler on another CPU", () => {
    const L = DEFINE_SPINLOCK("L");
    const f = run(
      {
        cpus: 2,
        threads: {
          T0: {
            body: nest(L),
          },
        },
        irq: {
          cpus: [1],
          handler: nest(L),
        },
      },
      [step(0), step(0), irq(1)],
    );
    expect(f?.property).toBe("lockdep");
    expect(f?.message).toMatch(/^inconsistent \{HARDIRQ-ON-W\} -> \{IN-HARDIRQ-W\} usage of L: dev#1 on cpu1 .* takes it in hardirq context, but T0 on cpu0 .* held it with hardirqs enabled/);
  });

  it("reports interrupts turned on while an irq-safe lock is held", () => {
    const A = DEFINE_SPINLOCK("A");
    const f = run(
      {
        threads: {
          T0: {
            body: function* () {
              const flags = yield* spin_lock_irqsave(A);
              local_irq_enable(); // as a helper called under the lock might
              yield "irqs on";
              local_irq_disable();
              yield* spin_unlock_irqrestore(A, flags);
            },
          },
        },
        irq: {
          handler: nest(A),
        },
      },
      [irq()],
    );
    expect(f?.property).toBe("lockdep");
    expect(f?.message).toMatch(/^inconsistent \{IN-HARDIRQ-W\} -> \{HARDIRQ-ON-W\} usage of A: T0 on cpu0 \(local_irq_enable\(\) at drain action \d+\) holds it with hardirqs enabled/);
  });

  it("stays silent on spin_lock_irqsave in process context and spin_lock in the handler, nested locks included", () => {
    const A = DEFINE_SPINLOCK("A");
    const B = DEFINE_SPINLOCK("B");
    const body = function* () {
      const flags = yield* spin_lock_irqsave(A);
      yield* spin_lock(B);
      yield* spin_unlock(B);
      yield* spin_unlock_irqrestore(A, flags);
    };
    const handler = nest(A, B);
    expect(run({ threads: { T0: { body } }, irq: { handler } }, [irq()])).toBeUndefined();
    expect(run({ threads: { T0: { body } }, irq: { handler } }, [step(), step(), step(), step(), irq()])).toBeUndefined();
  });
});

describe("lockdep: no reports on correct patterns", () => {
  const L = () => DEFINE_SPINLOCK("L");
  const patterns: [string, () => World][] = [
    [
      "nested irqsave with their own flags, the handler taking the outer lock",
      () => {
        const A = DEFINE_SPINLOCK("A");
        const B = DEFINE_SPINLOCK("B");
        return {
          threads: {
            T0: {
              body: function* () {
                const fa = yield* spin_lock_irqsave(A);
                const fb = yield* spin_lock_irqsave(B);
                yield* spin_unlock_irqrestore(B, fb);
                yield* spin_unlock_irqrestore(A, fa);
              },
            },
          },
          irq: {
            handler: nest(A),
          },
        };
      },
    ],
    [
      "spin_lock_irq in process context, spin_lock in the handler",
      () => {
        const l = L();
        return {
          threads: {
            T0: {
              body: function* () {
                yield* spin_lock_irq(l);
                yield* spin_unlock_irq(l);
              },
            },
          },
          irq: {
            handler: nest(l),
          },
        };
      },
    ],
    [
      "a lock used only in process context with interrupts on, on two CPUs, in one order",
      () => {
        const A = DEFINE_SPINLOCK("A");
        const B = DEFINE_SPINLOCK("B");
        const body = nest(A, B);
        return { cpus: 2, threads: { T0: { cpu: 0, body }, T1: { cpu: 1, body } } };
      },
    ],
    [
      "two locks of one class taken on two CPUs",
      () => {
        const a = DEFINE_SPINLOCK("dev0->lock", "dev->lock");
        const b = DEFINE_SPINLOCK("dev1->lock", "dev->lock");
        const body = (l: typeof a) =>
          nest(l);
        return { cpus: 2, threads: { T0: { cpu: 0, body: body(a) }, T1: { cpu: 1, body: body(b) } } };
      },
    ],
    [
      "hand-over-hand locking down a list",
      () => {
        const a = DEFINE_SPINLOCK("n0");
        const b = DEFINE_SPINLOCK("n1");
        const c = DEFINE_SPINLOCK("n2");
        return {
          threads: {
            T0: {
              body: function* () {
                yield* spin_lock(a);
                yield* spin_lock(b);
                yield* spin_unlock(a);
                yield* spin_lock(c);
                yield* spin_unlock(b);
                yield* spin_unlock(c);
              },
            },
          },
        };
      },
    ],
    [
      "a mutex, then an irq-safe spinlock inside it",
      () => {
        const M = DEFINE_MUTEX("M");
        const l = L();
        return {
          threads: {
            T0: {
              body: function* () {
                yield* mutex_lock(M);
                const f = yield* spin_lock_irqsave(l);
                yield* spin_unlock_irqrestore(l, f);
                yield* mutex_unlock(M);
              },
            },
          },
          irq: {
            handler: nest(l),
          },
        };
      },
    ],
  ];
  for (const [what, world] of patterns) {
    it(what, () => {
      for (const events of [[], [irq()], [step(), irq()], [step(), step(), irq()], [step(), step(), step(), irq()]] as ScheduleEvent[][]) {
        expect(run(world(), events)).toBeUndefined();
      }
    });
  }
});

describe("lockdep: lock order", () => {
  const order = (first: ReturnType<typeof DEFINE_SPINLOCK>, second: ReturnType<typeof DEFINE_SPINLOCK>) =>
    nest(first, second);

  it("reports A -> B and B -> A in one run that never deadlocks", () => {
    const A = DEFINE_SPINLOCK("A");
    const B = DEFINE_SPINLOCK("B");
    const f = run({ cpus: 2, threads: { T0: { cpu: 0, body: order(A, B) }, T1: { cpu: 1, body: order(B, A) } } });
    expect(f?.property).toBe("lockdep");
    expect(f?.message).toMatch(/^possible circular locking dependency detected: T1 on cpu1 \(spin_lock\(A\) at drain action \d+\) takes A while holding B, but B was taken while holding A by T0 on cpu0 \(spin_lock\(B\) at drain action \d+\)$/);
  });

  it("names every link of a longer cycle", () => {
    const [A, B, C] = ["A", "B", "C"].map((n) => DEFINE_SPINLOCK(n)) as [ReturnType<typeof DEFINE_SPINLOCK>, ReturnType<typeof DEFINE_SPINLOCK>, ReturnType<typeof DEFINE_SPINLOCK>];
    const f = run({ cpus: 3, threads: { T0: { cpu: 0, body: order(A, B) }, T1: { cpu: 1, body: order(B, C) }, T2: { cpu: 2, body: order(C, A) } } });
    expect(f?.message).toMatch(/takes A while holding C, but B was taken while holding A by T0 on cpu0 \(spin_lock\(B\) at drain action \d+\), C was taken while holding B by T1 on cpu1 \(spin_lock\(C\) at drain action \d+\)$/);
    expect(f?.contexts).toEqual(["T2", "T0", "T1"]);
  });

  it("without lockdep, the same two threads deadlock only when the hunt interleaves them, and the cycle is named", () => {
    const A = DEFINE_SPINLOCK("A");
    const B = DEFINE_SPINLOCK("B");
    const f = run({ lockdep: false, cpus: 2, threads: { T0: { cpu: 0, body: order(A, B) }, T1: { cpu: 1, body: order(B, A) } } }, [step(0), step(1)]);
    expect(f?.property).toBe("deadlock");
    expect(f?.message).toBe("deadlock: T0 on cpu0 spins until B is released (held by T1); T1 on cpu1 spins until A is released (held by T0)");
  });

  it("reports a hardirq-safe lock held while taking a hardirq-unsafe one", () => {
    const S = DEFINE_SPINLOCK("S");
    const U = DEFINE_SPINLOCK("U");
    const f = run(
      {
        threads: {
          T0: {
            body: function* () {
              const flags = yield* spin_lock_irqsave(S);
              yield* spin_lock(U);
              yield* spin_unlock(U);
              yield* spin_unlock_irqrestore(S, flags);
              yield* spin_lock(U); // U with hardirqs on: U is hardirq-unsafe
              yield* spin_unlock(U);
            },
          },
        },
        irq: {
          handler: function* () {
            yield* spin_lock(S); // S is hardirq-safe
            yield* spin_unlock(S);
          },
        },
      },
      [irq()],
    );
    expect(f?.property).toBe("lockdep");
    expect(f?.message).toMatch(/^HARDIRQ-safe -> HARDIRQ-unsafe lock order detected: S is taken in hardirq context \(dev#1/);
    expect(f?.message).toContain("; U was taken while holding S by T0 on cpu0 (spin_lock(U) at drain action");
  });

  it("reports taking a lock of a class already held", () => {
    const A = DEFINE_SPINLOCK("A");
    const f = run({
      threads: {
        T0: {
          body: function* () {
            yield* spin_lock(A);
            yield* spin_lock(A);
          },
        },
      },
    });
    expect(f?.message).toMatch(/^possible recursive locking detected/);
  });

  it("adds no dependency for a trylock, which cannot wait", () => {
    const A = DEFINE_SPINLOCK("A");
    const B = DEFINE_SPINLOCK("B");
    const tryOrder = (first: typeof A, second: typeof A) =>
      function* () {
        yield* spin_lock(first);
        if (yield* spin_trylock(second)) yield* spin_unlock(second);
        yield* spin_unlock(first);
      };
    expect(run({ cpus: 2, threads: { T0: { cpu: 0, body: order(A, B) }, T1: { cpu: 1, body: tryOrder(B, A) } } })).toBeUndefined();
  });
});

describe("trylock", () => {
  it("leaves interrupts and preemption as they were when it fails", () => {
    const L = DEFINE_SPINLOCK("L");
    const seen: [boolean, number][] = [];
    const m = new Machine({ cpus: 2, maxSteps: 100 });
    installKernel(m, { lockdep: true });
    m.spawn(
      "holder",
      function* () {
        yield* spin_lock(L);
        yield "hold";
        yield* spin_unlock(L);
      },
      { cpu: 0 },
    );
    m.spawn(
      "trier",
      function* () {
        const flags = yield* spin_trylock_irqsave(L);
        seen.push([m.cpus[1]!.irqsEnabled, m.cpus[1]!.preemptCount]);
        expect(flags).toBeNull();
      },
      { cpu: 1 },
    );
    m.apply(step(0), 0);
    m.apply(step(1), 1);
    m.drain(2);
    expect(m.failure).toBeUndefined();
    expect(seen).toEqual([[true, 0]]);
  });
});

describe("sleeping in atomic context", () => {
  it("wait_event under a spinlock is caught even when its condition already holds", () => {
    const l = DEFINE_SPINLOCK("L");
    const f = run({
      threads: {
        T0: {
          body: function* () {
            yield* spin_lock(l);
            yield wait_event(() => true, "nothing");
            yield* spin_unlock(l);
          },
        },
      },
    });
    expect(f?.property).toBe("sleep-in-atomic");
    expect(f?.message).toMatch(/wait_event\(nothing\) by T0 on cpu0: in_atomic\(\): 1, irqs_disabled\(\): 0, in_interrupt\(\): 0, locks held: L/);
  });

  const cases: [string, () => Gen<unknown>, RegExp][] = [
    [
      "GFP_KERNEL under a spinlock",
      function* () {
        const L = DEFINE_SPINLOCK("L");
        yield* spin_lock(L);
        yield* kmalloc(32, GFP_KERNEL);
      },
      /kmalloc\(32, GFP_KERNEL\) by T0 on cpu0: in_atomic\(\): 1, irqs_disabled\(\): 0, in_interrupt\(\): 0, locks held: L \(spin_lock\(L\) at drain action 0\)$/,
    ],
    [
      "msleep with interrupts off",
      function* () {
        local_irq_disable();
        yield* msleep(10);
      },
      /msleep\(10\) by T0 on cpu0: in_atomic\(\): 0, irqs_disabled\(\): 1/,
    ],
    [
      "mutex_lock with preemption off",
      function* () {
        preempt_disable();
        yield* mutex_lock(DEFINE_MUTEX("M"));
      },
      /mutex_lock\(M\) by T0 on cpu0: in_atomic\(\): 1/,
    ],
  ];
  for (const [what, body, msg] of cases) {
    it(`catches ${what}`, () => {
      const f = run({ threads: { T0: { body } } });
      expect(f?.property).toBe("sleep-in-atomic");
      expect(f?.message).toMatch(/^BUG: sleeping function called from invalid context: /);
      expect(f?.message).toMatch(msg);
    });
  }

  it("catches a sleep in an interrupt handler", () => {
    const f = run({ threads: {}, irq: { handler: () => msleep(1) } }, [irq()]);
    expect(f?.message).toMatch(/in_interrupt\(\): 1/);
  });

  it("allows GFP_ATOMIC under a spinlock, and sleeping with nothing held", () => {
    const L = DEFINE_SPINLOCK("L");
    const M = DEFINE_MUTEX("M");
    const f = run({
      threads: {
        T0: {
          body: function* () {
            yield* spin_lock(L);
            yield* kmalloc(32, GFP_ATOMIC);
            yield* spin_unlock(L);
            yield* mutex_lock(M);
            yield* msleep(5);
            yield* kmalloc(32, GFP_KERNEL);
            yield* mutex_unlock(M);
          },
        },
      },
    });
    expect(f).toBeUndefined();
  });

  it("lets a second mutex user sleep until the first unlocks", () => {
    const M = DEFINE_MUTEX("M");
    const body = function* () {
      yield* mutex_lock(M);
      yield* msleep(1);
      yield* mutex_unlock(M);
    };
    expect(run({ threads: { A: { body }, B: { body } } }, [step(), step(), step()])).toBeUndefined();
  });
});

describe("interrupt state discipline", () => {
  it("catches nested irqsave sharing one flags variable: interrupts stay off after the last restore", () => {
    const A = DEFINE_SPINLOCK("A");
    const B = DEFINE_SPINLOCK("B");
    const f = run({
      threads: {
        T0: {
          body: function* () {
            let flags = yield* spin_lock_irqsave(A);
            flags = yield* spin_lock_irqsave(B);
            yield* spin_unlock_irqrestore(B, flags);
            yield* spin_unlock_irqrestore(A, flags);
          },
        },
      },
    });
    expect(f?.property).toBe("irq-state");
    expect(f?.message).toBe("spin_unlock_irqrestore(A) by T0 leaves interrupts off, but spin_lock_irqsave(A) at drain action 0, the outermost save, found them on");
  });

  it("accepts flags handed across nested locks, as long as what is restored is right", () => {
    const A = DEFINE_SPINLOCK("A");
    const B = DEFINE_SPINLOCK("B");
    const f = run({
      threads: {
        T0: {
          body: function* () {
            const fa = yield* spin_lock_irqsave(A);
            const fb = yield* spin_lock_irqsave(B);
            yield* spin_unlock_irqrestore(A, fb); // B is still held: interrupts stay off
            yield* spin_unlock_irqrestore(B, fa); // the last one: back to what A's save found
          },
        },
      },
    });
    expect(f).toBeUndefined();
  });

  it("catches spin_unlock_irq turning interrupts on inside an irqsave region", () => {
    const A = DEFINE_SPINLOCK("A");
    const B = DEFINE_SPINLOCK("B");
    const f = run({
      threads: {
        T0: {
          body: function* () {
            const flags = yield* spin_lock_irqsave(A);
            yield* spin_lock_irq(B);
            yield* spin_unlock_irq(B);
            yield* spin_unlock_irqrestore(A, flags);
          },
        },
      },
    });
    expect(f?.property).toBe("irq-state");
    expect(f?.message).toBe("spin_unlock_irq(B) by T0 turns interrupts on while A, taken with them disabled (spin_lock_irqsave(A) at drain action 0), is still held");
  });

  it("catches spin_unlock_irq turning on interrupts that spin_lock_irq found off", () => {
    const B = DEFINE_SPINLOCK("B");
    const f = run({
      threads: {
        T0: {
          body: function* () {
            local_irq_disable();
            yield "irqs off";
            yield* spin_lock_irq(B);
            yield* spin_unlock_irq(B);
          },
        },
      },
    });
    expect(f?.message).toBe("spin_unlock_irq(B) by T0 leaves interrupts on, but spin_lock_irq(B) at drain action 1, the outermost save, found them off");
  });

  const exits: [string, () => Gen<unknown>, string][] = [
    [
      "a lock held",
      function* () {
        yield* spin_lock(DEFINE_SPINLOCK("L"));
      },
      "T0 on cpu0 returns still holding L (spin_lock(L) at drain action 0), with preempt_count 1",
    ],
    [
      "interrupts off",
      function* () {
        local_irq_disable();
        yield "off";
      },
      "T0 on cpu0 returns with interrupts disabled",
    ],
    [
      "preemption off",
      function* () {
        preempt_disable();
        yield "off";
      },
      "T0 on cpu0 returns with preempt_count 1",
    ],
  ];
  for (const [what, body, msg] of exits) {
    it(`catches a thread that ends with ${what}`, () => {
      const f = run({ threads: { T0: { body } } });
      expect(f?.property).toBe("irq-state");
      expect(f?.message).toBe(msg);
    });
  }

  it("catches a handler that returns with preemption still disabled", () => {
    const f = run(
      {
        irq: {
          handler: function* () {
            preempt_disable();
            yield "forgot";
          },
        },
      },
      [irq()],
    );
    expect(f?.message).toBe("dev#1 on cpu0 returns with preempt_count 1, having found 0");
  });
});

describe("deadlocks among interrupt threads", () => {
  it("are reported, with the cycle named, though interrupt threads are daemons", () => {
    const m = new Machine({ cpus: 2, maxSteps: 500 });
    installKernel(m, { lockdep: false });
    const A = DEFINE_SPINLOCK("A");
    const B = DEFINE_SPINLOCK("B");
    setBooting(m);
    const order = (first: typeof A, second: typeof A) =>
      nest(first, second);
    request_threaded_irq("a", null, order(A, B), { cpus: [0], count: 1 });
    request_threaded_irq("b", null, order(B, A), { cpus: [1], count: 1 });
    setBooting(null);
    const events: ScheduleEvent[] = [
      { kind: "irq", cpu: 0, line: "a" },
      { kind: "step", cpu: 0 },
      { kind: "step", cpu: 0 },
      { kind: "irq", cpu: 1, line: "b" },
      { kind: "step", cpu: 1 },
      { kind: "step", cpu: 1 },
      { kind: "step", cpu: 0 }, // irq/a takes A
      { kind: "step", cpu: 1 }, // irq/b takes B
    ];
    events.forEach((e, i) => expect(m.apply(e, i), `event ${i}`).toBe(true));
    m.drain(events.length);
    expect(m.failure?.property).toBe("deadlock");
    expect(m.failure?.message).toBe("deadlock: irq/a on cpu0 spins until B is released (held by irq/b); irq/b on cpu1 spins until A is released (held by irq/a)");
  });
});

describe("mutual exclusion", () => {
  it("catches a hand-rolled lock whose test and set are two steps", () => {
    const lock = { name: "racy", taken: false };
    const racy = function* () {
      while (lock.taken) yield "spin";
      yield "saw it free";
      lock.taken = true;
      lock_acquire(lock, "racy_lock");
      lock_acquired(lock);
      yield "took it";
      lock_released(lock);
      lock.taken = false;
      yield "released";
    };
    const f = run({ cpus: 2, threads: { T0: { cpu: 0, body: racy }, T1: { cpu: 1, body: racy } } }, [step(0), step(1), step(0), step(1)]);
    expect(f?.property).toBe("mutual-exclusion");
    expect(f?.message).toBe("T1 on cpu1 acquires racy while T0 holds it");
  });
});
