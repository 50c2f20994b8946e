// Wait queues (include/linux/wait.h, kernel/sched/wait.c) and task states.
// A sleeper registers on a queue and sets its state (prepare_to_wait), tests
// its condition, and calls schedule(), which sleeps until a wake_up() on the
// queue sets it running again. Each of these is its own step, so a sleeper
// that tests the condition before it is on the queue can miss the wake-up
// that comes in between, and sleep forever: the run then ends with the
// machine property `lost-wakeup`, naming the queue.
import type { Context } from "../sim/context.ts";
import { current } from "../sim/current.ts";
import type { Gen, Wait } from "../sim/step.ts";
import { yieldWait } from "../sim/step.ts";
import { as_seen_here } from "./barrier.ts";
import { might_sleep } from "./sleep.ts";
import { kernel_call } from "./kernel_call.ts";

export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_UNINTERRUPTIBLE = 2;
export type task_state = typeof TASK_RUNNING | typeof TASK_INTERRUPTIBLE | typeof TASK_UNINTERRUPTIBLE;

/** What every task's state is, and on which queue it last registered (for reports). */
const states = new WeakMap<Context, { state: task_state; queue?: string }>();

function task(ctx: Context): { state: task_state; queue?: string } {
  let t = states.get(ctx);
  if (t === undefined) states.set(ctx, (t = { state: TASK_RUNNING }));
  return t;
}

/** The current task's state (TASK_RUNNING unless it is about to sleep). */
export function current_state(): task_state {
  return task(current().ctx).state;
}

/** set_current_state(): the state, then a full barrier, so the condition tested after it is read afresh. */
export function set_current_state(state: task_state): void {
  const { machine, cpu, ctx } = current();
  task(ctx).state = state;
  machine.memory.mb(cpu.id);
}

/** __set_current_state(): the state, no barrier. */
export function __set_current_state(state: task_state): void {
  task(current().ctx).state = state;
}

export class wait_queue_entry {
  /** Whether it is on a queue now. */
  queued = false;
  exclusive = false;
  constructor(readonly task: Context) {}
}

/** DEFINE_WAIT(wait): an entry for the current task (removed from the queue when woken, as autoremove_wake_function does). */
export function DEFINE_WAIT(): wait_queue_entry {
  return new wait_queue_entry(current().ctx);
}

export class wait_queue_head_t {
  readonly entries: wait_queue_entry[] = [];
  constructor(readonly name: string) {}
}

/** DECLARE_WAIT_QUEUE_HEAD / init_waitqueue_head. */
export function DECLARE_WAIT_QUEUE_HEAD(name: string): wait_queue_head_t {
  return new wait_queue_head_t(name);
}

function enqueue(wq: wait_queue_head_t, e: wait_queue_entry, exclusive: boolean): void {
  e.exclusive = exclusive;
  if (!e.queued) {
    if (exclusive) wq.entries.push(e);
    else wq.entries.unshift(e);
    e.queued = true;
  }
}

/** prepare_to_wait(): puts the entry on the queue (if it is not) and sets the task's state, with a full barrier. */
export function prepare_to_wait(wq: wait_queue_head_t, e: wait_queue_entry, state: task_state): void {
  enqueue(wq, e, false);
  task(e.task).queue = wq.name;
  set_current_state(state);
}

/** prepare_to_wait_exclusive(): as prepare_to_wait(), but a wake_up() wakes only one exclusive waiter. */
export function prepare_to_wait_exclusive(wq: wait_queue_head_t, e: wait_queue_entry, state: task_state): void {
  enqueue(wq, e, true);
  task(e.task).queue = wq.name;
  set_current_state(state);
}

/** finish_wait(): running again, and off the queue. */
export function finish_wait(wq: wait_queue_head_t, e: wait_queue_entry): void {
  __set_current_state(TASK_RUNNING);
  const i = wq.entries.indexOf(e);
  if (i >= 0) wq.entries.splice(i, 1);
  e.queued = false;
}

/** try_to_wake_up(): sets a sleeping (or about to sleep) task running, if its state is one of `mode`'s. */
function wake(e: wait_queue_entry, mode: number = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE): boolean {
  const t = task(e.task);
  if (t.state === TASK_RUNNING || (t.state & mode) === 0) return false;
  t.state = TASK_RUNNING;
  return true;
}

/**
 * __wake_up(): wakes every non-exclusive waiter and up to `nr` exclusive
 * ones (0: all), removing each from the queue. It is a full barrier on the
 * waker (what it stored before is seen by the woken task). Part of the
 * caller's step.
 */
function __wake_up(wq: wait_queue_head_t, nr: number, mode: number = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE): void {
  const { machine, cpu } = current();
  machine.memory.mb(cpu.id);
  let exclusives = 0;
  for (const e of [...wq.entries]) {
    if (e.exclusive && nr > 0 && exclusives >= nr) break;
    if (!wake(e, mode)) continue; // a sleeper of another state stays on the queue
    if (e.exclusive) exclusives++;
    wq.entries.splice(wq.entries.indexOf(e), 1);
    e.queued = false;
  }
}

export const wake_up = (wq: wait_queue_head_t): void => __wake_up(wq, 1);
export const wake_up_all = (wq: wait_queue_head_t): void => __wake_up(wq, 0);
/** wake_up_interruptible(): wakes only TASK_INTERRUPTIBLE sleepers, as Linux does. */
export const wake_up_interruptible = (wq: wait_queue_head_t): void => __wake_up(wq, 1, TASK_INTERRUPTIBLE);
export const wake_up_interruptible_all = (wq: wait_queue_head_t): void => __wake_up(wq, 0, TASK_INTERRUPTIBLE);

