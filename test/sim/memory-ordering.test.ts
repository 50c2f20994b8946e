// What the kernel API promises about ordering, in every memory mode
// (Documentation/memory-barriers.txt, atomic_t.txt, RCU/whatisRCU.rst).
// Each outcome tested here as "never" is forbidden by the Linux kernel
// memory model; the machine, being stronger, must never show it.
import { describe, expect, it } from "vitest";
import { litmusOutcomes } from "../../src/harness/litmus.ts";
import type { LitmusTest } from "../../src/harness/litmus.ts";
import { cmpxchg, xchg, atomic_inc, atomic_read, DEFINE_ATOMIC, atomic_t } from "../../src/kernel/atomic.ts";
import { DEFINE_SHARED, READ_ONCE, WRITE_ONCE, smp_load_acquire, smp_rmb, smp_wmb, smp_mb__after_atomic } from "../../src/kernel/barrier.ts";
import { rcu_assign_pointer, rcu_dereference, rcu_read_lock, rcu_read_unlock, synchronize_rcu } from "../../src/kernel/rcu.ts";
import { installKernel } from "../../src/kernel/lockdep.ts";
import { setBooting } from "../../src/sim/current.ts";
import { Machine } from "../../src/sim/machine.ts";
import { MEMORY_MODELS } from "../../src/sim/memory.ts";
import { rcu_init } from "../../src/kernel/rcu.ts";
import type { shared_t } from "../../src/kernel/barrier.ts";
import type { Gen } from "../../src/sim/step.ts";
import type { MemoryModel } from "../../src/sim/memory.ts";

const occurs = (t: LitmusTest, mode: MemoryModel, outcome: string) => litmusOutcomes(t, mode).has(outcome);

describe("synchronize_rcu() implies full barriers", () => {
  // RCU+sync+free: the updater replaces the pointer, waits for readers, then "frees" x.
  const syncFree: LitmusTest = {
    name: "RCU+sync+free",
    locations: { x: 1, z: 1, y: "&x" },
    rcu: true,
    threads: [
      function* (s, r) {
        rcu_read_lock();
        const p = rcu_dereference(s.y!);
        r.r0 = p;
        yield "r0 = rcu_dereference(y)";
        r.r1 = READ_ONCE(p);
        yield "r1 = *r0";
        rcu_read_unlock();
        yield "rcu_read_unlock()";
      },
      function* (s) {
        rcu_assign_pointer(s.y!, s.z!);
        yield "rcu_assign_pointer(y, &z)";
        yield* synchronize_rcu();
        WRITE_ONCE(s.x!, 0);
        yield "x = 0";
      },
    ],
  };
  // RCU+sync+read with the reader's loads the other way round: x = 1; synchronize_rcu(); y = 1.
  const syncRead: LitmusTest = {
    name: "RCU-MP",
    locations: { x: 0, y: 0 },
    rcu: true,
    threads: [
      function* (s, r) {
        rcu_read_lock();
        r.r0 = READ_ONCE(s.y!);
        yield "r0 = y";
        r.r1 = READ_ONCE(s.x!);
        yield "r1 = x";
        rcu_read_unlock();
        yield "rcu_read_unlock()";
      },
      function* (s) {
        WRITE_ONCE(s.x!, 1);
        yield "x = 1";
        yield* synchronize_rcu();
        WRITE_ONCE(s.y!, 1);
        yield "y = 1";
      },
    ],
  };
  it.each(MEMORY_MODELS)("under %s a reader never reads the freed object through the old pointer", (mode) => {
    const seen = litmusOutcomes(syncFree, mode);
    expect(seen.has("r0=x r1=0")).toBe(false);
    expect(seen.has("r0=x r1=1")).toBe(true);
    expect(seen.has("r0=z r1=1")).toBe(true);
  });
  it.each(MEMORY_MODELS)("under %s a reader that sees the store after the grace period sees the one before it", (mode) => {
    const seen = litmusOutcomes(syncRead, mode);
    expect(seen.has("r0=1 r1=0")).toBe(false);
    expect(seen.has("r0=1 r1=1")).toBe(true);
    expect(seen.has("r0=0 r1=0")).toBe(true);
  });
});

