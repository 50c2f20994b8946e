// RCU (kernel/rcu/tree.c, Documentation/RCU/): read-side critical sections,
// call_rcu() onto per-CPU callback lists, grace periods as machine events
// (one starts, each CPU reports a quiescent state, it ends), callbacks
// invoked later, in order, from the RCU softirq of their CPU (or, with
// use_softirq off, by a per-CPU kthread rcuc/N), synchronize_rcu() and
// rcu_barrier().
import { current, currentMachine, isRunning } from "../sim/current.ts";
import type { EnvEvent } from "../sim/events.ts";
import { NO_ENV_EVENTS } from "../sim/events.ts";
import type { Machine } from "../sim/machine.ts";
import type { Gen } from "../sim/step.ts";
import { atomic_dec_and_test, atomic_inc, atomic_set, atomic_sub_and_test, atomic_t } from "./atomic.ts";
import { READ_ONCE, shared_t, smp_mb, smp_rmb, smp_store_release } from "./barrier.ts";
import { complete, completion, init_completion, wait_for_completion } from "./completion.ts";
import { local_irq_restore, local_irq_save } from "./irqflags.ts";
import type { Code } from "./module.ts";
import { run_module_code } from "./module.ts";
import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from "./mutex.ts";
import { preempt_disable, preempt_enable } from "./preempt.ts";
import { kthread_run, wait_event } from "./sched.ts";
import { read_sides } from "./rcu_nesting.ts";
import { check_not_freed, kfree, might_sleep } from "./sleep.ts";
import { smp_call_function_single, on_each_cpu } from "./smp_call.ts";
import { open_softirq } from "./bottom_half.ts";
import { CPUHP_RANK, cpuhp_kernel_dead, cpuhp_kernel_dying } from "./cpuhp.ts";
import { kernel_call } from "./kernel_call.ts";

/**
 * Which RCU: "consolidated" is today's (since v4.20), where code with
 * preemption or interrupts disabled holds up a grace period too;
 * "rcu_preempt" is the preemptible flavor before that, where only
 * rcu_read_lock() sections do.
 */
export type RcuFlavor = "consolidated" | "rcu_preempt";

/** A queued callback (struct rcu_head plus its function). */
interface Callback {
  readonly head: object;
  readonly func: Code<[object]>;
  readonly name: string;
  readonly cpu: number;
  /** Order on the list it is on (renumbered when a dead CPU's list is adopted: the order promised is the list's). */
  seq: number;
  /** The CPU whose list it is on: where it was queued, or the CPU that adopted it. */
  list: number;
  /** The read-side sections in progress when it was queued: all must have ended before it runs. */
  readonly readersThen: Map<string, number>;
  /** It may run once this many grace periods have completed (moved to a later one when its CPU's list is adopted). */
  target: number;
  readonly queuedAt: string;
  invoked: boolean;
}

class RcuState {
  started = 0;
  completed = 0;
  inProgress = false;
  readonly reported = new Set<number>();
  /** Readers (context, section number) that were inside a read-side section when the grace period started. */
  readonly blocked = new Map<string, number>();
  readonly nesting: Map<string, number>;
  readonly sections: Map<string, number>;
  /** Where the barrier count last reached zero, for reports. */
  lastZero = "";
  readonly cbs: Callback[][];
  /** Callbacks rcu_do_batch() has taken off the list and not yet invoked: still counted as the CPU's. */
  readonly inFlight: Callback[][];
  readonly nextSeq: number[];
  readonly lastInvoked: number[];
  syncWaiters = 0;
  /** Grace periods asked for by start_poll_synchronize_rcu(), by the number they must reach. */
  readonly polls = new Set<number>();
  readonly barrier_mutex = DEFINE_MUTEX("rcu_state.barrier_mutex");
  readonly barrier_cpu_count = new atomic_t("rcu_state.barrier_cpu_count");
  readonly barrier_completion = new completion("rcu_state.barrier_completion");
  /** Each CPU's rcu_data.barrier_head. */
  readonly barrier_heads: object[];
  /** rcu_state.barrier_sequence: which rcu_barrier() this is, and whether one is under way. */
  barrier_sequence = 0;
  barrierInProgress = false;
  /** Each CPU's rcu_data.barrier_seq_snap: the rcu_barrier() that has seen to this CPU already. */
  readonly barrier_seq_snap: number[];

