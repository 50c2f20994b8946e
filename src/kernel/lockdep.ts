// Lock tracking and a validator after Linux's lockdep
// (Documentation/locking/lockdep-design.rst). Every acquisition is recorded
// per lock class: whether it happened in hardirq or softirq context, whether
// hardirqs (and softirqs) were enabled, and which classes were held at the
// time. A conflict is
// reported the moment one execution shows both sides of it, whether or not
// that execution deadlocks.
import type { Machine } from "../sim/machine.ts";
import { describePlace } from "../sim/machine.ts";
import { current } from "../sim/current.ts";

/** Anything that can be locked: spinlocks, mutexes, hand-rolled locks that annotate themselves. */
export interface Lockable {
  readonly name: string;
  /** Locks of one class share lockdep state (lock_class_key); defaults to the name. */
  readonly lockClass?: string;
}

/** Where something happened, for reports. */
export interface Usage {
  ctx: string;
  cpu: number;
  where: string;
  how: string;
}

/** One lock held by one context. */
export interface Held {
  lock: Lockable;
  at: Usage;
  /** For the forms that disable interrupts: whether interrupts were on when they did. */
  irqsWereOn?: boolean;
  /** For those forms: the outermost of the nested ones, and whether interrupts were on when it took its lock. */
  region?: { irqsOn: boolean; at: Usage };
  /** A read acquisition of a reader-writer lock (read_lock, down_read): shared, and recursive for rwlock_t. */
  read?: boolean;
}

/** The two kinds of interrupt context lockdep tracks. */
type IrqKind = "HARDIRQ" | "SOFTIRQ";

interface LockClass {
  name: string;
  /** First acquisition in hardirq context ({IN-HARDIRQ-W}). */
  inHardirq?: Usage;
  /** First time held with hardirqs enabled ({HARDIRQ-ON-W}). */
  hardirqOn?: Usage;
  /** First acquisition in softirq context ({IN-SOFTIRQ-W}). */
  inSoftirq?: Usage;
  /** First time held with softirqs (and hardirqs) enabled ({SOFTIRQ-ON-W}). */
  softirqOn?: Usage;
  /** The same four for read acquisitions ({IN-HARDIRQ-R}, {HARDIRQ-ON-R} ...). */
  inHardirqRead?: Usage;
  hardirqOnRead?: Usage;
  inSoftirqRead?: Usage;
  softirqOnRead?: Usage;
  /** Dependencies: classes taken while this one was held, with where. */
  readonly after: Map<LockClass, { prev: Usage; next: Usage }>;
}

class KernelLocks {
  readonly held = new Map<string, Held[]>();
  readonly holders = new Map<Lockable, string>();
  readonly classes = new Map<string, LockClass>();
  constructor(readonly lockdep: boolean) {}

  classOf(l: Lockable): LockClass {
    const name = l.lockClass ?? l.name;
    let c = this.classes.get(name);
    if (c === undefined) this.classes.set(name, (c = { name, after: new Map() }));
    return c;
  }
}

const KEY = {};

/** Turns the kernel's checks on for a machine: lock tracking, lockdep (unless off), exit-state checks. */
export function installKernel(m: Machine, opts: { lockdep: boolean }): void {
  m.ext.set(KEY, new KernelLocks(opts.lockdep));
  m.hooks.onExit = (ctx, cpu, frame) => {
    const held = locksOf(m).held.get(ctx.name) ?? [];
    const problems: string[] = [];
    if (held.length > 0) problems.push(`still holding ${held.map((h) => `${h.lock.name} (${h.at.how} at ${h.at.where})`).join(", ")}`);
    if (frame === undefined) {
      if (!cpu.irqsEnabled) problems.push("with interrupts disabled");
      if (cpu.preemptCount !== 0) problems.push(`with preempt_count ${cpu.preemptCount}`);
    } else {
      if (cpu.irqsEnabled) problems.push("with interrupts enabled (a handler must not enable them)");
      if (cpu.preemptCount !== frame.entryPreemptCount) problems.push(`with preempt_count ${cpu.preemptCount}, having found ${frame.entryPreemptCount}`);
    }
    if (problems.length > 0) m.fail("irq-state", { message: `${ctx.name} on cpu${cpu.id} returns ${problems.join(", ")}`, contexts: [ctx.name] });
  };
}

function locksOf(m: Machine): KernelLocks {
  let k = m.ext.get(KEY) as KernelLocks | undefined;
  if (k === undefined) m.ext.set(KEY, (k = new KernelLocks(true)));
  return k;
}