describe("value-returning atomics are fully ordered", () => {
  // llist_add() / llist_del_all(): initialise the node, link it with cmpxchg; the consumer takes the list with xchg.
  const llist = (how: "word" | "field"): LitmusTest => {
    // The plain-field list head, one per schedule (each schedule has its own words `s`).
    const heads = new WeakMap<object, { first: string | null }>();
    const headOf = (s: object) => heads.get(s) ?? heads.set(s, { first: null }).get(s)!;
    return {
      name: `llist-${how}`,
      locations: { first: 0, n1_val: 0, n1_next: 0 },
      threads: [
        function* (s) {
          const head = headOf(s);
          WRITE_ONCE(s.n1_val!, 42);
          yield "n1->val = 42";
          const first = how === "word" ? READ_ONCE(s.first!) : head.first;
          yield "first = head->first";
          WRITE_ONCE(s.n1_next!, first);
          yield "n1->next = first";
          if (how === "word") cmpxchg(s.first!, first, "n1");
          else cmpxchg(head, "first", first, "n1");
          yield "cmpxchg(&head->first, first, n1)";
        },
        function* (s, r) {
          const head = headOf(s);
          const got = how === "word" ? xchg(s.first!, 0) : xchg(head, "first", null);
          r.r0 = got === "n1" ? 1 : 0;
          yield "r0 = xchg(&head->first, NULL)";
          r.r1 = got === "n1" ? READ_ONCE(s.n1_val!) : -1;
          yield "r1 = n1->val";
        },
      ],
    };
  };
  it.each(MEMORY_MODELS)("under %s the consumer never takes a node it cannot read (cmpxchg on a shared word)", (mode) => {
    const seen = litmusOutcomes(llist("word"), mode);
    expect(seen.has("r0=1 r1=0")).toBe(false);
    expect(seen.has("r0=1 r1=42")).toBe(true);
  });
  it.each(MEMORY_MODELS)("under %s the consumer never takes a node it cannot read (cmpxchg on a plain field)", (mode) => {
    const seen = litmusOutcomes(llist("field"), mode);
    expect(seen.has("r0=1 r1=0")).toBe(false);
    expect(seen.has("r0=1 r1=42")).toBe(true);
  });
  // P1 increments y, then stores x; P0 reads x, then y. With smp_mb__after_atomic() the increment is seen first.
  const incThenStore = (how: "atomic_inc+mb__after_atomic" | "store"): LitmusTest => ({
    name: `inc-then-store-${how}`,
    locations: { x: 0, y: 0 },
    threads: [
      function* (s, r) {
        r.r0 = READ_ONCE(s.x!);
        yield "r0 = x";
        smp_rmb();
        r.r1 = READ_ONCE(s.y!);
        yield "r1 = y";
      },
      function* (s) {
        if (how === "store") WRITE_ONCE(s.y!, 1);
        else {
          atomic_inc(new atomic_t("y", s.y!));
          smp_mb__after_atomic();
        }
        yield how === "store" ? "y = 1" : "atomic_inc(y); smp_mb__after_atomic()";
        WRITE_ONCE(s.x!, 1);
        yield "x = 1";
      },
    ],
  });
  it.each(MEMORY_MODELS)("under %s atomic_inc() then smp_mb__after_atomic() is seen before a later store", (mode) => {
    expect(occurs(incThenStore("atomic_inc+mb__after_atomic"), mode, "r0=1 r1=0")).toBe(false);
    expect(occurs(incThenStore("atomic_inc+mb__after_atomic"), mode, "r0=0 r1=1")).toBe(true);
  });
  it.each([
    ["sc", false],
    ["tso", false],
    ["pso", true],
    ["weak", true],
  ] as const)("a plain store in its place, under %s, can be seen after the later store: %s", (mode, expected) => {
    expect(occurs(incThenStore("store"), mode, "r0=1 r1=0")).toBe(expected);
  });
});

