// What the machine records of each event when asked (src/sim/footprint.ts):
// the words, locks and store-buffer events it touched, which store each
// load read, and whether the machine could see into it at all.
import { describe, expect, it } from "vitest";
import { atomic_xchg, DEFINE_ATOMIC } from "../../src/kernel/atomic.ts";
import { DEFINE_SHARED, READ_ONCE, WRITE_ONCE, shared_state_in_memory_only } from "../../src/kernel/barrier.ts";
import { installKernel } from "../../src/kernel/lockdep.ts";
import { DEFINE_SPINLOCK, spin_lock, spin_unlock } from "../../src/kernel/spinlock.ts";
import { setBooting } from "../../src/sim/current.ts";
import type { ScheduleEvent } from "../../src/sim/events.ts";
import type { Access } from "../../src/sim/footprint.ts";
import { Machine } from "../../src/sim/machine.ts";
import type { MemoryModel } from "../../src/sim/memory.ts";
import type { Gen } from "../../src/sim/step.ts";

/** A machine with one program per CPU over words x and y, lock l and atomic a; `memoryOnly` declares it. */
function machine(memory: MemoryModel, programs: ((w: { x: any; y: any; l: any; a: any }) => Gen)[], memoryOnly = true): Machine {
  const m = new Machine({ cpus: programs.length, maxSteps: 1000, memory });
  installKernel(m, { lockdep: false });
  setBooting(m);
  try {
    const w = { x: DEFINE_SHARED("x", 0), y: DEFINE_SHARED("y", 0), l: DEFINE_SPINLOCK("l"), a: DEFINE_ATOMIC("a", 0) };
    if (memoryOnly) shared_state_in_memory_only();
    programs.forEach((p, i) => m.spawn(`P${i}`, () => p(w), { cpu: i, pinned: true }));
  } finally {
    setBooting(null);
  }
  return m;
}

/** Applies the events one by one; the footprint of each. */
function prints(m: Machine, events: ScheduleEvent[]) {
  return events.map((e, i) => {
    expect(m.apply(e, i), JSON.stringify(e)).toBe(true);
    const f = m.footprint()!;
    return { cpu: f.cpu, opaque: f.opaque, accesses: f.accesses as Access[] };
  });
}

const step = (cpu: number): ScheduleEvent => ({ kind: "step", cpu });
const mem = (arg: string): ScheduleEvent => ({ kind: "env", source: "memory", arg });

describe("footprints", () => {
  it("name the store each load read: its own buffered one, memory's initial value, another CPU's once it is visible (tso)", () => {
    const m = machine("tso", [
      function* ({ x }) {
        WRITE_ONCE(x, 1);
        yield "x = 1";
        READ_ONCE(x);
        yield "reads x";
      },
      function* ({ x }) {
        READ_ONCE(x);
        yield "reads x";
        READ_ONCE(x);
        yield "reads x";
      },
    ]);
    m.recordFootprints();
    const f = prints(m, [step(0), step(0), step(1), mem("cpu0"), step(1)]);
    expect(f.map((p) => p.accesses)).toEqual([
      [{ kind: "store", addr: "x", id: "cpu0#1" }],
      [{ kind: "load", addr: "x", from: "cpu0#1" }],
      [{ kind: "load", addr: "x", from: "init" }],
      [{ kind: "commit", addr: "x", id: "cpu0#1" }],
      [{ kind: "load", addr: "x", from: "cpu0#1" }],
    ]);
    expect(f.map((p) => [p.cpu, p.opaque])).toEqual([[0, false], [0, false], [1, false], [0, false], [1, false]]);
  });

  it("a stale copy is a read of the store it holds, and the invalidation makes the new one seen (weak)", () => {
    const m = machine("weak", [
      function* ({ x }) {
        WRITE_ONCE(x, 1);
        yield "x = 1";
      },
      function* ({ x }) {
        READ_ONCE(x);
        yield "reads x";
        READ_ONCE(x);
        yield "reads x";
      },
    ]);
    m.recordFootprints();
    const f = prints(m, [step(0), mem("cpu0:x"), step(1), mem("inv:cpu1:x"), step(1)]);
    expect(f[1]!.accesses).toEqual([{ kind: "commit", addr: "x", id: "cpu0#1" }, { kind: "stale", cpu: 1 }]);
    expect(f[2]!.accesses).toEqual([{ kind: "load", addr: "x", from: "init" }]);
    expect(f[3]).toEqual({ cpu: 1, opaque: false, accesses: [{ kind: "inv", addr: "x" }] });
    expect(f[4]!.accesses).toEqual([{ kind: "load", addr: "x", from: "cpu0#1" }]);
  });

  it("record spinlocks by name and atomics as one read-modify-write", () => {
    const m = machine("sc", [
      function* ({ l, a }) {
        yield* spin_lock(l);
        atomic_xchg(a, 5);
        yield "a = 5";
        yield* spin_unlock(l);
      },
    ]);
    m.recordFootprints();
    const f = prints(m, [step(0), step(0), step(0)]);
    expect(f[0]!.accesses).toEqual([{ kind: "lock", lock: "l" }]);
    expect(f[1]!.accesses).toEqual([{ kind: "rmw", addr: "a", from: "init", id: "cpu0#1" }]);
    expect(f[2]!.accesses).toEqual([{ kind: "lock", lock: "l" }]);
  });

  it("a step is opaque unless the model says it shares only memory; an interrupt is opaque whatever it says", () => {
    const body = function* ({ x }: { x: any }): Gen {
      WRITE_ONCE(x, 1);
      yield "x = 1";
    };
    for (const memoryOnly of [false, true]) {
      const m = machine("sc", [body], memoryOnly);
      m.recordFootprints();
      expect(prints(m, [step(0)])[0]!.opaque).toBe(!memoryOnly);
    }
    const m = machine("sc", [body]);
    m.requestIrq("dev", function* () {
      yield "handler";
    }, { cpus: [0], count: 1 });
    m.recordFootprints();
    expect(prints(m, [{ kind: "irq", cpu: 0, line: "dev" }])[0]!.opaque).toBe(true);
  });

  it("nothing is recorded unless asked", () => {
    const m = machine("tso", [
      function* ({ x }) {
        WRITE_ONCE(x, 1);
        yield "x = 1";
      },
    ]);
    expect(m.apply(step(0), 0)).toBe(true);
    expect(m.footprint()).toBeUndefined();
    expect(m.touching).toBeNull();
  });
});
