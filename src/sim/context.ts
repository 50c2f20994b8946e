import type { Running } from "./current.ts";
import type { Gen, Wait } from "./step.ts";

export type ContextKind = "thread" | "irq";

/** A thread or an interrupt handler: a generator stepped by the machine. */
export class Context {
  /** Set by the machine when the context yields a Wait; cleared when it goes on. */
  waiting: Wait | null = null;
  done = false;
  /** The label of the last step it took, for reports. */
  lastLabel = "";
  /** A per-CPU kernel thread pushed off its CPU when that CPU went offline: the CPU it returns to once that is back. */
  home: number | undefined = undefined;
  /** What `current()` returns while it steps, kept while it stays on one CPU: a step makes no new one. */
  running: Running | null = null;

  constructor(
    readonly name: string,
    readonly kind: ContextKind,
    readonly gen: Gen<unknown>,
    /** The CPU it runs on (for a thread: whose run queue it is on). */
    public cpu: number,
    /** A pinned thread never migrates (kthread_bind()); it loses that when its CPU goes offline, unless it is per-CPU. */
    public pinned: boolean,
    /** A daemon may still be waiting when the run ends (a collector thread). */
    readonly daemon: boolean,
    /** Real-time priority (SCHED_FIFO 1-99); 0 for a normal thread. */
    readonly prio: number = 0,
    /** A per-CPU kernel thread (smpboot's, a bound workqueue worker): back on its CPU when that comes online again. */
    readonly percpu: boolean = false,
  ) {}

  /** Not finished, and not waiting for something that has not happened. */
  canRun(): boolean {
    return !this.done && (this.waiting === null || this.waiting.until());
  }

  /** Asleep and not yet woken: it must not be put on a CPU. */
  asleep(): boolean {
    return this.waiting !== null && this.waiting.sleep && !this.waiting.until();
  }
}
