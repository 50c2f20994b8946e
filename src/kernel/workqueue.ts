// Workqueues (include/linux/workqueue.h, kernel/workqueue.c). A work item is
// queued on a CPU's worker of its workqueue (pending until the worker takes
// it off), runs in that worker thread (process context: it may sleep), and
// may be queued again while it runs. flush_work() waits for the instance
// queued before it; cancel_work_sync() takes a pending item off and waits for
// a running one; destroy_workqueue() drains the queue first. A work function
// that is a module's code is checked as such: it must not run after the
// module is unloaded, nor be running when it is.
import type { Context } from "../sim/context.ts";
import { current, currentMachine, isRunning } from "../sim/current.ts";
import type { Machine } from "../sim/machine.ts";
import type { Gen } from "../sim/step.ts";
import type { Code } from "./module.ts";
import { run_module_code } from "./module.ts";
import { kthread_run, wait_event } from "./sched.ts";
import { might_sleep } from "./sleep.ts";
import type { timer_list } from "./timer.ts";
import { del_timer_sync, mod_timer, timer_setup } from "./timer.ts";
import { kernel_call } from "./kernel_call.ts";

export class work_struct {
  /** WORK_STRUCT_PENDING: queued and not yet taken off by a worker. */
  pending = false;
  /** Running now in a worker. */
  running = false;
  /** The workqueue and CPU it was last queued on. */
  wq: workqueue_struct | null = null;
  cpu = 0;
  /** Instances queued and completed, to tell what a flush waits for. */
  queued = 0;
  completed = 0;
  constructor(
    readonly name: string,
    readonly func: Code<[work_struct]>,
  ) {}
}

/** INIT_WORK(): a work item running `func`. */
export function INIT_WORK(name: string, func: Code<[work_struct]>): work_struct {
  return new work_struct(name, func);
}

export class workqueue_struct {
  /** Per CPU, the items waiting for that CPU's worker. */
  readonly queues: work_struct[][];
  readonly workers: Context[] = [];
  destroyed = false;
  constructor(
    readonly name: string,
    cpus: number,
  ) {
    this.queues = Array.from({ length: cpus }, () => []);
  }
  busy(): boolean {
    return this.queues.some((q) => q.length > 0) || this.queues.some((_, c) => this.runningOn(c) !== undefined);
  }
  runningOn(cpu: number): work_struct | undefined {
    return this.current[cpu] ?? undefined;
  }
  readonly current: (work_struct | null)[] = [];
}

function fail(message: string): void {
  current().machine.fail("workqueue", message);
}

/** A CPU's worker of `wq`: takes items off in order and runs them. */
function* worker(wq: workqueue_struct, cpu: number): Gen {
  const q = wq.queues[cpu]!;
  for (;;) {
    yield wait_event(() => q.length > 0 || wq.destroyed, `work on ${wq.name} for cpu${cpu}`);
    if (q.length === 0 && wq.destroyed) return;
    const w = q.shift()!;
    w.pending = false;
    w.running = true;
    wq.current[cpu] = w;
    const instance = w.queued;
    yield `${wq.name}: take ${w.name}`;
    yield* run_module_code(w.func.owner, `work function ${w.func.fname ?? w.name}`, w.func(w));
    w.running = false;
    wq.current[cpu] = null;
    w.completed = Math.max(w.completed, instance);
    yield `${wq.name}: ${w.name} done`;
  }
}

/** alloc_workqueue(): a workqueue with a worker thread on each CPU. Callable at boot or from a thread. */
export function alloc_workqueue(name: string): workqueue_struct {
  const m = currentMachine();
  const wq = new workqueue_struct(name, m.cpus.length);
  for (let c = 0; c < m.cpus.length; c++) {
    wq.current.push(null);
    const q = wq.queues[c]!;
    wq.workers.push(kthread_run(() => worker(wq, c), `kworker/${c}:${name}`, { cpu: c, pinned: true, daemon: true, parkedUntil: { cond: () => q.length > 0 || wq.destroyed, what: `work on ${name} for cpu${c}` } }));
  }
  return wq;
}

const SYSTEM = {};

/** system_wq: the workqueue schedule_work() uses, made on first use. */
export function system_wq(m: Machine = currentMachine()): workqueue_struct {
  let wq = m.ext.get(SYSTEM) as workqueue_struct | undefined;
  if (wq === undefined) {
    wq = alloc_workqueue("events");
    m.ext.set(SYSTEM, wq);
  }
  return wq;
}

/** queue_work_on(): queues the item on `cpu`'s worker unless it is pending already; true if it queued it. Part of the caller's step. */
export function queue_work_on(cpu: number, wq: workqueue_struct, w: work_struct): boolean {
  if (wq.destroyed) {
    fail(`${w.name} is queued on ${wq.name}, which was destroyed`);
    return false;
  }
  if (w.pending) return false;
  if (isRunning()) current().machine.memory.mb(current().cpu.id); // test_and_set_bit(PENDING): fully ordered
  w.pending = true;
  w.wq = wq;
  w.cpu = cpu;
  w.queued++;
  wq.queues[cpu]!.push(w);
  return true;
}

