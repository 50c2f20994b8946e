// Per-CPU local locks (include/linux/local_lock.h): what protects per-CPU
// data on a non-RT kernel is preemption (and, in the irq forms, interrupts)
// being disabled; the lock itself is only a lockdep annotation, so that
// lockdep sees per-CPU sections taken both in and out of interrupt handlers.
import type { Held, Lockable } from "./lockdep.ts";
import { check_irq_restore, held_locks, lock_acquire, lock_released } from "./lockdep.ts";
import type { IrqFlags } from "./irqflags.ts";
import { local_irq_restore, local_irq_save } from "./irqflags.ts";
import type { PerCpu } from "./percpu.ts";
import { alloc_percpu, this_cpu_ptr } from "./percpu.ts";
import { preempt_disable, preempt_enable } from "./preempt.ts";

export class local_lock_t implements Lockable {
  constructor(
    readonly name: string,
    readonly lockClass: string,
  ) {}
}

/** DEFINE_PER_CPU(local_lock_t, name): one instance per CPU, one lock class. */
export function DEFINE_PER_CPU_LOCAL_LOCK(name: string): PerCpu<local_lock_t> {
  return alloc_percpu((cpu) => new local_lock_t(`${name}[cpu${cpu}]`, name));
}

/** local_lock(): preempt_disable(), then this CPU's instance, for lockdep. Returns the instance to unlock. */
export function local_lock(l: PerCpu<local_lock_t>): local_lock_t {
  preempt_disable();
  const inst = this_cpu_ptr(l);
  lock_acquire(inst, "local_lock");
  return inst;
}

export function local_unlock(inst: local_lock_t): void {
  lock_released(inst);
  preempt_enable();
}

/** local_lock_irqsave(): interrupts off, then this CPU's instance. */
export function local_lock_irqsave(l: PerCpu<local_lock_t>): { inst: local_lock_t; flags: IrqFlags } {
  const flags = local_irq_save();
  const inst = this_cpu_ptr(l);
  lock_acquire(inst, "local_lock_irqsave", { irqsWereOn: flags.irqsEnabled });
  return { inst, flags };
}

export function local_unlock_irqrestore(inst: local_lock_t, flags: IrqFlags): void {
  const held: readonly Held[] = held_locks();
  const took = lock_released(inst);
  check_irq_restore(held, took, flags.irqsEnabled, `local_unlock_irqrestore(${inst.name})`);
  local_irq_restore(flags, `local_unlock_irqrestore(${inst.name})`);
}
