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
  const irq: ThreadedIrq = { name: `irq/${line}`, raised: `${line} is raised`, pending: false, handler, thread_fn };
  kthread_run(() => irq_thread(irq), irq.name, {
    cpu: opts.cpus[0] ?? 0,
    pinned: true,
    daemon: true,
    prio: IRQ_THREAD_PRIO,
    parkedUntil: {
      cond() {
        return irq.pending;
      },
      what: irq.raised,
    },
  });
  request_irq(line, () => irq_default_primary(irq), opts);
}

/** A threaded interrupt line: its thread's name, whether the thread is woken, and its two functions. */
interface ThreadedIrq {
  readonly name: string;
  readonly raised: string;
  pending: boolean;
  readonly handler: (() => Gen<irqreturn_t>) | null;
  readonly thread_fn: Code;
}

/** irq_thread(): runs the thread function each time the hard handler wakes it. */
function* irq_thread(irq: ThreadedIrq): Gen {
  for (;;) {
    irq.pending = false;
    yield* run_module_code(irq.thread_fn.owner, `interrupt thread ${irq.thread_fn.fname ?? irq.name}`, irq.thread_fn());
    yield wait_event(() => irq.pending, irq.raised);
  }
}

/** The hard handler, or irq_default_primary_handler() when there is none: IRQ_WAKE_THREAD wakes the thread. */
function* irq_default_primary(irq: ThreadedIrq): Gen {
  const ret = irq.handler === null ? IRQ_WAKE_THREAD : yield* irq.handler();
  if (ret === IRQ_WAKE_THREAD) {
    irq.pending = true;
    yield `wake up ${irq.name}`;
  }
}

export const free_irq = kernel_call(free_irq_impl);
