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
  /** WORK_STRUCT_PENDING: queued (or its delayed work's timer armed) and not yet taken off by a worker. */
  pending = false;
  /** cancel_work_sync() is under way: the item cannot be queued meanwhile. */
  canceling = false;
  /** The workqueue and CPU it was last queued on, or runs on. */
  wq: workqueue_struct | null = null;
  cpu = 0;
  /** Instances queued, completed, and the one running, to tell what a flush waits for. */
  queued = 0;
  completed = 0;
  runningInstance = 0;
  /** The worker running it now, if any. */
  worker: Context | null = null;
  constructor(
    readonly name: string,
    readonly func: Code<[work_struct]>,
  ) {}
  get running(): boolean {
    return this.worker !== null;
  }
}

/** INIT_WORK(): a work item running `func`. */
export function INIT_WORK(name: string, func: Code<[work_struct]>): work_struct {
  return new work_struct(name, func);
}

export class workqueue_struct {
  /** Per CPU, the items waiting for that CPU's workers. */
  readonly queues: work_struct[][];
  /** Per CPU, the pool of workers, and how many of them wait for work. */
  readonly pools: Context[][];
  readonly idle: number[];
  /** Items running now. */
  readonly running = new Set<work_struct>();
  destroyed = false;
  constructor(
    readonly name: string,
    cpus: number,
  ) {
    this.queues = new Array(cpus).fill(null).map(() => []);
    this.pools = new Array(cpus).fill(null).map(() => []);
    this.idle = new Array<number>(cpus).fill(0);
  }
  busy(): boolean {
    return this.queues.some((q) => q.length > 0) || this.running.size > 0;
  }
}

function fail(message: string): void {
  current().machine.fail("workqueue", message);
}

/** The first item of the queue a worker may take: not one running in another worker (a work item never runs twice at once). */
const takeable = (q: work_struct[]) => q.findIndex((w) => !w.running);

/**
 * One worker of a CPU's pool of `wq`: takes items off in order and runs
 * them. A pool keeps an idle worker for every item waiting, so an item that
 * sleeps holds up no other (Linux's concurrency-managed workqueues start a
 * worker when one sleeps; here the others only ever run when the schedule
 * switches to them).
 */
function* worker(wq: workqueue_struct, cpu: number): Gen {
  const q = wq.queues[cpu]!;
  const me = current().ctx;
  for (;;) {
    if (takeable(q) < 0) {
      if (wq.destroyed) return;
      yield wait_event(() => takeable(q) >= 0 || wq.destroyed, `work on ${wq.name} for cpu${cpu}`);
      continue;
    }
    const w = q.splice(takeable(q), 1)[0]!;
    wq.idle[cpu]!--;
    w.pending = false;
    current().machine.memory.mb(current().cpu.id); // PENDING cleared with a full barrier: the function sees what its queuer stored
    w.worker = me;
    w.runningInstance = w.queued;
    wq.running.add(w);
    yield `${wq.name}: take ${w.name}`;
    yield* run_module_code(w.func.owner, `work function ${w.func.fname ?? w.name}`, w.func(w));
    w.worker = null;
    wq.running.delete(w);
    w.completed = Math.max(w.completed, w.runningInstance);
    wq.idle[cpu]!++;
    yield `${wq.name}: ${w.name} done`;
  }
}

function addWorker(wq: workqueue_struct, cpu: number, atBoot: boolean): void {
  const q = wq.queues[cpu]!;
  const name = `kworker/${cpu}:${wq.name}${wq.pools[cpu]!.length === 0 ? "" : `#${wq.pools[cpu]!.length}`}`;
  const parkedUntil = atBoot
    ? {
        cond() {
          return takeable(q) >= 0 || wq.destroyed;
        },
        what: `work on ${wq.name} for cpu${cpu}`,
      }
    : undefined;
  wq.pools[cpu]!.push(kthread_run(() => worker(wq, cpu), name, { cpu, percpu: true, daemon: true, parkedUntil }));
}