/**
 * A usage whose texts are made only when a report asks for them: every lock
 * operation makes one, and reports are rare.
 */
class UsageAt implements Usage {
  constructor(
    readonly ctx: string,
    readonly cpu: number,
    private readonly place: number,
    private readonly verb: string,
    private readonly object: string | undefined,
  ) {}
  get where(): string {
    return describePlace(this.place);
  }
  get how(): string {
    return this.object === undefined ? this.verb : `${this.verb}(${this.object})`;
  }
}

/** The running context's usage here: `verb(object)`, or `verb` alone. */
function usageHere(verb: string, object?: string): Usage {
  const { machine, cpu, ctx } = current();
  return new UsageAt(ctx.name, cpu.id, machine.place(), verb, object);
}

const at = (u: Usage) => `${u.ctx} on cpu${u.cpu} (${u.how} at ${u.where})`;

/** Locks the running context holds, oldest first. */
export function held_locks(): readonly Held[] {
  const { machine, ctx } = current();
  return locksOf(machine).held.get(ctx.name) ?? [];
}

/** Locks a context holds, for reports (by context name). */
export function locks_held_by(m: Machine, ctx: string): readonly Held[] {
  return locksOf(m).held.get(ctx) ?? [];
}

/** Classes reachable from `from` through recorded dependencies (itself included). */
function reachable(from: LockClass): Set<LockClass> {
  const seen = new Set<LockClass>([from]);
  const todo = [from];
  while (todo.length > 0) for (const next of todo.pop()!.after.keys()) if (!seen.has(next)) seen.add(next), todo.push(next);
  return seen;
}

/** A path of dependencies from `a` to `b`, if one exists. */
function pathBetween(a: LockClass, b: LockClass): LockClass[] | undefined {
  const prev = new Map<LockClass, LockClass>();
  const todo = [a];
  const seen = new Set([a]);
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === b) {
      const out = [b];
      for (let x = b; x !== a; ) out.unshift((x = prev.get(x)!));
      return out;
    }
    for (const n of c.after.keys()) if (!seen.has(n)) seen.add(n), prev.set(n, c), todo.push(n);
  }
  return undefined;
}

function edgesOf(path: LockClass[]): { prev: Usage; next: Usage }[] {
  return path.slice(1).map((c, i) => path[i]!.after.get(c)!);
}

/** "B was taken while holding A by T0 on cpu0 (...), C was taken while holding B by ..." */
function hops(path: LockClass[]): string {
  return edgesOf(path)
    .map((e, i) => `${path[i + 1]!.name} was taken while holding ${path[i]!.name} by ${at(e.next)}`)
    .join(", ");
}

function report(message: string, contexts: string[]): void {
  current().machine.fail("lockdep", { message, contexts });
}

type UsageKey = "inHardirq" | "hardirqOn" | "inSoftirq" | "softirqOn" | "inHardirqRead" | "hardirqOnRead" | "inSoftirqRead" | "softirqOnRead";
// Constant keys: a key built by concatenation would be looked up in the string table at every lock operation.
const inKey = (kind: IrqKind, read = false): UsageKey => (kind === "HARDIRQ" ? (read ? "inHardirqRead" : "inHardirq") : read ? "inSoftirqRead" : "inSoftirq");
const onKey = (kind: IrqKind, read = false): UsageKey => (kind === "HARDIRQ" ? (read ? "hardirqOnRead" : "hardirqOn") : read ? "softirqOnRead" : "softirqOn");
const rw = (read: boolean) => (read ? "R" : "W");
const ctxName = (kind: IrqKind) => kind.toLowerCase();

/** After a usage bit is set on `cls`: does a KIND-safe class now lead to a KIND-unsafe one? */
function checkSafeToUnsafe(k: KernelLocks, cls: LockClass, kind: IrqKind): void {
  for (const safe of k.classes.values()) {
    const taken = safe[inKey(kind)];
    if (taken === undefined) continue;
    const r = reachable(safe);
    if (!r.has(cls) && safe !== cls) continue;
    for (const unsafe of r) {
      const on = unsafe[onKey(kind)];
      if (unsafe === safe || on === undefined) continue;
      const p = pathBetween(safe, unsafe)!;
      report(
        `${kind}-safe -> ${kind}-unsafe lock order detected: ${safe.name} is taken in ${ctxName(kind)} context (${at(taken)}); ` +
          `${hops(p)}; ${unsafe.name} is taken with ${ctxName(kind)}s enabled (${at(on)}), so ${kind === "HARDIRQ" ? "an interrupt" : "a softirq"} can deadlock on ${safe.name}`,
        [taken.ctx, ...edgesOf(p).map((e) => e.next.ctx), on.ctx],
      );
      return;
    }
  }
}