describe("RCU publication through memory", () => {
  // Initialise, then publish; the reader follows the pointer.
  const publish = (how: "rcu_assign_pointer" | "WRITE_ONCE"): LitmusTest => ({
    name: `publish-${how}`,
    locations: { obj: 0, gp: 0 },
    threads: [
      function* (s) {
        WRITE_ONCE(s.obj!, 1);
        yield "obj->a = 1";
        if (how === "rcu_assign_pointer") rcu_assign_pointer(s.gp!, s.obj!);
        else WRITE_ONCE(s.gp!, s.obj!);
        yield `${how}(gp, obj)`;
      },
      function* (s, r) {
        const p = READ_ONCE(s.gp!);
        r.r0 = p === 0 ? 0 : 1;
        yield "p = rcu_dereference(gp)";
        r.r1 = p === 0 ? -1 : READ_ONCE(p);
        yield "r1 = p->a";
      },
    ],
  });
  it.each(MEMORY_MODELS)("under %s rcu_assign_pointer() never lets a reader see the object uninitialised", (mode) => {
    expect(occurs(publish("rcu_assign_pointer"), mode, "r0=1 r1=0")).toBe(false);
  });
  it.each([
    ["sc", false],
    ["tso", false],
    ["pso", true],
    ["weak", true],
  ] as const)("a plain WRITE_ONCE() publication under %s lets the reader see it uninitialised: %s", (mode, expected) => {
    expect(occurs(publish("WRITE_ONCE"), mode, "r0=1 r1=0")).toBe(expected);
  });
});

describe("the weak mode reorders loads", () => {
  const mp = (reader: "none" | "rmb" | "acquire"): LitmusTest => ({
    name: `MP+wmb+${reader}`,
    locations: { data: 0, flag: 0 },
    threads: [
      function* (s) {
        WRITE_ONCE(s.data!, 1);
        yield "data = 1";
        smp_wmb();
        WRITE_ONCE(s.flag!, 1);
        yield "flag = 1";
      },
      function* (s, r) {
        r.r0 = reader === "acquire" ? smp_load_acquire(s.flag!) : READ_ONCE(s.flag!);
        yield "r0 = flag";
        if (reader === "rmb") smp_rmb();
        r.r1 = READ_ONCE(s.data!);
        yield "r1 = data";
      },
    ],
  });
  it.each([
    ["sc", false],
    ["tso", false],
    ["pso", false],
    ["weak", true],
  ] as const)("a missing smp_rmb() shows under %s: %s", (mode, expected) => {
    expect(occurs(mp("none"), mode, "r0=1 r1=0")).toBe(expected);
  });
  it.each(MEMORY_MODELS)("under %s smp_rmb() or an acquire load forbids the stale read", (mode) => {
    expect(occurs(mp("rmb"), mode, "r0=1 r1=0")).toBe(false);
    expect(occurs(mp("acquire"), mode, "r0=1 r1=0")).toBe(false);
    expect(occurs(mp("rmb"), mode, "r0=1 r1=1")).toBe(true);
  });
  it("final memory values join the outcome", () => {
    const t: LitmusTest = { ...mp("rmb"), final: ["data", "flag"] };
    expect([...litmusOutcomes(t, "weak").keys()].every((o) => o.endsWith("data=1 flag=1"))).toBe(true);
  });
});

describe("reading shared memory outside a step", () => {
  it("READ_ONCE() in a check reads memory: what has left the store buffers", () => {
    const m = new Machine({ cpus: 1, maxSteps: 100, memory: "tso" });
    installKernel(m, { lockdep: false });
    setBooting(m);
    const x = DEFINE_SHARED("x", 0);
    const n = DEFINE_ATOMIC("n", 0);
    const plain = new atomic_t("plain");
    setBooting(null);
    m.spawn("T", function* () {
      WRITE_ONCE(x, 1);
      yield "x = 1";
      atomic_inc(n);
      atomic_inc(plain);
      yield "atomic_inc(n)";
    }, { cpu: 0 });
    m.apply({ kind: "step", cpu: 0 }, 0);
    setBooting(m);
    try {
      expect(READ_ONCE(x)).toBe(0); // still in cpu0's buffer
      expect(atomic_read(n)).toBe(0);
    } finally {
      setBooting(null);
    }
    m.apply({ kind: "step", cpu: 0 }, 1);
    setBooting(m);
    try {
      expect(READ_ONCE(x)).toBe(1); // the atomic drained the buffer first
      expect(atomic_read(n)).toBe(1);
      expect(atomic_read(plain)).toBe(1);
    } finally {
      setBooting(null);
    }
  });
});

