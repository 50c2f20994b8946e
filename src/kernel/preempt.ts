// Preemption control, as in include/linux/preempt.h. Each call is part of the
// caller's current step: a per-CPU counter change no other CPU can observe.
import { current } from "../sim/current.ts";

export function preempt_disable(): void {
  current().cpu.preemptCount++;
}

/** Re-enables preemption; a preemption may follow at the next event, as with need_resched. */
export function preempt_enable(): void {
  const cpu = current().cpu;
  if (cpu.preemptCount === 0) throw new Error("preempt_enable with preempt_count 0 (unbalanced)");
  cpu.preemptCount--;
}

export function preempt_count(): number {
  return current().cpu.preemptCount;
}

/** True when the running context could be switched out now. */
export function preemptible(): boolean {
  return current().cpu.preemptible();
}