  constructor(
    readonly m: Machine,
    readonly flavor: RcuFlavor,
    /** Callbacks run from RCU_SOFTIRQ (rcutree.use_softirq, the default), else in rcuc/N kthreads. */
    readonly use_softirq: boolean,
  ) {
    const n = m.cpus.length;
    const sides = read_sides(m);
    this.nesting = sides.nesting;
    this.sections = sides.sections;
    // Plain loops: this is made for every run, and Array.from({ length }) takes V8's slow path.
    this.cbs = [];
    this.inFlight = [];
    this.nextSeq = [];
    this.lastInvoked = [];
    this.barrier_heads = [];
    this.barrier_seq_snap = [];
    for (let c = 0; c < n; c++) {
      this.cbs.push([]);
      this.inFlight.push([]);
      this.nextSeq.push(0);
      this.lastInvoked.push(-1);
      this.barrier_heads.push({ name: BARRIER_HEAD[c] ?? `rcu_data[${c}].barrier_head` });
      this.barrier_seq_snap.push(0);
    }
  }

  depth(ctx: string): number {
    return this.nesting.get(ctx) ?? 0;
  }

  /**
   * Can this CPU report a quiescent state now? Not while a reader runs there;
   * not inside an interrupt handler or with interrupts off (the scheduler
   * tick that reports it cannot come); under consolidated RCU not with
   * preemption disabled either.
   */
  quiescent(cpuId: number): boolean {
    const cpu = this.m.cpus[cpuId]!;
    if (cpu.current !== null && this.depth(cpu.current.name) > 0) return false;
    if (cpu.irqStack.length > 0 || !cpu.irqsEnabled) return false;
    if (this.flavor === "consolidated" && cpu.preemptCount > 0) return false;
    return true;
  }

