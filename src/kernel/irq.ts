// Interrupt lines (include/linux/interrupt.h).
import { current, currentMachine } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";

export interface IrqOptions {
  /** CPUs the line is routed to. */
  cpus: number[];
  /** How many times its device may raise it on each of those CPUs. */
  count: number;
}

/** request_irq: registers `handler` for `line`. Call while setting up. */
export function request_irq(line: string, handler: () => Gen<unknown>, opts: IrqOptions): void {
  currentMachine().requestIrq(line, handler, opts);
}

/** Raises `line` on `cpu` (an IPI, a doorbell): it stays pending until delivered. */
export function raise_irq(cpu: number, line: string): void {
  current().machine.raiseIrq(cpu, line);
}