/** alloc_workqueue(): a workqueue with a pool of workers on each CPU. Callable at boot or from a thread. */
export function alloc_workqueue(name: string): workqueue_struct {
  const m = currentMachine();
  const wq = new workqueue_struct(name, m.cpus.length);
  for (let c = 0; c < m.cpus.length; c++) addWorker(wq, c, true);
  wq.idle.fill(1);
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

/**
 * queue_work_on(): queues the item on `cpu`'s pool unless it is pending
 * already (or being cancelled); true if it queued it. An item running now
 * is queued where it runs, to run again after. Fully ordered, even when it
 * fails. Part of the caller's step.
 */
export function queue_work_on(cpu: number, wq: workqueue_struct, w: work_struct): boolean {
  if (wq.destroyed) {
    fail(`${w.name} is queued on ${wq.name}, which was destroyed`);
    return false;
  }
  if (isRunning()) current().machine.memory.mb(current().cpu.id); // test_and_set_bit(PENDING): fully ordered, on failure too
  if (w.pending || w.canceling) return false;
  insert_work(wq, w, cpu);
  return true;
}

/** Puts an item whose PENDING bit the caller holds on a pool's queue (where it runs, if it is running). */
function insert_work(wq: workqueue_struct, w: work_struct, cpu: number): void {
  const where = w.running ? w.cpu : cpu;
  w.pending = true;
  w.wq = wq;
  w.cpu = where;
  w.queued++;
  wq.queues[where]!.push(w);
  // A worker for every item waiting, so that one that sleeps holds up no other.
  if (wq.idle[where]! < wq.queues[where]!.filter((x) => !x.running).length && !wq.destroyed) {
    addWorker(wq, where, false);
    wq.idle[where]!++;
  }
}

/** queue_work(): on this CPU's pool. */
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

/** Whether `w`'s instance number `target` has run (and is not running still). */
function flushed(w: work_struct, target: number): boolean {
  return w.completed >= target && !(w.running && w.runningInstance <= target);
}

/** Whether every item has run up to its instance in `items`. */
function allFlushed(items: ReadonlyMap<work_struct, number>): boolean {
  for (const [w, n] of items) if (!flushed(w, n)) return false;
  return true;
}

/** flush_work(): sleeps until the instance queued last before the call has run; true if it had to wait. */
function* flush_work_impl(w: work_struct): Gen<boolean> {
  might_sleep(`flush_work(${w.name})`);
  const target = w.queued;
  const waited = !flushed(w, target);
  if (waited) yield wait_event(() => flushed(w, target), `${w.name} has run`, () => w.worker?.name ?? null);
  yield `flush_work(${w.name})`;
  return waited;
}

/** cancel_work_sync(): takes a pending item off its queue and waits for a running one to end, the item not queueable meanwhile; true if it was pending. */
function* cancel_work_sync_impl(w: work_struct): Gen<boolean> {
  might_sleep(`cancel_work_sync(${w.name})`);
  const was = w.pending;
  w.canceling = true;
  if (w.pending && w.wq !== null) {
    const q = w.wq.queues[w.cpu]!;
    const i = q.indexOf(w);
    if (i >= 0) q.splice(i, 1);
    w.pending = false;
    w.completed = Math.max(w.completed, w.queued); // nothing queued is left to flush; a running instance still is
  }
  if (w.running) yield wait_event(() => !w.running, `${w.name} has finished`, () => w.worker?.name ?? null);
  // Returns in the step that saw it idle: nobody can queue it in between.
  w.canceling = false;
  return was;
}

/** flush_workqueue(): sleeps until every item queued before the call has run. */
function* flush_workqueue_impl(wq: workqueue_struct): Gen {
  might_sleep(`flush_workqueue(${wq.name})`);
  const items = new Map<work_struct, number>();
  for (const q of wq.queues) for (const w of q) items.set(w, w.queued);
  for (const w of wq.running) items.set(w, Math.max(items.get(w) ?? 0, w.runningInstance));
  if (!allFlushed(items)) yield wait_event(() => allFlushed(items), `the work queued on ${wq.name} has run`);
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
    this.timer = timer_setup(`${work.name}.timer`, () => delayed_work_timer_fn(this));
  }
}

/** The timer's function: queues the work where it was asked to go. */
function* delayed_work_timer_fn(dw: delayed_work): Gen {
  // The work is PENDING since its timer was armed: it goes on the queue without the check.
  if (dw.wq !== null && dw.work.pending && !dw.work.canceling) insert_work(dw.wq, dw.work, current().cpu.id);
  else dw.work.pending = false;
  yield `delayed_work_timer_fn: queue ${dw.work.name}`;
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
  if (delay === 0) {
    dw.wq = wq;
    return queue_work(wq, dw.work);
  }
  if (isRunning()) current().machine.memory.mb(current().cpu.id);
  if (dw.work.pending || dw.work.canceling) return false;
  dw.wq = wq;
  dw.work.pending = true; // held while the timer is armed
  mod_timer(dw.timer, isRunning() && current().machine.hasClock() ? current().machine.now + delay : undefined);
  return true;
}

/** cancel_delayed_work_sync(): the timer off, the work off, and neither running when it returns. */
function* cancel_delayed_work_sync_impl(dw: delayed_work): Gen<boolean> {
  dw.work.canceling = true; // neither the timer function nor anyone else queues it meanwhile
  const timer = yield* del_timer_sync(dw.timer);
  if (timer) dw.work.pending = false; // the PENDING the armed timer held
  const work = yield* cancel_work_sync(dw.work);
  dw.work.canceling = false;
  return timer || work;
}

export const flush_work = kernel_call(flush_work_impl);
export const cancel_work_sync = kernel_call(cancel_work_sync_impl);
export const flush_workqueue = kernel_call(flush_workqueue_impl);
export const destroy_workqueue = kernel_call(destroy_workqueue_impl);
export const cancel_delayed_work_sync = kernel_call(cancel_delayed_work_sync_impl);