  /** The read-side sections in progress now, anywhere. */
  readersNow(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [ctx, d] of this.nesting) if (d > 0) out.set(ctx, this.sections.get(ctx)!);
    return out;
  }

  needed(): boolean {
    if (this.syncWaiters > 0) return true;
    for (const t of this.polls) if (t > this.completed) return true;
    for (const l of this.cbs) for (const cb of l) if (cb.target > this.completed) return true;
    return false;
  }

  /** rcu_segcblist_n_cbs(): queued callbacks, those being invoked included. */
  n_cbs(cpu: number): number {
    return this.cbs[cpu]!.length + this.inFlight[cpu]!.length;
  }

  ready(cpu: number): boolean {
    const first = this.cbs[cpu]![0];
    return first !== undefined && first.target <= this.completed;
  }

  /** Records a CPU's quiescent state for the grace period under way. */
  report(cpu: number): void {
    // A quiescent state is reported through a full barrier on that CPU
    // (rcu_report_qs_rdp() under the node's lock, after a context switch or
    // the tick): its earlier stores are visible, its later loads fresh.
    this.m.memory.mb(cpu);
    this.reported.add(cpu);
    // A reader preempted (or moved) inside its section no longer holds its CPU
    // up, but the grace period must still wait for it (Linux queues it on the
    // node's blkd_tasks). Every reader off its CPU now is waited for: more
    // than needed for one begun after its CPU's report, never less. A reader
    // on a CPU holds that CPU's report up by itself.
    for (const [ctx, sec] of this.readersNow()) if (!this.onCpu(ctx)) this.blocked.set(ctx, sec); // an older section of it has ended
  }

  /** Whether the context named runs on a CPU now (as its thread or in a handler). */
  private onCpu(name: string): boolean {
    return this.m.cpus.some((c) => c.current?.name === name || c.irqStack.some((f) => f.ctx.name === name));
  }

  /** invoke_rcu_core(): with callbacks ready on the CPU, raises its RCU softirq (an rcuc kthread wakes by itself). */
  invoke_rcu_core(cpu: number): void {
    if (this.use_softirq && this.m.cpu(cpu).online && this.ready(cpu)) this.m.raiseIrq(cpu, RCU_SOFTIRQ);
  }

  /** Whether a reader the current grace period waits for is still inside that section. */
  private anyBlocking(): boolean {
    for (const [ctx, sec] of this.blocked) if (this.depth(ctx) > 0 && this.sections.get(ctx) === sec) return true;
    return false;
  }

  /** The grace-period machinery's events now (asked at every step, and at every move of the drain); no list made when there are none. */
  events(): EnvEvent[] {
    if (!this.inProgress) return this.needed() ? [rcuEvent("gp-start")] : NO_ENV_EVENTS;
    let out = NO_ENV_EVENTS;
    for (const c of this.m.cpus) {
      if (!c.online || this.reported.has(c.id) || !this.quiescent(c.id)) continue;
      if (out === NO_ENV_EVENTS) out = [];
      out.push(rcuEvent(QS_CPU[c.id] ?? `qs-cpu${c.id}`));
    }
    if (this.reported.size === this.m.cpus.length && !this.anyBlocking()) {
      if (out === NO_ENV_EVENTS) out = [];
      out.push(rcuEvent("gp-end"));
    }
    return out;
  }

  apply(e: EnvEvent): string {
    const arg = String(e.arg);
    if (arg === "gp-start") {
      this.inProgress = true;
      this.started++;
      this.reported.clear();
      for (const c of this.m.cpus) if (!c.online) this.reported.add(c.id); // a grace period waits only for the CPUs online when it starts
      this.blocked.clear();
      for (const [ctx, sec] of this.readersNow()) this.blocked.set(ctx, sec);
      return `grace period ${this.started} starts${this.blocked.size ? `, waiting for readers ${[...this.blocked.keys()].join(", ")}` : ""}`;
    }
    if (arg === "gp-end") {
      this.inProgress = false;
      this.completed = this.started;
      for (const c of this.m.cpus) this.invoke_rcu_core(c.id);
      return `grace period ${this.completed} ends`;
    }
    const cpu = Number(arg.slice("qs-cpu".length));
    this.report(cpu);
    return `cpu${cpu} passes a quiescent state for grace period ${this.started}`;
  }
}

/** An event of the grace-period machinery (a module function: tsx would name a nested one at every call). */
function rcuEvent(arg: string): EnvEvent {
  return { kind: "env", source: "rcu", arg };
}

/** "qs-cpu0" ..., made once. */
const QS_CPU = Array.from({ length: 64 }, (_, c) => `qs-cpu${c}`);
/** "rcu_data[0].barrier_head" ..., made once. */
const BARRIER_HEAD = Array.from({ length: 64 }, (_, c) => `rcu_data[${c}].barrier_head`);

const KEY = {};
const RCU_SOFTIRQ = "rcu-softirq";

function rcu(m: Machine = currentMachine()): RcuState {
  const s = m.ext.get(KEY) as RcuState | undefined;
  if (s === undefined) throw new Error("RCU is not set up on this machine: call rcu_init() in the model's setup");
  return s;
}

/**
 * rcu_init(): sets RCU up on the machine being booted: the grace-period
 * machinery (environment source "rcu") and the RCU softirq that invokes
 * callbacks whose grace period has ended. With `use_softirq: false`
 * (rcutree.use_softirq=0) a per-CPU kthread rcuc/N invokes them instead.
 */
