// Shared memory accesses and barriers (include/asm-generic/barrier.h,
// include/asm-generic/rwonce.h). Each access is one load or one store of a
// word; a model yields after it, so every access is an atomic step. Under
// the tso and pso memory modes stores wait in the CPU's store buffer until
// the schedule lets them out; the barriers say what must leave first.
import { current, currentMachine, isRunning, setBooting } from "../sim/current.ts";
import type { Context } from "../sim/context.ts";
import type { Machine } from "../sim/machine.ts";
import type { Region } from "../sim/memory.ts";

/** A word of shared memory, holding a number or (shared_t<T | null>) a pointer. */
export class shared_t<T = number> {
  /** Only for the type: what READ_ONCE returns. */
  declare readonly __value?: T;
  constructor(readonly addr: string) {}
}

/** Declares a shared word with its initial value (at boot). */
export function DEFINE_SHARED<T = number>(addr: string, initial: T = 0 as T, region?: Region): shared_t<T> {
  currentMachine().memory.declare(addr, initial, region);
  return new shared_t<T>(addr);
}

/**
 * Declares, at boot, that the model's contexts share state only through
 * memory words (DEFINE_SHARED, DEFINE_ATOMIC) and spinlocks: no plain field,
 * no other kernel object (RCU, wait queues, mutexes, per-CPU data read
 * across CPUs) is read by one context and written by another, and no
 * operation is reported to a sequential model (linearize(): it is checked
 * in the order of the steps); what a context keeps for itself (its
 * registers) is its own business. Exhaustive search then tells steps
 * apart by the words and locks they touch, and tries one order of steps
 * that touch nothing in common. A model that says so wrongly may have
 * schedules left untried.
 */
export function shared_state_in_memory_only(): void {
  currentMachine().declareMemoryOnly();
}

// A wait's condition is evaluated by the machine between steps; it reads
// memory as the CPU of the waiting context sees it.
let waitReader: { machine: Machine; ctx: Context } | null = null;

/** Wraps a wait condition so that the shared memory it reads is read as the current context's CPU sees it. */
export function as_seen_here<T>(cond: () => T): () => T {
  if (!isRunning()) return cond;
  const { machine, ctx } = current();
  const reader = { machine, ctx };
  return () => {
    const prev = waitReader;
    waitReader = reader;
    setBooting(machine); // kernel calls that need only the machine work in a condition
    try {
      return cond();
    } finally {
      setBooting(null);
      waitReader = prev;
    }
  };
}

/** Who reads: the CPU of the step, or of the waiting context; `cpu: -1` outside both (a check, or boot). */
function accessor(): { machine: Machine; cpu: number } {
  if (isRunning()) {
    const r = current();
    return { machine: r.machine, cpu: r.cpu.id };
  }
  if (waitReader !== null) return { machine: waitReader.machine, cpu: waitReader.ctx.cpu };
  return { machine: currentMachine(), cpu: -1 };
}

/** A CPU reaches only the memory of its own host and what its host maps. */
function checkReach(machine: Machine, cpu: number, w: shared_t<unknown>, what: string): void {
  const region = machine.memory.region(w.addr);
  if (region === undefined || cpu < 0) return;
  const host = machine.hostOf(cpu).name;
  if (region.host !== host && !region.mappedBy.includes(host))
    throw new Error(`cpu${cpu} (host ${host}) ${what} ${w.addr}, but region ${region.name} of host ${region.host} is not mapped there`);
}

const isPointer = (v: unknown) => typeof v === "object" && v !== null;

/**
 * READ_ONCE(): in a step, what this CPU sees. Outside one (a model's
 * invariant or final check, or its setup) it reads memory itself: every
 * store that has left its buffer, which after the drain is every store.
 * Loading a pointer orders the loads made through it after it (an address
 * dependency; modelled as Alpha's smp_read_barrier_depends(), which is
 * stronger: it orders every later load).
 */
export function READ_ONCE<T>(w: shared_t<T>): T {
  const { machine, cpu } = accessor();
  checkReach(machine, cpu, w, "reads");
  if (cpu < 0) return machine.memory.committed(w.addr) as T;
  const v = machine.memory.load(cpu, w.addr) as T;
  if (isPointer(v) && isRunning()) machine.memory.rmb(cpu);
  return v;
}

/** WRITE_ONCE(): a store, through this CPU's store buffer. At boot it initialises the word. */
export function WRITE_ONCE<T>(w: shared_t<T>, value: T): void {
  const { machine, cpu } = accessor();
  checkReach(machine, cpu, w, "writes");
  if (cpu < 0) machine.memory.initialise(w.addr, value);
  else machine.memory.store(cpu, w.addr, value);
}

/** Stores before it become visible to other CPUs before stores after it. */
export function smp_wmb(): void {
  const r = current();
  r.machine.memory.wmb(r.cpu.id);
}

/** Loads before it are done before loads after it: no load after it reads a copy older than memory holds now. */
export function smp_rmb(): void {
  const r = current();
  r.machine.memory.rmb(r.cpu.id);
}

/** A full barrier: this CPU's buffered stores are visible to all before it goes on, and it reads afresh. */
export function smp_mb(): void {
  const r = current();
  r.machine.memory.mb(r.cpu.id);
}

/** smp_mb__before_atomic() / smp_mb__after_atomic(): make an unordered atomic (atomic_inc, set_bit) fully ordered. */
export function smp_mb__before_atomic(): void {
  smp_mb();
}

export function smp_mb__after_atomic(): void {
  smp_mb();
}

/** smp_store_mb(): a store followed by a full barrier. */
export function smp_store_mb<T>(w: shared_t<T>, value: T): void {
  WRITE_ONCE(w, value);
  smp_mb();
}

/** A release store: every earlier access is visible before this one (loads here are never done late). */
export function smp_store_release<T>(w: shared_t<T>, value: T): void {
  smp_wmb();
  WRITE_ONCE(w, value);
}

/** An acquire load: later loads read nothing older than memory held when it was done. */
export function smp_load_acquire<T>(w: shared_t<T>): T {
  const v = READ_ONCE(w);
  smp_rmb();
  return v;
}
