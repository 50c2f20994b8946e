import type { Context } from "./context.ts";

/** An interrupt handler running on a CPU, nested on what it interrupted. */
export interface IrqFrame {
  readonly ctx: Context;
  /** The interrupt-enable state it found, restored when it returns. */
  readonly savedIrqsEnabled: boolean;
}

export class Cpu {
  irqsEnabled = true;
  preemptCount = 0;
  /** The thread this CPU is running, or null when idle. */
  current: Context | null = null;
  /** Threads on this CPU that are not running (ready or asleep), in FIFO order. */
  readonly runqueue: Context[] = [];
  /** Interrupt handlers, innermost last. */
  readonly irqStack: IrqFrame[] = [];
  /** Interrupt lines raised on this CPU and not yet delivered. */
  readonly pending = new Set<string>();

  constructor(readonly id: number) {}

  get inIrq(): boolean {
    return this.irqStack.length > 0;
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

  /** The first thread in the run queue that could be put on the CPU. */
  firstReady(): Context | undefined {
    return this.runqueue.find((t) => !t.asleep());
  }
}