export function rcu_init(opts: { flavor?: RcuFlavor; use_softirq?: boolean } = {}): void {
  const m = currentMachine();
  const s = new RcuState(m, opts.flavor ?? "consolidated", opts.use_softirq ?? true);
  m.ext.set(KEY, s);
  m.addEnvSource({
    name: "rcu",
    enabled() {
      return s.events();
    },
    apply(e) {
      return s.apply(e);
    },
    drainMove() {
      return s.events()[0];
    },
  });
  if (s.use_softirq) {
    open_softirq(RCU_SOFTIRQ, () => rcu_core(s), { machine: m, name: "rcu_core" });
  } else {
    for (let c = 0; c < m.cpus.length; c++) {
      const what = `cpu${c} has callbacks whose grace period has ended`;
      kthread_run(() => rcu_cpu_kthread(s, c), `rcuc/${c}`, {
        cpu: c,
        percpu: true,
        daemon: true,
        parkedUntil: {
          cond() {
            return s.ready(c);
          },
          what,
        },
      });
    }
  }
  // rcutree_report_cpu_dead(): an outgoing CPU reports its quiescent state as it goes.
  cpuhp_kernel_dying(m, "rcutree_report_cpu_dead", (dead) => {
    if (!s.inProgress || s.reported.has(dead)) return undefined;
    s.report(dead);
    return `cpu${dead} passes a quiescent state for grace period ${s.started} as it goes`;
  });
  cpuhp_kernel_dead(m, "rcutree_migrate_callbacks", CPUHP_RANK.rcutree, (dead, me) => rcutree_migrate_callbacks(s, dead, me));
  m.endChecks.push(() => {
    const left = [...s.cbs.flat(), ...s.inFlight.flat()];
    if (left.length > 0) m.fail("rcu-stall", `callbacks never invoked: ${left.map((cb) => `${cb.name} on cpu${cb.cpu}`).join(", ")}`);
  });
}

/** rcu_core(), the RCU softirq: invokes this CPU's ready callbacks, and raises itself again if more became ready meanwhile. */
function* rcu_core(s: RcuState): Gen {
  const cpu = current().cpu.id;
  yield* rcu_do_batch(s, cpu);
  s.invoke_rcu_core(cpu);
}

/** rcuc/N: rcu_do_batch() whenever callbacks are ready. */
function* rcu_cpu_kthread(s: RcuState, cpu: number): Gen {
  for (;;) {
    // Parked while its CPU is offline (its callbacks are adopted elsewhere meanwhile).
    if (!s.m.cpu(cpu).online) {
      yield wait_event(() => s.m.cpu(cpu).online && s.ready(cpu), `cpu${cpu} is online and has callbacks whose grace period has ended`);
      continue;
    }
    preempt_disable(); // callbacks run with bottom halves disabled: they must not sleep
    yield* rcu_do_batch(s, cpu);
    preempt_enable();
    yield wait_event(() => s.ready(cpu), `cpu${cpu} has callbacks whose grace period has ended`);
  }
}

/** rcu_do_batch(): takes the callbacks whose grace period has ended off the list and invokes them, oldest first. */
function* rcu_do_batch(s: RcuState, cpu: number): Gen {
  const batch = s.cbs[cpu]!.splice(0, countReady(s, cpu));
  s.inFlight[cpu]!.push(...batch);
  smp_mb(); // the callbacks see what was stored before call_rcu() and by the readers the grace period waited for
  yield `rcu_do_batch: ${batch.length} callback(s) ready`;
  for (const cb of batch) {
    invokeChecks(s, cb);
    yield* run_module_code(cb.func.owner, `RCU callback ${cb.name}`, cb.func(cb.head));
    cb.invoked = true;
    s.inFlight[cpu]!.shift();
  }
}

/**
 * rcutree_migrate_callbacks(): a CPU that went offline leaves its callbacks
 * to this one (under barrier_lock: a step). An rcu_barrier() under way that
 * has not seen to that CPU yet gets its barrier callback entrained there
 * first. Ready callbacks join this CPU's ready ones; the others go last,
 * for the next grace period at the earliest (rcu_segcblist_merge(), then
 * rcu_accelerate_cbs()).
 */