function checkBoth(k: KernelLocks, cls: LockClass): void {
  checkSafeToUnsafe(k, cls, "HARDIRQ");
  if (current().machine.failure === undefined) checkSafeToUnsafe(k, cls, "SOFTIRQ");
}

/**
 * A lock taken in KIND context conflicts with the same lock held with KIND
 * enabled, unless both are reads (rwlock_t readers do not block each other).
 */
function markIn(k: KernelLocks, cls: LockClass, u: Usage, kind: IrqKind, read: boolean): void {
  if (cls[inKey(kind, read)] !== undefined) return;
  cls[inKey(kind, read)] = u;
  const onW = cls[onKey(kind)];
  const onR = read ? undefined : cls[onKey(kind, true)];
  const on = onW ?? onR;
  if (on !== undefined) {
    report(
      `inconsistent {${kind}-ON-${onW !== undefined ? "W" : "R"}} -> {IN-${kind}-${rw(read)}} usage of ${cls.name}: ${at(u)} takes it in ${ctxName(kind)} context, ` +
        `but ${at(on)} held it with ${ctxName(kind)}s enabled: ${kind === "HARDIRQ" ? "an interrupt" : "a softirq"} arriving while it is held that way enters its section a second time`,
      [u.ctx, on.ctx],
    );
    return;
  }
  checkBoth(k, cls);
}

function markOn(k: KernelLocks, cls: LockClass, u: Usage, kind: IrqKind, read: boolean): void {
  if (cls[onKey(kind, read)] !== undefined) return;
  cls[onKey(kind, read)] = u;
  const inW = cls[inKey(kind)];
  const inR = read ? undefined : cls[inKey(kind, true)];
  const taken = inW ?? inR;
  if (taken !== undefined) {
    report(
      `inconsistent {IN-${kind}-${inW !== undefined ? "W" : "R"}} -> {${kind}-ON-${rw(read)}} usage of ${cls.name}: ${at(u)} holds it with ${ctxName(kind)}s enabled, ` +
        `but ${at(taken)} took it in ${ctxName(kind)} context: ${kind === "HARDIRQ" ? "an interrupt" : "a softirq"} arriving now on cpu${u.cpu} would enter its section a second time`,
      [u.ctx, taken.ctx],
    );
    return;
  }
  checkBoth(k, cls);
}

/** The usage bits an acquisition (or an enabling of interrupts or bottom halves) sets, as lockdep's mark_irqflags(). */
function markContext(k: KernelLocks, cls: LockClass, u: Usage, cpu: { inHardirq: boolean; inSoftirq: boolean; irqsEnabled: boolean; softirqsEnabled: boolean }, taking: boolean, read = false): void {
  const m = current().machine;
  if (taking && cpu.inHardirq) markIn(k, cls, u, "HARDIRQ", read);
  if (m.failure === undefined && taking && cpu.inSoftirq && !cpu.inHardirq) markIn(k, cls, u, "SOFTIRQ", read);
  if (m.failure === undefined && cpu.irqsEnabled) markOn(k, cls, u, "HARDIRQ", read);
  if (m.failure === undefined && cpu.irqsEnabled && cpu.softirqsEnabled) markOn(k, cls, u, "SOFTIRQ", read);
}

/**
 * lock_acquire(): the running context is about to take `lock`. As in Linux
 * (spin_acquire() comes before the spinning), lockdep validates the attempt
 * here, so an acquisition that would deadlock is reported before it spins.
 * `trylock` acquisitions add no dependencies (they cannot wait);
 * `irqsWereOn` is what an irqsave form found.
 */
