import type { Context } from "./context.ts";

/** An interrupt handler running on a CPU, nested on what it interrupted. */
export interface IrqFrame {
  readonly ctx: Context;
  /** The interrupt line it serves. */
  readonly line: string;
  /** The interrupt-enable state it found, restored when it returns. */
  readonly savedIrqsEnabled: boolean;
  /** The preempt count it found; it must leave it so. */
  readonly entryPreemptCount: number;
  /** A softirq (bottom half) run on the way out of interrupts, not a hard interrupt handler. */
  readonly soft?: boolean;
}

export class Cpu {
  /** In cpu_online_mask: an offline CPU runs nothing and takes no interrupts (CPU hotplug). */
  online = true;
  irqsEnabled = true;
  preemptCount = 0;
  /** local_bh_disable() depth: softirqs do not run here while it is above 0. */
  bhDisabled = 0;
  /** The thread this CPU is running, or null when idle. */
  current: Context | null = null;
  /** Threads on this CPU that are not running (ready or asleep), in FIFO order. */
  readonly runqueue: Context[] = [];
  /** Interrupt handlers, innermost last. */
  readonly irqStack: IrqFrame[] = [];
  /** Interrupt lines raised on this CPU and not yet delivered. */
  readonly pending = new Set<string>();

  constructor(readonly id: number) {}

  /** in_interrupt(): a hard interrupt handler or a softirq is running. */
  get inIrq(): boolean {
    return this.irqStack.length > 0;
  }

  /** in_hardirq(): a hard interrupt handler is running. */
  get inHardirq(): boolean {
    return this.irqStack.some((f) => !f.soft);
  }

  /** in_serving_softirq(): a softirq is running. */
  get inSoftirq(): boolean {
    return this.irqStack.some((f) => f.soft === true);
  }

  /** Whether softirqs may run here now (lockdep's softirqs_enabled): none running, bottom halves not disabled. */
  get softirqsEnabled(): boolean {
    return this.bhDisabled === 0 && !this.inSoftirq;
  }

  /** The context a step would advance: the innermost handler, else the running thread. */
  top(): Context | null {
    const n = this.irqStack.length;
    return n > 0 ? this.irqStack[n - 1]!.ctx : this.current;
  }

  /** Whether the running thread may be switched out right now (preemptible() in Linux). */
  preemptible(): boolean {
    return this.preemptCount === 0 && this.irqsEnabled && !this.inIrq;
  }

  /** The context a step of this CPU advances: the one running (a handler, or the thread), else the thread the scheduler would put on it. */
  stepper(): Context | undefined {
    return this.top() ?? this.firstReady();
  }

  /** The thread the scheduler would put on the CPU: the highest priority ready one, first in the queue among equals. */
  firstReady(): Context | undefined {
    let best: Context | undefined;
    for (const t of this.runqueue) if (!t.asleep() && (best === undefined || t.prio > best.prio)) best = t;
    return best;
  }
}