function rcutree_migrate_callbacks(s: RcuState, dead: number, me: number): string {
  if (s.n_cbs(dead) === 0) return `cpu${dead} had no callbacks`;
  if (s.inFlight[dead]!.length > 0) throw new Error(`cpu${dead} went offline in the middle of invoking callbacks`);
  const entrained = rcu_barrier_entrain(s, dead);
  const src = s.cbs[dead]!.splice(0);
  const dst = s.cbs[me]!;
  const done = (cb: Callback) => cb.target <= s.completed;
  const srcDone = src.filter(done);
  const srcPending = src.filter((cb) => !done(cb));
  const dstDone = dst.splice(0, countReady(s, me));
  for (const cb of srcPending) cb.target = Math.max(cb.target, s.started + 1);
  dst.unshift(...dstDone, ...srcDone);
  dst.push(...srcPending);
  // The merged list is this CPU's now, and its order the one promised from here on.
  for (const cb of dst) {
    cb.list = me;
    cb.seq = s.nextSeq[me]!++;
  }
  s.invoke_rcu_core(me);
  return `${src.length} callback(s) of cpu${dead} adopted by cpu${me}${entrained === undefined ? "" : ` (${entrained})`}`;
}

function countReady(s: RcuState, cpu: number): number {
  const list = s.cbs[cpu]!;
  let n = 0;
  while (n < list.length && list[n]!.target <= s.completed) n++;
  return n;
}

/**
 * What RCU promises, checked against the definitions rather than the
 * engine's bookkeeping: every read-side section in progress when the
 * callback was queued has ended, and the CPU's callbacks run in queue order.
 */
function invokeChecks(s: RcuState, cb: Callback): void {
  const m = s.m;
  for (const [ctx, sec] of cb.readersThen) {
    if (s.depth(ctx) > 0 && s.sections.get(ctx) === sec) {
      m.fail("rcu-grace-period", { message: `${cb.name}, queued on cpu${cb.cpu} at ${cb.queuedAt}, runs while ${ctx} is still in the read-side section it was in then`, contexts: [ctx] });
      return;
    }
  }
  if (cb.seq <= s.lastInvoked[cb.list]!) m.fail("rcu-callback-order", `${cb.name} runs after a callback queued after it on cpu${cb.list}`);
  s.lastInvoked[cb.list] = cb.seq;
}

function enqueue(s: RcuState, cpu: number, head: object, func: Code<[object]>, target: number): void {
  const name = func.fname ?? func.name ?? "callback";
  s.cbs[cpu]!.push({ head, func, name, cpu, list: cpu, seq: s.nextSeq[cpu]!++, target, readersThen: s.readersNow(), queuedAt: s.m.where(), invoked: false });
}

// ---- readers ----

export function rcu_read_lock(): void {
  const { ctx } = current();
  const s = rcu();
  const d = s.depth(ctx.name);
  if (d === 0) s.sections.set(ctx.name, (s.sections.get(ctx.name) ?? 0) + 1);
  s.nesting.set(ctx.name, d + 1);
}

export function rcu_read_unlock(): void {
  const { ctx } = current();
  const s = rcu();
  const d = s.depth(ctx.name);
  if (d === 0) throw new Error(`rcu_read_unlock() by ${ctx.name} outside a read-side critical section`);
  s.nesting.set(ctx.name, d - 1);
  // The end of a section a grace period waits for is a full barrier
  // (rcu_read_unlock_special() reports it under the node's lock): what the
  // reader stored in it is visible before the grace period can end.
  if (d === 1 && s.inProgress && s.blocked.get(ctx.name) === s.sections.get(ctx.name)) {
    const { machine, cpu } = current();
    machine.memory.mb(cpu.id);
  }
}

/**
 * rcu_dereference(): loads an RCU-protected pointer, as a reader does;
 * loading freed memory is a use after free. Given a shared word
 * (shared_t<T | null>) it is a load through the memory model, ordered before
 * the loads made through the pointer (an address dependency, modelled as
 * Alpha's smp_read_barrier_depends()). Given the pointer itself (a plain
 * field the model read), it only checks it.
 */