export function lock_acquire(lock: Lockable, how: string, opts: { trylock?: boolean; irqsWereOn?: boolean; read?: boolean } = {}): void {
  const { machine, cpu, ctx } = current();
  const k = locksOf(machine);
  const u = usageHere(how, lock.name);
  const mine = k.held.get(ctx.name) ?? [];
  const region = opts.irqsWereOn === undefined ? undefined : (mine.find((h) => h.region !== undefined)?.region ?? { irqsOn: opts.irqsWereOn, at: u });
  k.held.set(ctx.name, [...mine, { lock, at: u, irqsWereOn: opts.irqsWereOn, region, read: opts.read }]);
  if (!k.lockdep) return;
  const cls = k.classOf(lock);
  for (const h of mine) {
    const prev = k.classOf(h.lock);
    if (prev === cls && !opts.trylock && !(opts.read && h.read)) {
      report(`possible recursive locking detected: ${at(u)} takes ${lock.name} while already holding ${h.lock.name} of the same class (since ${h.at.where})`, [u.ctx]);
      return;
    }
  }
  markContext(k, cls, u, cpu, !opts.trylock, opts.read);
  // Read acquisitions add no dependencies here (a cycle through reads is lockdep's finer business).
  if (opts.trylock || opts.read || machine.failure !== undefined) return;
  for (const h of mine) {
    if (h.read) continue;
    const prev = k.classOf(h.lock);
    if (prev === cls || prev.after.has(cls)) continue;
    const back = pathBetween(cls, prev);
    if (back !== undefined) {
      report(`possible circular locking dependency detected: ${at(u)} takes ${lock.name} while holding ${h.lock.name}, but ${hops(back)}`, [u.ctx, ...edgesOf(back).map((e) => e.next.ctx)]);
      return;
    }
    prev.after.set(cls, { prev: h.at, next: u });
    checkBoth(k, prev);
    if (machine.failure !== undefined) return;
  }
}

/** The running context now owns `lock` (after lock_acquire and any waiting): mutual exclusion is checked here. Readers share. */
export function lock_acquired(lock: Lockable, opts: { read?: boolean } = {}): void {
  const { machine, cpu, ctx } = current();
  const k = locksOf(machine);
  if (opts.read) return;
  const other = k.holders.get(lock);
  if (other !== undefined && other !== ctx.name) {
    machine.fail("mutual-exclusion", { message: `${ctx.name} on cpu${cpu.id} acquires ${lock.name} while ${other} holds it`, contexts: [other] });
  }
  k.holders.set(lock, ctx.name);
}

/** lock_release(): the running context no longer holds `lock`; returns how it was taken. */
export function lock_released(lock: Lockable): Held {
  const { machine, ctx } = current();
  const k = locksOf(machine);
  const mine = k.held.get(ctx.name) ?? [];
  let i = mine.length - 1;
  while (i >= 0 && mine[i]!.lock !== lock) i--;
  if (i < 0) throw new Error(`${ctx.name} releases ${lock.name}, which it does not hold`);
  const h = mine[i]!;
  k.held.set(ctx.name, [...mine.slice(0, i), ...mine.slice(i + 1)]);
  if (!h.read) k.holders.delete(lock);
  return h;
}

const onOff = (on: boolean) => (on ? "on" : "off");

/**
 * The interrupt state an unlock is about to put back, checked against the
 * region of nested interrupt-disabling locks it closes: while a lock taken
 * with interrupts disabled is still held they must stay off, and when the
 * last is released they must be what the outermost one found. Flags may be
 * handed from one lock to another on the way; only what is restored counts.
 * `held` is the context's lock list before `took` is released.
 */
export function check_irq_restore(held: readonly Held[], took: Held, restoring: boolean, how: string): void {
  const region = took.region;
  if (region === undefined) return;
  const rest = held.filter((h) => h !== took && h.region !== undefined);
  const { machine, ctx } = current();
  if (rest.length > 0) {
    if (restoring)
      machine.fail("irq-state", {
        message: `${how} by ${ctx.name} turns interrupts on while ${rest[0]!.lock.name}, taken with them disabled (${rest[0]!.at.how} at ${rest[0]!.at.where}), is still held`,
      });
    return;
  }
  if (region.irqsOn !== restoring)
    machine.fail("irq-state", { message: `${how} by ${ctx.name} leaves interrupts ${onOff(restoring)}, but ${region.at.how} at ${region.at.where}, the outermost save, found them ${onOff(region.irqsOn)}` });
}

/**
 * trace_hardirqs_on() and trace_softirqs_on(): interrupts or bottom halves
 * were just enabled; every lock still held is now held with them on.
 */
export function lockdep_hardirqs_on(how: string): void {
  const { machine, ctx, cpu } = current();
  const k = locksOf(machine);
  if (!k.lockdep) return;
  const u = usageHere(how);
  for (const h of k.held.get(ctx.name) ?? []) {
    markContext(k, k.classOf(h.lock), u, cpu, false, h.read);
    if (machine.failure !== undefined) return;
  }
}

export const lockdep_softirqs_on = lockdep_hardirqs_on;

/** A function naming the lock's holder at any later time (for waits and deadlock reports). */
export function holder_of(lock: Lockable): () => string | null {
  const k = locksOf(current().machine);
  return () => k.holders.get(lock) ?? null;
}
