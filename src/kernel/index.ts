// The kernel API models are written in, named as in Linux.
export { preempt_disable, preempt_enable, preempt_count, preemptible } from "./preempt.ts";
export { local_irq_save, local_irq_restore, local_irq_disable, local_irq_enable, irqs_disabled } from "./irqflags.ts";
export { lock_acquire, lock_acquired, lock_released, held_locks, holder_of, installKernel, check_irq_restore } from "./lockdep.ts";
export type { Lockable, Held, Usage } from "./lockdep.ts";
export { might_sleep, msleep, kmalloc, kzalloc, failslab_init, kfree, check_not_freed, GFP_KERNEL, GFP_ATOMIC } from "./sleep.ts";
export * from "./atomic.ts";
export * from "./refcount.ts";
export * from "./llist.ts";
export * from "./wait.ts";
export * from "./env.ts";
export * from "./seqlock.ts";
export * from "./bottom_half.ts";
export * from "./rwlock.ts";
export * from "./completion.ts";
export { module, module_function, module_unload, module_code, call_module_function } from "./module.ts";
export type { Code } from "./module.ts";
export { smp_call_function_single, on_each_cpu, ENXIO } from "./smp_call.ts";
export {
  cpu_down,
  cpu_up,
  remove_cpu,
  add_cpu,
  cpu_online,
  num_online_cpus,
  online_cpus,
  cpus_read_lock,
  cpus_read_unlock,
  cpuhp_setup_state,
  cpuhp_setup_state_nocalls,
  cpuhp_remove_state,
  cpuhp_remove_state_nocalls,
  cpuhp_events_init,
  CPUHP_AP_ONLINE_DYN,
  CPUHP_BP_PREPARE_DYN,
  EBUSY,
  EINVAL,
} from "./cpu.ts";
export type { cpuhp_state, cpuhp_callback } from "./cpu.ts";
export type { smp_call_func_t } from "./smp_call.ts";
export { timer_list, timer_setup, mod_timer, add_timer_on, del_timer, del_timer_sync, timer_shutdown_sync, timer_delete_sync } from "./timer.ts";
export * from "./workqueue.ts";
export {
  rcu_init,
  rcu_read_lock,
  rcu_read_unlock,
  rcu_dereference,
  rcu_assign_pointer,
  call_rcu,
  kfree_rcu,
  synchronize_rcu,
  rcu_barrier,
  rcu_barrier_count_from_zero,
  get_state_synchronize_rcu,
  start_poll_synchronize_rcu,
  poll_state_synchronize_rcu,
  cond_synchronize_rcu,
} from "./rcu.ts";
export * from "./rculist.ts";
export * from "./srcu.ts";
export type { RcuFlavor } from "./rcu.ts";
export type { gfp_t } from "./sleep.ts";
export { mutex, DEFINE_MUTEX, mutex_lock, mutex_unlock } from "./mutex.ts";
export { local_lock_t, DEFINE_PER_CPU_LOCAL_LOCK, local_lock, local_unlock, local_lock_irqsave, local_unlock_irqrestore } from "./local_lock.ts";
export type { IrqFlags } from "./irqflags.ts";
export { smp_processor_id, num_possible_cpus, in_interrupt, current_name } from "./smp.ts";
export { PerCpu, alloc_percpu, this_cpu_ptr, per_cpu } from "./percpu.ts";
export { kthread_run, kthread_create, kthread_stop, kthread_should_stop, wait_event, spin_until } from "./sched.ts";
export type { ThreadOptions, task_struct } from "./sched.ts";
export { request_irq, free_irq, raise_irq, request_threaded_irq, IRQ_HANDLED, IRQ_WAKE_THREAD, IRQ_THREAD_PRIO } from "./irq.ts";
export type { IrqOptions, irqreturn_t } from "./irq.ts";
export { violation, BUG } from "./bug.ts";
export { linearize } from "./linearize.ts";
export {
  spinlock_t,
  DEFINE_SPINLOCK,
  spin_lock,
  spin_unlock,
  spin_lock_irq,
  spin_unlock_irq,
  spin_lock_irqsave,
  spin_unlock_irqrestore,
  spin_trylock,
  spin_trylock_irqsave,
  spin_lock_bh,
  spin_unlock_bh,
  spin_is_locked,
  smp_mb__after_spinlock,
} from "./spinlock.ts";
export * from "./model.ts";
export type { Gen, Step, Wait } from "../sim/step.ts";
export type { Violation } from "../sim/failure.ts";
export {
  shared_t,
  DEFINE_SHARED,
  READ_ONCE,
  WRITE_ONCE,
  smp_wmb,
  smp_rmb,
  smp_mb,
  smp_mb__before_atomic,
  smp_mb__after_atomic,
  smp_store_mb,
  smp_store_release,
  smp_load_acquire,
  as_seen_here,
  shared_state_in_memory_only,
} from "./barrier.ts";
export { timekeeping_init, ktime_get, spin_until_timeout, udelay, clock_stalls } from "./time.ts";
export { ntb_hosts, ntb_region, ntb_db_request, ntb_peer_db_set, ntb_db_lost } from "./ntb.ts";
