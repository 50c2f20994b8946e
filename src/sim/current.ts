// The context being stepped right now, like Linux's `current`. The kernel API
// reads it so that model code can call preempt_disable() with no arguments,
// just as kernel code does. It is set only while a step runs.
import type { Context } from "./context.ts";
import type { Cpu } from "./cpu.ts";
import type { Machine } from "./machine.ts";

export interface Running {
  readonly machine: Machine;
  readonly cpu: Cpu;
  readonly ctx: Context;
}

let running: Running | null = null;

export function setRunning(r: Running | null): void {
  running = r;
}

/** The machine, CPU and context of the step being executed. */
export function current(): Running {
  if (running === null) throw new Error("kernel API called outside a simulated context");
  return running;
}

/** The step being executed, or null outside one. */
export function currentOrNull(): Running | null {
  return running;
}

export function isRunning(): boolean {
  return running !== null;
}

// While a model builds its world (module init), the machine being booted.
let booting: Machine | null = null;

export function setBooting(m: Machine | null): void {
  booting = m;
}

/** Makes `m` the machine kernel calls reach outside a step, and returns the one that was (to be put back with setBooting). */
export function swapBooting(m: Machine | null): Machine | null {
  const was = booting;
  booting = m;
  return was;
}

/** The machine being set up, or the one running the current step. */
export function currentMachine(): Machine {
  if (running !== null) return running.machine;
  if (booting !== null) return booting;
  throw new Error("kernel API called outside a simulated machine");
}