export function rcu_dereference<T extends object | null>(p: shared_t<T>, what?: string): T;
export function rcu_dereference<T extends object | null>(p: T, what: string): T;
export function rcu_dereference<T extends object | null>(p: T | shared_t<T>, what?: string): T {
  if (p instanceof shared_t) {
    const v = READ_ONCE(p);
    smp_rmb();
    if (v !== null) check_not_freed(v, what ?? p.addr);
    return v;
  }
  if (p !== null) check_not_freed(p, what ?? "an RCU-protected pointer");
  return p;
}

/**
 * rcu_assign_pointer(): publishes `v`, a release store: everything the
 * caller stored before (the new object's fields) is visible before the
 * pointer is. On a shared word it goes through the memory model; on a
 * plain field obj[key] it is seen by all at once, after the caller's
 * earlier stores. Part of the caller's step.
 */
export function rcu_assign_pointer<T>(gp: shared_t<T>, v: T): void;
export function rcu_assign_pointer<T, K extends keyof T>(obj: T, key: K, v: T[K]): void;
export function rcu_assign_pointer(a: unknown, b: unknown, c?: unknown): void {
  if (a instanceof shared_t) {
    smp_store_release(a, b);
    return;
  }
  if (isRunning()) current().machine.memory.flush(current().cpu.id);
  (a as Record<PropertyKey, unknown>)[b as PropertyKey] = c;
}

// ---- updaters ----

/** call_rcu(): queues func on this CPU's list, with interrupts off; it runs after a grace period. Part of the caller's step. */
export function call_rcu(head: object, func: Code<[object]>): void {
  const s = rcu();
  const flags = local_irq_save();
  enqueue(s, current().cpu.id, head, func, s.started + 1);
  local_irq_restore(flags);
}

/** synchronize_rcu(): sleeps until a grace period begun after the call has ended. */
/**
 * synchronize_rcu(): sleeps until a grace period begun after the call has
 * ended. It implies a full barrier on entry and on return
 * (Documentation/RCU/whatisRCU.rst): a store before it is visible before the
 * grace period starts, and nothing after it reads a copy older than the
 * grace period's end.
 */
function* synchronize_rcu_impl(): Gen {
  might_sleep("synchronize_rcu()");
  const s = rcu();
  smp_mb();
  const target = s.started + 1;
  s.syncWaiters++;
  yield wait_event(() => s.completed >= target, `grace period ${target} ends`);
  s.syncWaiters--;
  smp_mb();
  yield "synchronize_rcu() returns";
}

/** Every callback queued now and not yet invoked, on any CPU, for the rcu_barrier() check. */
function pendingNow(s: RcuState): Callback[] {
  const out: Callback[] = [];
  // Loops, not flat() and filter(): every run of a module's exit path asks once.
  for (const lists of [s.cbs, s.inFlight]) for (const list of lists) for (const cb of list) if (!cb.invoked) out.push(cb);
  return out;
}

/** When rcu_barrier() returns, every callback queued before it was called must have run. */
function checkBarrier(s: RcuState, before: Callback[], how: string): void {
  const late = before.filter((cb) => !cb.invoked);
  if (late.length > 0) {
    const zero = s.lastZero === "" ? "" : `; ${s.lastZero}`;
    s.m.fail("rcu-barrier", `${how} returns while ${late.map((cb) => `${cb.name} (queued on cpu${cb.cpu} at ${cb.queuedAt})`).join(", ")} has not run${zero}`);
  }
}

const barrierCallback: Code<[object]> = Object.assign(
  function* rcu_barrier_callback(_head: object) {
    const s = rcu();
    const was = s.barrier_cpu_count.counter;
    if (atomic_dec_and_test(s.barrier_cpu_count)) {
      s.lastZero = `rcu_barrier_callback on cpu${current().cpu.id} took the count to 0 at ${s.m.where()}`;
      complete(s.barrier_completion);
      yield `rcu_barrier_callback: count ${was} -> 0, complete()`;
    } else {
      yield `rcu_barrier_callback: count ${was} -> ${s.barrier_cpu_count.counter}`;
    }
  },
  { fname: "rcu_barrier_callback" },
);

