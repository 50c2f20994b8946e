// Local interrupt control, as in include/linux/irqflags.h. Saving and
// disabling is one atomic step on real hardware (pushf; cli), so each call is
// part of the caller's current step. Turning interrupts on tells lockdep, as
// trace_hardirqs_on() does.
import { current } from "../sim/current.ts";
import { lockdep_hardirqs_on } from "./lockdep.ts";

/** The saved interrupt state: true when interrupts were enabled. */
export type IrqFlags = { readonly irqsEnabled: boolean };

function set_irqs(on: boolean, how: string): void {
  const cpu = current().cpu;
  const was = cpu.irqsEnabled;
  cpu.irqsEnabled = on;
  if (on && !was) lockdep_hardirqs_on(how);
}

export function local_irq_save(): IrqFlags {
  const flags = { irqsEnabled: current().cpu.irqsEnabled };
  set_irqs(false, "local_irq_save()");
  return flags;
}

export function local_irq_restore(flags: IrqFlags, how = "local_irq_restore()"): void {
  set_irqs(flags.irqsEnabled, how);
}

export function local_irq_disable(): void {
  set_irqs(false, "local_irq_disable()");
}

export function local_irq_enable(how = "local_irq_enable()"): void {
  set_irqs(true, how);
}

export function irqs_disabled(): boolean {
  return !current().cpu.irqsEnabled;
}
