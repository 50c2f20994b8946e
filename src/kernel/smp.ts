// Who and where: smp_processor_id(), in_interrupt(), the current task.
import { current, currentMachine } from "../sim/current.ts";

/** The CPU the running context is on. Only stable while preemption is disabled. */
export function smp_processor_id(): number {
  return current().cpu.id;
}

/** Number of CPUs of the machine (usable while setting up, too). */
export function num_possible_cpus(): number {
  return currentMachine().cpus.length;
}

/** True inside an interrupt handler (hardirq context). */
export function in_interrupt(): boolean {
  return current().cpu.inIrq;
}

/** The name of the running context ("T0", "virtio-blk#1", ...). */
export function current_name(): string {
  return current().ctx.name;
}