/**
 * What both rcu_barrier()s share: serialise on the barrier mutex, start the
 * count, have the barrier callbacks queued, wait for the completion the last
 * of them signals, and check that this waited for every callback queued
 * before the call.
 */
function* barrier(start: number, queue_barrier_callbacks: (s: RcuState) => Gen): Gen {
  might_sleep("rcu_barrier()");
  const s = rcu();
  smp_mb(); // a full barrier on entry and on return, as synchronize_rcu()
  const before = pendingNow(s);
  yield* mutex_lock(s.barrier_mutex);
  init_completion(s.barrier_completion);
  s.lastZero = "";
  atomic_set(s.barrier_cpu_count, start);
  s.barrier_sequence++; // rcu_seq_start()
  s.barrierInProgress = true;
  yield `rcu_barrier: count = ${start}`;
  yield* queue_barrier_callbacks(s);
  yield* wait_for_completion(s.barrier_completion);
  s.barrierInProgress = false; // rcu_seq_end(): every CPU has seen this one
  s.barrier_seq_snap.fill(s.barrier_sequence);
  yield* mutex_unlock(s.barrier_mutex);
  checkBarrier(s, before, "rcu_barrier()");
  smp_mb();
  yield "rcu_barrier() returns";
}

/**
 * rcu_barrier(), as today's kernel does it: the count starts at 2; for each
 * CPU that this barrier has not seen to yet and that has callbacks, a
 * cross-CPU call entrains a barrier callback behind its last one and counts
 * it, or, for an offline CPU, the caller entrains it there itself (its list
 * is adopted later with the barrier callback in it); then 2 is taken off,
 * and the caller waits for the last barrier callback to complete.
 */
function* rcu_barrier_impl(): Gen {
  yield* barrier(2, rcu_barrier_queue);
}

/** rcu_barrier()'s part between starting the count and waiting: a barrier callback entrained on every CPU with callbacks. */
function* rcu_barrier_queue(s: RcuState): Gen {
  for (let cpu = 0; cpu < s.m.cpus.length; cpu++) {
    for (;;) {
      if (s.barrier_seq_snap[cpu] === s.barrier_sequence) break; // seen to already (its list was adopted)
      if (s.n_cbs(cpu) === 0) {
        s.barrier_seq_snap[cpu] = s.barrier_sequence;
        yield `rcu_barrier: cpu${cpu} has no callbacks`;
        break;
      }
      if (!s.m.cpu(cpu).online) {
        yield `rcu_barrier: cpu${cpu} is offline: ${rcu_barrier_entrain(s, cpu)}`;
        break;
      }
      // -ENXIO: it went offline meanwhile; look again.
      if ((yield* smp_call_function_single(cpu, () => rcu_barrier_handler(s, cpu), true)) === 0) break;
    }
  }
  if (atomic_sub_and_test(2, s.barrier_cpu_count)) {
    s.lastZero = `rcu_barrier took the count to 0 itself at ${s.m.where()}`;
    complete(s.barrier_completion);
  }
  yield `rcu_barrier: count -= 2 -> ${s.barrier_cpu_count.counter}`;
}

/** rcu_barrier_handler(), in the target CPU's IPI. */
function* rcu_barrier_handler(s: RcuState, cpu: number): Gen {
  yield `rcu_barrier_handler: ${rcu_barrier_entrain(s, cpu) ?? `cpu${cpu} seen to already`}`;
}

/**
 * rcu_barrier_entrain(): for an rcu_barrier() under way that has not seen
 * to this CPU yet, entrain the barrier callback behind the CPU's last
 * callback, if it has any (rcu_segcblist_entrain: in the last non-empty
 * segment, so it waits for no further grace period; behind callbacks being
 * invoked, it is ready at once), and count it. Part of the caller's step;
 * returns what it did, or undefined if there was nothing to do.
 */