/** queue_work(): on this CPU's worker. */
export function queue_work(wq: workqueue_struct, w: work_struct): boolean {
  return queue_work_on(isRunning() ? current().cpu.id : 0, wq, w);
}

/** schedule_work(): queue_work() on system_wq. */
export function schedule_work(w: work_struct): boolean {
  return queue_work(system_wq(), w);
}

/** work_pending(), work_busy(). */
export const work_pending = (w: work_struct): boolean => w.pending;
export const work_busy = (w: work_struct): boolean => w.pending || w.running;

/** flush_work(): sleeps until the instance queued last before the call has run; true if it had to wait. */
function* flush_work_impl(w: work_struct): Gen<boolean> {
  might_sleep(`flush_work(${w.name})`);
  const target = w.queued;
  const waited = w.completed < target || w.running;
  if (w.completed < target) {
    const holder = () => (w.wq !== null && w.running ? (w.wq.workers[w.cpu]?.name ?? null) : null);
    yield wait_event(() => w.completed >= target, `${w.name} has run`, holder);
  }
  yield `flush_work(${w.name})`;
  return waited;
}

/** cancel_work_sync(): takes a pending item off its queue and waits for a running one to end; true if it was pending. */
function* cancel_work_sync_impl(w: work_struct): Gen<boolean> {
  might_sleep(`cancel_work_sync(${w.name})`);
  const was = w.pending;
  if (w.pending && w.wq !== null) {
    const q = w.wq.queues[w.cpu]!;
    q.splice(q.indexOf(w), 1);
    w.pending = false;
    w.completed = w.queued; // nothing is left to flush
  }
  if (w.running) {
    const holder = () => (w.wq !== null ? (w.wq.workers[w.cpu]?.name ?? null) : null);
    yield wait_event(() => !w.running, `${w.name} has finished`, holder);
  }
  yield `cancel_work_sync(${w.name})`;
  return was;
}

/** flush_workqueue(): sleeps until every item queued before the call has run. */
function* flush_workqueue_impl(wq: workqueue_struct): Gen {
  might_sleep(`flush_workqueue(${wq.name})`);
  const items = new Map<work_struct, number>();
  for (const q of wq.queues) for (const w of q) items.set(w, w.queued);
  for (const w of wq.current) if (w !== null) items.set(w, Math.max(items.get(w) ?? 0, w.queued));
  const done = () => [...items].every(([w, n]) => w.completed >= n);
  if (!done()) yield wait_event(done, `the work queued on ${wq.name} has run`);
  yield `flush_workqueue(${wq.name})`;
}

/** destroy_workqueue(): drains the queue (work queued meanwhile counts too), then stops its workers. */
function* destroy_workqueue_impl(wq: workqueue_struct): Gen {
  might_sleep(`destroy_workqueue(${wq.name})`);
  if (wq.busy()) yield wait_event(() => !wq.busy(), `${wq.name} is drained`);
  wq.destroyed = true;
  yield `destroy_workqueue(${wq.name})`;
}

// ---- delayed work ----

export class delayed_work {
  readonly timer: timer_list;
  wq: workqueue_struct | null = null;
  constructor(readonly work: work_struct) {
    // The timer's function queues the work where it was asked to go (delayed_work_timer_fn).
    const self = this;
    this.timer = timer_setup(`${work.name}.timer`, function* delayed_work_timer_fn() {
      if (self.wq !== null) queue_work(self.wq, self.work);
      yield `delayed_work_timer_fn: queue ${self.work.name}`;
    });
  }
}

/** INIT_DELAYED_WORK(): at boot (its timer is registered then). */
export function INIT_DELAYED_WORK(name: string, func: Code<[work_struct]>): delayed_work {
  return new delayed_work(new work_struct(name, func));
}

/**
 * queue_delayed_work(): queues the work once its timer expires (the
 * schedule's choice, or `delay` µs on the virtual clock when the model has
 * one); with delay 0 at once. False if it is pending already.
 */
export function queue_delayed_work(wq: workqueue_struct, dw: delayed_work, delay: number): boolean {
  if (dw.work.pending || dw.timer.armed) return false;
  dw.wq = wq;
  if (delay === 0) return queue_work(wq, dw.work);
  mod_timer(dw.timer, isRunning() && current().machine.hasClock() ? current().machine.now + delay : undefined);
  return true;
}

/** cancel_delayed_work_sync(): the timer off, the work off, and neither running when it returns. */
function* cancel_delayed_work_sync_impl(dw: delayed_work): Gen<boolean> {
  const timer = yield* del_timer_sync(dw.timer);
  const work = yield* cancel_work_sync(dw.work);
  return timer || work;
}

export const flush_work = kernel_call(flush_work_impl);
export const cancel_work_sync = kernel_call(cancel_work_sync_impl);
export const flush_workqueue = kernel_call(flush_workqueue_impl);
export const destroy_workqueue = kernel_call(destroy_workqueue_impl);
export const cancel_delayed_work_sync = kernel_call(cancel_delayed_work_sync_impl);
