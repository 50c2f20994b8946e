// Interrupt lines (include/linux/interrupt.h).
import { current, currentMachine } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";
import type { Code } from "./module.ts";
import { run_module_code } from "./module.ts";
import { kthread_run, wait_event } from "./sched.ts";
import { might_sleep } from "./sleep.ts";
import { kernel_call } from "./kernel_call.ts";

export interface IrqOptions {
  /** CPUs the line is routed to. */
  cpus: number[];
  /** How many times its device may raise it on each of those CPUs. */
  count: number;
}

/** request_irq: registers `handler` for `line`. Call while setting up. A module's function runs as its code. */
export function request_irq(line: string, handler: Code, opts: IrqOptions): void {
  const body = handler.owner === undefined ? handler : () => run_module_code(handler.owner, `interrupt handler ${handler.fname ?? line}`, handler());
  currentMachine().requestIrq(line, body, opts);
}

/**
 * free_irq(): the line raises no more interrupts, and the call sleeps until
 * handlers already running on other CPUs have returned (synchronize_irq()).
 */
function* free_irq_impl(line: string): Gen {
  might_sleep(`free_irq(${line})`);
  const m = current().machine;
  m.freeIrqLine(line);
  yield `free_irq(${line})`;
  if (m.handlerRunning(line)) yield wait_event(() => !m.handlerRunning(line), `the ${line} handlers have returned`);
}

/** Raises `line` on `cpu` (an IPI, a doorbell): it stays pending until delivered. */
export function raise_irq(cpu: number, line: string): void {
  currentMachine().raiseIrq(cpu, line);
}

export const IRQ_HANDLED = "IRQ_HANDLED";
export const IRQ_WAKE_THREAD = "IRQ_WAKE_THREAD";
export type irqreturn_t = typeof IRQ_HANDLED | typeof IRQ_WAKE_THREAD;

/** The priority Linux gives interrupt threads (sched_set_fifo: MAX_RT_PRIO / 2). */
export const IRQ_THREAD_PRIO = 50;

/**
 * request_threaded_irq: the hard handler runs in interrupt context; when it
 * returns IRQ_WAKE_THREAD (or is null, the default primary handler), the
 * line's thread "irq/<line>" runs `thread_fn` as a SCHED_FIFO thread, bound to
 * the first CPU of the line.
 */
export function request_threaded_irq(line: string, handler: (() => Gen<irqreturn_t>) | null, thread_fn: Code, opts: IrqOptions): void {
  const wake = { pending: false };
  const name = `irq/${line}`;
  const raised = `${line} is raised`;
  kthread_run(
    function* () {
      for (;;) {
        wake.pending = false;
        yield* run_module_code(thread_fn.owner, `interrupt thread ${thread_fn.fname ?? name}`, thread_fn());
        yield wait_event(() => wake.pending, raised);
      }
    },
    name,
    { cpu: opts.cpus[0] ?? 0, pinned: true, daemon: true, prio: IRQ_THREAD_PRIO, parkedUntil: { cond: () => wake.pending, what: raised } },
  );
  request_irq(
    line,
    function* () {
      const ret = handler === null ? IRQ_WAKE_THREAD : yield* handler();
      if (ret === IRQ_WAKE_THREAD) {
        wake.pending = true;
        yield `wake up ${name}`;
      }
    },
    opts,
  );
}

export const free_irq = kernel_call(free_irq_impl);