function rcu_barrier_entrain(s: RcuState, cpu: number): string | undefined {
  if (!s.barrierInProgress || s.barrier_seq_snap[cpu] === s.barrier_sequence) return undefined;
  s.barrier_seq_snap[cpu] = s.barrier_sequence;
  if (s.n_cbs(cpu) === 0) return `cpu${cpu} has no callbacks`;
  const queued = s.cbs[cpu]!.at(-1);
  const last = queued ?? s.inFlight[cpu]!.at(-1)!;
  enqueue(s, cpu, s.barrier_heads[cpu]!, barrierCallback, queued !== undefined ? queued.target : s.completed);
  atomic_inc(s.barrier_cpu_count);
  s.invoke_rcu_core(cpu);
  return `barrier callback behind ${last.name}, count -> ${s.barrier_cpu_count.counter}`;
}

/**
 * The original rcu_barrier() (2.6.20): the count starts at 0, each CPU
 * increments it and queues its barrier callback through on_each_cpu(), and
 * the caller waits for the completion. It relied on preemption being
 * disabled in on_each_cpu() to hold grace periods off, which preemptible
 * RCU before v4.20 no longer did.
 */
function* rcu_barrier_count_from_zero_impl(): Gen {
  yield* barrier(0, (s) => on_each_cpu(() => rcu_barrier_func(s), true));
}

/** The old rcu_barrier()'s function on each CPU: count one more, and queue a barrier callback behind this CPU's. */
function* rcu_barrier_func(s: RcuState): Gen {
  const cpu = current().cpu.id;
  atomic_inc(s.barrier_cpu_count);
  call_rcu(s.barrier_heads[cpu]!, barrierCallback);
  yield `rcu_barrier_func: count -> ${s.barrier_cpu_count.counter}, call_rcu(barrier callback)`;
}

export const synchronize_rcu = kernel_call(synchronize_rcu_impl);
export const rcu_barrier = kernel_call(rcu_barrier_impl);
export const rcu_barrier_count_from_zero = kernel_call(rcu_barrier_count_from_zero_impl);

// ---- polled grace periods: the machine's grace periods, for a callback engine of one's own ----

/** get_state_synchronize_rcu(): a cookie that poll_state_synchronize_rcu() finds true once a full grace period has passed since. Part of the caller's step. */
export function get_state_synchronize_rcu(): number {
  const s = rcu();
  if (isRunning()) smp_mb();
  return s.started + 1;
}

/** start_poll_synchronize_rcu(): as get_state_synchronize_rcu(), and makes sure that grace period will happen. */
export function start_poll_synchronize_rcu(): number {
  const cookie = get_state_synchronize_rcu();
  rcu().polls.add(cookie);
  return cookie;
}

/** poll_state_synchronize_rcu(): whether the grace period the cookie names has ended (then a full barrier, as synchronize_rcu() returning). */
export function poll_state_synchronize_rcu(cookie: number): boolean {
  const s = rcu();
  if (s.completed < cookie) return false;
  s.polls.delete(cookie);
  if (isRunning()) smp_mb(); // in a step; a wait's condition only looks
  return true;
}

/** cond_synchronize_rcu(): waits for a grace period only if the cookie's has not ended yet. */
function* cond_synchronize_rcu_impl(cookie: number): Gen {
  if (poll_state_synchronize_rcu(cookie)) {
    yield "cond_synchronize_rcu(): the grace period has ended";
    return;
  }
  yield* synchronize_rcu();
}
export const cond_synchronize_rcu = kernel_call(cond_synchronize_rcu_impl);

const kfreeRcuCallback: Code<[object]> = Object.assign(
  function* kfree_rcu_callback(head: object) {
    kfree(head);
    yield "kfree_rcu: kfree() after the grace period";
  },
  { fname: "kfree_rcu_callback" },
);

/** kfree_rcu(): frees `p` after a grace period (call_rcu() with a kfree() callback). Part of the caller's step. */
export function kfree_rcu(p: object): void {
  call_rcu(p, kfreeRcuCallback);
}
