// Local interrupt control, as in include/linux/irqflags.h. Saving and
// disabling is one atomic step on real hardware (pushf; cli), so each call is
// part of the caller's current step.
import { current } from "../sim/current.ts";

/** The saved interrupt state: true when interrupts were enabled. */
export type IrqFlags = { readonly irqsEnabled: boolean };

export function local_irq_save(): IrqFlags {
  const cpu = current().cpu;
  const flags = { irqsEnabled: cpu.irqsEnabled };
  cpu.irqsEnabled = false;
  return flags;
}

export function local_irq_restore(flags: IrqFlags): void {
  current().cpu.irqsEnabled = flags.irqsEnabled;
}

export function local_irq_disable(): void {
  current().cpu.irqsEnabled = false;
}

export function local_irq_enable(): void {
  current().cpu.irqsEnabled = true;
}

export function irqs_disabled(): boolean {
  return !current().cpu.irqsEnabled;
}
