// The kernel API models are written in, named as in Linux.
export { preempt_disable, preempt_enable, preempt_count, preemptible } from "./preempt.ts";
export { local_irq_save, local_irq_restore, local_irq_disable, local_irq_enable, irqs_disabled } from "./irqflags.ts";
export type { IrqFlags } from "./irqflags.ts";
export { smp_processor_id, num_possible_cpus, in_interrupt, current_name } from "./smp.ts";
export { PerCpu, alloc_percpu, this_cpu_ptr, per_cpu } from "./percpu.ts";
export { kthread_run, wait_event, spin_until } from "./sched.ts";
export type { ThreadOptions } from "./sched.ts";
export { request_irq, raise_irq } from "./irq.ts";
export type { IrqOptions } from "./irq.ts";
export { xchg, cmpxchg } from "./atomic.ts";
export { violation, BUG } from "./bug.ts";
export { spinlock_t, DEFINE_SPINLOCK, spin_lock, spin_unlock, spin_lock_irq, spin_unlock_irq, spin_lock_irqsave, spin_unlock_irqrestore } from "./spinlock.ts";
export * from "./model.ts";
export type { Gen, Step, Wait } from "../sim/step.ts";
export type { Violation } from "../sim/failure.ts";
