// Per-CPU variables (include/linux/percpu-defs.h): one instance per CPU,
// reached through the CPU the caller is on.
import { currentMachine } from "../sim/current.ts";
import { smp_processor_id } from "./smp.ts";

export class PerCpu<T> {
  private readonly slots: T[];
  constructor(cpus: number, init: (cpu: number) => T) {
    // Not Array.from({ length }), V8's slow path ten times over: every run makes its per-CPU variables.
    this.slots = new Array(cpus).fill(null).map((_, i) => init(i));
  }
  /** per_cpu(var, cpu) */
  on(cpu: number): T {
    const v = this.slots[cpu];
    if (v === undefined) throw new Error(`per-CPU variable has no cpu${cpu}`);
    return v;
  }
  all(): readonly T[] {
    return this.slots;
  }
}

/** DEFINE_PER_CPU / alloc_percpu: one instance per CPU of the machine being set up. */
export function alloc_percpu<T>(init: (cpu: number) => T): PerCpu<T> {
  return new PerCpu(currentMachine().cpus.length, init);
}

/** this_cpu_ptr(&var): this CPU's instance. Only meaningful with preemption disabled. */
export function this_cpu_ptr<T>(v: PerCpu<T>): T {
  return v.on(smp_processor_id());
}

/** per_cpu(var, cpu) */
export function per_cpu<T>(v: PerCpu<T>, cpu: number): T {
  return v.on(cpu);
}
