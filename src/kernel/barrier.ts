// Shared memory accesses and barriers (include/asm-generic/barrier.h,
// include/asm-generic/rwonce.h). Each access is one load or one store of a
// word; a model yields after it, so every access is an atomic step. Under
// the tso and pso memory modes stores wait in the CPU's store buffer until
// the schedule lets them out; the barriers say what must leave first.
import { current, currentMachine, isRunning } from "../sim/current.ts";
import type { Machine } from "../sim/machine.ts";
import type { Region } from "../sim/memory.ts";

/** A word of shared memory. */
export interface shared_t {
  readonly addr: string;
}

/** Declares a shared word with its initial value (at boot). */
export function DEFINE_SHARED(addr: string, initial = 0, region?: Region): shared_t {
  currentMachine().memory.declare(addr, initial, region);
  return { addr };
}

// A wait's condition is evaluated by the machine between steps; it reads
// memory as the CPU of the waiting context sees it.
let waitReader: { machine: Machine; cpu: () => number } | null = null;

/** Wraps a wait condition so that the shared memory it reads is read as the current context's CPU sees it. */
export function as_seen_here<T>(cond: () => T): () => T {
  if (!isRunning()) return cond;
  const { machine, ctx } = current();
  const reader = { machine, cpu: () => ctx.cpu };
  return () => {
    const prev = waitReader;
    waitReader = reader;
    try {
      return cond();
    } finally {
      waitReader = prev;
    }
  };
}

function accessor(what: string): { machine: Machine; cpu: number } {
  if (isRunning()) {
    const r = current();
    return { machine: r.machine, cpu: r.cpu.id };
  }
  if (waitReader !== null) return { machine: waitReader.machine, cpu: waitReader.cpu() };
  throw new Error(`${what} outside a step: in a wait condition, use a kernel wait (spin_until, spin_until_timeout, wait_event)`);
}

/** A CPU reaches only the memory of its own host and what its host maps. */
function checkReach(machine: Machine, cpu: number, w: shared_t, what: string): void {
  const region = machine.memory.region(w.addr);
  if (region === undefined) return;
  const host = machine.hostOf(cpu).name;
  if (region.host !== host && !region.mappedBy.includes(host))
    throw new Error(`cpu${cpu} (host ${host}) ${what} ${w.addr}, but region ${region.name} of host ${region.host} is not mapped there`);
}

export function READ_ONCE(w: shared_t): number {
  const { machine, cpu } = accessor("READ_ONCE");
  checkReach(machine, cpu, w, "reads");
  return machine.memory.load(cpu, w.addr);
}

export function WRITE_ONCE(w: shared_t, value: number): void {
  const { machine, cpu } = accessor("WRITE_ONCE");
  checkReach(machine, cpu, w, "writes");
  machine.memory.store(cpu, w.addr, value);
}

/** Stores before it become visible to other CPUs before stores after it. */
export function smp_wmb(): void {
  const r = current();
  r.machine.memory.wmb(r.cpu.id);
}

/** Loads before it are done before loads after it: loads are never reordered here, so nothing to do. */
export function smp_rmb(): void {
  current();
}

/** A full barrier: this CPU's buffered stores are visible to all before it goes on. */
export function smp_mb(): void {
  const r = current();
  r.machine.memory.mb(r.cpu.id);
}

/** A release store: every earlier store is visible before this one. */
export function smp_store_release(w: shared_t, value: number): void {
  smp_wmb();
  WRITE_ONCE(w, value);
}

/** An acquire load: later accesses happen after it, as every load here already does. */
export function smp_load_acquire(w: shared_t): number {
  return READ_ONCE(w);
}
