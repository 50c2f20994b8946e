// Threads and waiting (include/linux/kthread.h, include/linux/wait.h).
import { current, currentMachine } from "../sim/current.ts";
import { as_seen_here } from "./barrier.ts";
import type { Context } from "../sim/context.ts";
import type { Gen, Wait } from "../sim/step.ts";
import type { Code } from "./module.ts";
import { run_module_code } from "./module.ts";
import { might_sleep } from "./sleep.ts";
import { sleepWait, spinWait } from "../sim/step.ts";
import { task_started, wait_event_wq, wait_queue_head_t, wake_up_process } from "./wait.ts";
import { kernel_call } from "./kernel_call.ts";

/** A thread, as kthread_run() and kthread_create() return it (Linux's struct task_struct). */
export type task_struct = Context;

export interface ThreadOptions {
  /** The CPU whose run queue it starts on. */
  cpu: number;
  /** Bound to its CPU (kthread_bind): never migrates, unless that CPU goes offline (then it is free to run anywhere). */
  pinned?: boolean;
  /** A per-CPU kernel thread (kthread_create_on_cpu() and kthread_set_per_cpu(), as smpboot's): bound, and back on its CPU whenever that comes online again. */
  percpu?: boolean;
  /** A service thread that may still be waiting for work when the run ends. */
  daemon?: boolean;
  /** SCHED_FIFO priority (1-99), as sched_set_fifo() gives; normal threads have none. */
  prio?: number;
  /**
   * The thread starts asleep until `cond` holds, as a kthread that went
   * straight to waiting for work; `fn` runs when it is first woken.
   */
  parkedUntil?: { cond: () => boolean; what: string };
}

/** kthread_run: creates a thread and makes it runnable on `opts.cpu`. Call while setting up. A module's function runs as its code. */
export function kthread_run(fn: Code, name: string, opts: ThreadOptions): Context {
  const owner = fn.owner;
  const body = owner === undefined ? fn : () => run_module_code(owner, `thread ${name} (${fn.fname ?? "its function"})`, fn());
  const parked = opts.parkedUntil;
  // The options field by field: an object rest or spread here cost more than the rest of a run's setup.
  return currentMachine().spawn(name, body, {
    cpu: opts.cpu,
    pinned: opts.pinned,
    percpu: opts.percpu,
    daemon: opts.daemon,
    prio: opts.prio,
    parked: parked && sleepWait(parked.cond, parked.what),
  });
}

/**
 * kthread_create(): makes a thread, from setup or from a running thread; it
 * stays asleep until wake_up_process() starts it. (kthread_run() makes one
 * that is runnable at once.)
 */
export function kthread_create(fn: Code, name: string, opts: Omit<ThreadOptions, "parkedUntil">): Context {
  let t: Context | undefined = undefined;
  t = kthread_run(fn, name, {
    ...opts,
    parkedUntil: {
      cond() {
        return t !== undefined && task_started(t);
      },
      what: "wake_up_process() starts it",
    },
  });
  return t;
}

/** Threads asked to stop. */
const stopping = new WeakSet<Context>();

/** kthread_should_stop(): whether kthread_stop() has been called on the current thread. */
export function kthread_should_stop(): boolean {
  return stopping.has(current().ctx);
}

/**
 * kthread_stop(): asks the thread to stop (kthread_should_stop() turns
 * true), wakes it, and sleeps until it has returned. A thread that never
 * looks at kthread_should_stop() must return on its own.
 */
function* kthread_stop_impl(t: Context): Gen {
  stopping.add(t);
  if (!t.done) wake_up_process(t);
  yield wait_event(() => t.done, `${t.name} has exited`);
  yield `kthread_stop(${t.name})`;
}

/**
 * wait_event, two ways. `yield* wait_event(wq, cond)` is Linux's: on a wait
 * queue, woken by wake_up(wq), step by step (wait.ts), so a wake-up can be
 * lost. `yield wait_event(cond, what)` is the machine's shorthand: the thread
 * sleeps until `cond` holds, which the machine re-checks between steps (no
 * wake-up is needed, none can be lost); the step after the yield starts with
 * `cond` true. Both may sleep, so might_sleep() checks the caller at once.
 */
export function wait_event(wq: wait_queue_head_t, cond: () => boolean): Gen<number>;
export function wait_event(cond: () => boolean, what: string | (() => string), holder?: () => string | null): Wait;
export function wait_event(a: wait_queue_head_t | (() => boolean), b: (() => boolean) | string | (() => string), holder?: () => string | null): Wait | Gen<number> {
  if (a instanceof wait_queue_head_t) {
    might_sleep(`wait_event(${a.name})`);
    return wait_event_wq(a, b as () => boolean);
  }
  const what = b as string | (() => string);
  might_sleep(`wait_event(${typeof what === "string" ? what : what()})`);
  return sleepWait(as_seen_here(a), what, holder);
}

/** `yield spin_until(cond, what)`: busy-waits, keeping the CPU, until `cond` holds; `holder` names who can make it hold. */
export function spin_until(cond: () => boolean, what: string | (() => string), holder?: () => string | null): Wait {
  return spinWait(as_seen_here(cond), what, holder);
}

export const kthread_stop = kernel_call(kthread_stop_impl);