describe("an RCU reader preempted inside its section", () => {
  /** The reader (R) and another thread (F) on cpu0, the updater (U) on cpu1; events picked by a description. */
  function world(memory: "weak" | "pso", reader: (x: shared_t, z: shared_t, regs: Record<string, unknown>) => Gen, updater: (x: shared_t, z: shared_t, regs: Record<string, unknown>) => Gen) {
    const m = new Machine({ cpus: 2, maxSteps: 1000, memory });
    installKernel(m, { lockdep: false });
    setBooting(m);
    rcu_init();
    const x = DEFINE_SHARED("x", 0);
    const z = DEFINE_SHARED("z", 0);
    const regs: Record<string, unknown> = {};
    m.spawn("R", () => reader(x, z, regs), { cpu: 0, pinned: true });
    m.spawn("F", function* () {
      yield "another thread on cpu0";
    }, { cpu: 0, pinned: true });
    m.spawn("U", () => updater(x, z, regs), { cpu: 1, pinned: true });
    setBooting(null);
    let i = 0;
    const take = (want: string) => {
      const e = m.enabledEvents().find((e) => JSON.stringify(e).includes(want));
      if (e === undefined) return false;
      m.apply(e, i++);
      return true;
    };
    return { m, regs, take };
  }

  it("the grace period waits for it, though its CPU has passed a quiescent state", () => {
    const { take } = world(
      "weak",
      function* (x, z, r) {
        rcu_read_lock();
        yield "rcu_read_lock()";
        r.r0 = READ_ONCE(x);
        yield "r0 = x";
        r.r1 = READ_ONCE(z);
        yield "r1 = z";
        rcu_read_unlock();
        yield "rcu_read_unlock()";
      },
      function* (x, z) {
        WRITE_ONCE(x, 1);
        yield "x = 1";
        yield* synchronize_rcu();
        WRITE_ONCE(z, 1);
        yield "z = 1";
      },
    );
    for (const e of ['"step","cpu":1', '"step","cpu":1', "gp-start", '"step","cpu":0', '"step","cpu":0', '"preempt","cpu":0', "qs-cpu0", "qs-cpu1"]) expect(take(e), e).toBe(true);
    // The reader is still in its section, preempted: the grace period cannot end.
    expect(take("gp-end")).toBe(false);
  });

  it("the end of a section a grace period waits for is a barrier: its stores are visible when synchronize_rcu() returns", () => {
    const { take, regs } = world(
      "pso",
      function* (x, z, r) {
        rcu_read_lock();
        yield "rcu_read_lock()";
        r.r0 = READ_ONCE(x);
        yield "r0 = x";
        WRITE_ONCE(z, 1);
        yield "z = 1";
        rcu_read_unlock();
        yield "rcu_read_unlock()";
      },
      function* (x, z, r) {
        WRITE_ONCE(x, 1);
        yield "x = 1";
        yield* synchronize_rcu();
        r.u = READ_ONCE(z);
        yield "u = z";
      },
    );
    // R enters its section, U starts waiting, R reads and is preempted, both CPUs report, F runs and ends, R stores z and leaves.
    const plan = ['"step","cpu":0', '"step","cpu":1', '"step","cpu":1', "gp-start", '"step","cpu":0', '"preempt","cpu":0', "qs-cpu0", "qs-cpu1"];
    for (const e of [...plan, '"step","cpu":0', '"step","cpu":0', '"step","cpu":0', '"step","cpu":0', "gp-end", '"step","cpu":1', '"step","cpu":1'])
      expect(take(e), e).toBe(true);
    expect(regs.u).toBe(1);
  });
});