/** Threads made by kthread_create() that wake_up_process() has started. */
const started = new WeakSet<Context>();

/** Whether a thread made by kthread_create() has been started. */
export const task_started = (ctx: Context): boolean => started.has(ctx);

/** wake_up_process(): sets a task running (or starts one kthread_create() made). */
export function wake_up_process(ctx: Context): boolean {
  current().machine.memory.mb(current().cpu.id);
  const first = !started.has(ctx);
  started.add(ctx);
  return wake(new wait_queue_entry(ctx)) || first;
}

/** waitqueue_active(): whether anyone is on the queue (without a barrier, as Linux warns). */
export const waitqueue_active = (wq: wait_queue_head_t): boolean => wq.entries.length > 0;

/** The wait of a task that is not running: until something sets it running, or until `deadline`. */
function sleeping(ctx: Context, deadline?: number): Wait {
  const t = task(ctx);
  const m = current().machine;
  const queue = t.queue;
  // Methods, not arrow-valued properties: tsx names every arrow a literal holds, at each call.
  return {
    kind: "wait",
    until() {
      return t.state === TASK_RUNNING || (deadline !== undefined && m.now >= deadline);
    },
    what() {
      return (queue === undefined ? "woken by wake_up_process()" : `woken on wait queue ${queue}`) + (deadline === undefined ? "" : ` or ${deadline} us`);
    },
    sleep: true,
    yieldCpu: true,
    deadline,
    stuck: "lost-wakeup",
  };
}

/**
 * schedule(): a task whose state is not TASK_RUNNING sleeps until it is
 * woken; a running one only gives up its CPU. Either way it is running after.
 */
function* schedule_impl(): Gen {
  might_sleep("schedule()");
  const { ctx } = current();
  const t = task(ctx);
  if (t.state === TASK_RUNNING) yield yieldWait("schedule()");
  else yield sleeping(ctx);
  t.state = TASK_RUNNING;
}

/** schedule_timeout(): as schedule(), for at most `timeout` µs of virtual time; returns the time left (0: it timed out). */
function* schedule_timeout_impl(timeout: number): Gen<number> {
  might_sleep("schedule_timeout()");
  const { ctx, machine: m } = current();
  if (!m.hasClock()) throw new Error("schedule_timeout() needs the clock: call timekeeping_init() in the model's setup");
  const t = task(ctx);
  const end = m.now + timeout;
  if (t.state !== TASK_RUNNING) yield sleeping(ctx, end);
  t.state = TASK_RUNNING;
  return Math.max(0, end - m.now);
}

/** What wait_event_timeout() returns once the condition holds: the time left before `end`, at least 1 (1 with no timeout). */
function timeLeft(end: number | undefined, now: number): number {
  return end === undefined ? 1 : Math.max(1, end - now);
}

/**
 * `yield* wait_event_wq(wq, cond)`: Linux's wait_event(wq, cond) loop, step
 * by step: test; register and set the state; test again; sleep; ... ; finish.
 * `timeout` (µs, on the virtual clock) makes it wait_event_timeout(): the
 * result is the time left (at least 1) or 0 if `cond` still does not hold.
 */
function* wait_event_wq_impl(wq: wait_queue_head_t, cond: () => boolean, opts: { timeout?: number; state?: task_state } = {}): Gen<number> {
  const { machine: m } = current();
  const seen = as_seen_here(cond);
  const end = opts.timeout === undefined ? undefined : m.now + opts.timeout;
  if (seen()) {
    yield `${wq.name}: condition holds`;
    return timeLeft(end, m.now);
  }
  const e = DEFINE_WAIT();
  for (;;) {
    prepare_to_wait(wq, e, opts.state ?? TASK_UNINTERRUPTIBLE);
    yield `prepare_to_wait(${wq.name})`;
    if (seen()) break;
    if (end !== undefined && m.now >= end) {
      finish_wait(wq, e);
      yield `${wq.name}: timed out`;
      return seen() ? 1 : 0;
    }
    if (end === undefined) yield* schedule();
    else yield* schedule_timeout(end - m.now);
  }
  finish_wait(wq, e);
  yield `finish_wait(${wq.name})`;
  return timeLeft(end, m.now);
}

/** wait_event_timeout(wq, cond, timeout): the time left, or 0 on a timeout. */
export const wait_event_timeout = (wq: wait_queue_head_t, cond: () => boolean, timeout: number): Gen<number> => wait_event_wq(wq, cond, { timeout });
/** wait_event_interruptible(wq, cond): no signals arrive here, so it returns 0 when `cond` holds. */
function* wait_event_interruptible_impl(wq: wait_queue_head_t, cond: () => boolean): Gen<number> {
  yield* wait_event_wq(wq, cond, { state: TASK_INTERRUPTIBLE });
  return 0;
}
/** wait_event_interruptible_timeout(wq, cond, timeout): the time left, or 0 on a timeout. */
export const wait_event_interruptible_timeout = (wq: wait_queue_head_t, cond: () => boolean, timeout: number): Gen<number> => wait_event_wq(wq, cond, { timeout, state: TASK_INTERRUPTIBLE });

export const schedule = kernel_call(schedule_impl);
export const schedule_timeout = kernel_call(schedule_timeout_impl);
export const wait_event_wq = kernel_call(wait_event_wq_impl);
export const wait_event_interruptible = kernel_call(wait_event_interruptible_impl);
