// Atomic operations (include/linux/atomic.h, cmpxchg.h, bitops; ordering as
// Documentation/atomic_t.txt and atomic_bitops.txt say). Each is one
// indivisible operation within the caller's current step:
// - atomic_read/atomic_set and test_bit are plain loads and stores;
// - RMW operations that return nothing (atomic_inc, set_bit ...) are unordered;
// - those that return a value (xchg, cmpxchg, atomic_*_return,
//   atomic_fetch_*, atomic_dec_and_test, test_and_set_bit ...) are fully
//   ordered, and their _relaxed, _acquire and _release forms are as named;
// - a failed cmpxchg orders nothing.
// An RMW reads and writes memory itself: the CPU's buffered stores leave
// first, as a locked instruction drains the store buffer on x86.
//
// The operations work on a shared word (shared_t, or an atomic_t made by
// DEFINE_ATOMIC) through the memory model, or on a plain field of an object
// (xchg(obj, "key", v)), which every CPU sees at once; the ordering is the
// same for both.
import { current, currentMachine, isRunning } from "../sim/current.ts";
import type { RmwOrder, Word } from "../sim/memory.ts";
import { READ_ONCE, WRITE_ONCE, shared_t, smp_store_release } from "./barrier.ts";

/** Performs `f` on a shared word as one RMW of the given order; returns the old value. */
function rmwWord<T>(w: shared_t<T>, f: (old: T) => T | undefined, order: RmwOrder): T {
  if (!isRunning()) {
    const m = currentMachine().memory;
    const old = m.committed(w.addr) as T;
    const next = f(old);
    if (next !== undefined) m.initialise(w.addr, next);
    return old;
  }
  const { machine, cpu } = current();
  return machine.memory.rmw(cpu.id, w.addr, f as (old: Word) => Word | undefined, order) as T;
}

/** Performs `f` on a plain field as one RMW of the given order; returns the old value. */
function rmwField<T, K extends keyof T>(obj: T, key: K, f: (old: T[K]) => T[K] | undefined, order: RmwOrder): T[K] {
  const r = isRunning() ? current() : null;
  r?.machine.unseen(); // a plain field: the machine cannot see who else reads it
  r?.machine.memory.flush(r.cpu.id);
  const old = obj[key];
  const next = f(old);
  if (next !== undefined) obj[key] = next;
  r?.machine.memory.afterRmw(r.cpu.id, order, next !== undefined);
  return old;
}

// ---- xchg and cmpxchg, on a shared word or a plain field ----

type Xchg = {
  <T>(w: shared_t<T>, v: T): T;
  <T, K extends keyof T>(obj: T, key: K, v: T[K]): T[K];
};
type Cmpxchg = {
  <T>(w: shared_t<T>, old: T, v: T): T;
  <T, K extends keyof T>(obj: T, key: K, old: T[K], v: T[K]): T[K];
};

function xchgOf(order: RmwOrder): Xchg {
  return ((a: unknown, b: unknown, c?: unknown) =>
    a instanceof shared_t ? rmwWord(a, () => b, order) : rmwField(a as Record<PropertyKey, unknown>, b as PropertyKey, () => c, order)) as Xchg;
}

function cmpxchgOf(order: RmwOrder): Cmpxchg {
  return ((a: unknown, b: unknown, c: unknown, d?: unknown) =>
    a instanceof shared_t
      ? rmwWord(a, (found) => (found === b ? c : undefined), order)
      : rmwField(a as Record<PropertyKey, unknown>, b as PropertyKey, (found) => (found === c ? d : undefined), order)) as Cmpxchg;
}

/** xchg(&x, v): stores v, returns the old value. Fully ordered. */
export const xchg = xchgOf("mb");
export const xchg_relaxed = xchgOf("relaxed");
export const xchg_acquire = xchgOf("acquire");
export const xchg_release = xchgOf("release");
/** cmpxchg(&x, old, v): stores v if the value is `old`; returns the value found. Fully ordered when it stores. */
export const cmpxchg = cmpxchgOf("mb");
export const cmpxchg_relaxed = cmpxchgOf("relaxed");
export const cmpxchg_acquire = cmpxchgOf("acquire");
export const cmpxchg_release = cmpxchgOf("release");

// ---- atomic_t ----

/**
 * atomic_t. One made with DEFINE_ATOMIC() at boot is a word of shared memory
 * and goes through the store buffers; one made with `new atomic_t(name)` is
 * a plain counter every CPU sees at once. Both order the same way.
 */
export class atomic_t {
  private value = 0;
  constructor(
    readonly name: string,
    readonly word?: shared_t,
  ) {}
  /** The value in memory (for messages and checks). */
  get counter(): number {
    return this.word === undefined ? this.value : (currentMachine().memory.committed(this.word.addr) as number);
  }
  set counter(i: number) {
    if (this.word === undefined) this.value = i;
    else currentMachine().memory.initialise(this.word.addr, i);
  }
}

/** DEFINE_ATOMIC / ATOMIC_INIT(i) at boot: an atomic_t that is a word of shared memory named `name`. */
export function DEFINE_ATOMIC(name: string, i = 0): atomic_t {
  currentMachine().memory.declare(name, i);
  return new atomic_t(name, new shared_t(name));
}

/** One RMW on an atomic_t: `f` maps the old value to the new one (undefined: store nothing). Returns the old value. */
function atomicRmw(v: atomic_t, f: (old: number) => number | undefined, order: RmwOrder): number {
  if (v.word !== undefined) return rmwWord(v.word, f, order);
  const box = v as unknown as { value: number };
  return rmwField(box, "value", f, order);
}

export function atomic_read(v: atomic_t): number {
  if (v.word === undefined && isRunning()) current().machine.unseen();
  return v.word === undefined ? v.counter : READ_ONCE(v.word);
}

export function atomic_set(v: atomic_t, i: number): void {
  if (v.word === undefined) atomicRmw(v, () => i, "relaxed");
  else WRITE_ONCE(v.word, i);
}

export function atomic_read_acquire(v: atomic_t): number {
  const i = atomic_read(v);
  if (isRunning()) current().machine.memory.rmb(current().cpu.id);
  return i;
}

export function atomic_set_release(v: atomic_t, i: number): void {
  if (v.word === undefined) atomicRmw(v, () => i, "release");
  else smp_store_release(v.word, i);
}

// Unordered RMWs: no value returned.
export const atomic_add = (i: number, v: atomic_t): void => void atomicRmw(v, (o) => o + i, "relaxed");
export const atomic_sub = (i: number, v: atomic_t): void => void atomicRmw(v, (o) => o - i, "relaxed");
export const atomic_inc = (v: atomic_t): void => atomic_add(1, v);
export const atomic_dec = (v: atomic_t): void => atomic_sub(1, v);

// Value-returning RMWs, fully ordered unless the name says otherwise.
const addReturn = (order: RmwOrder) => (i: number, v: atomic_t) => atomicRmw(v, (o) => o + i, order) + i;
const fetchAdd = (order: RmwOrder) => (i: number, v: atomic_t) => atomicRmw(v, (o) => o + i, order);
export const atomic_add_return = addReturn("mb");
export const atomic_add_return_relaxed = addReturn("relaxed");
export const atomic_add_return_acquire = addReturn("acquire");
export const atomic_add_return_release = addReturn("release");
export const atomic_sub_return = (i: number, v: atomic_t) => atomic_add_return(-i, v);
export const atomic_sub_return_relaxed = (i: number, v: atomic_t) => atomic_add_return_relaxed(-i, v);
export const atomic_inc_return = (v: atomic_t) => atomic_add_return(1, v);
export const atomic_inc_return_relaxed = (v: atomic_t) => atomic_add_return_relaxed(1, v);
export const atomic_inc_return_acquire = (v: atomic_t) => atomic_add_return_acquire(1, v);
export const atomic_inc_return_release = (v: atomic_t) => atomic_add_return_release(1, v);
export const atomic_dec_return = (v: atomic_t) => atomic_add_return(-1, v);
export const atomic_dec_return_relaxed = (v: atomic_t) => atomic_add_return_relaxed(-1, v);
export const atomic_dec_return_acquire = (v: atomic_t) => atomic_add_return_acquire(-1, v);
export const atomic_dec_return_release = (v: atomic_t) => atomic_add_return_release(-1, v);
export const atomic_fetch_add = fetchAdd("mb");
export const atomic_fetch_add_relaxed = fetchAdd("relaxed");
export const atomic_fetch_add_acquire = fetchAdd("acquire");
export const atomic_fetch_add_release = fetchAdd("release");
export const atomic_fetch_sub = (i: number, v: atomic_t) => atomic_fetch_add(-i, v);
export const atomic_fetch_sub_relaxed = (i: number, v: atomic_t) => atomic_fetch_add_relaxed(-i, v);
export const atomic_fetch_sub_acquire = (i: number, v: atomic_t) => atomic_fetch_add_acquire(-i, v);
export const atomic_fetch_sub_release = (i: number, v: atomic_t) => atomic_fetch_add_release(-i, v);
export const atomic_fetch_inc = (v: atomic_t) => atomic_fetch_add(1, v);
export const atomic_fetch_dec = (v: atomic_t) => atomic_fetch_add(-1, v);

const atomicXchg = (order: RmwOrder) => (v: atomic_t, i: number) => atomicRmw(v, () => i, order);
const atomicCmpxchg = (order: RmwOrder) => (v: atomic_t, old: number, i: number) => atomicRmw(v, (o) => (o === old ? i : undefined), order);
export const atomic_xchg = atomicXchg("mb");
export const atomic_xchg_relaxed = atomicXchg("relaxed");
export const atomic_xchg_acquire = atomicXchg("acquire");
export const atomic_xchg_release = atomicXchg("release");
export const atomic_cmpxchg = atomicCmpxchg("mb");
export const atomic_cmpxchg_relaxed = atomicCmpxchg("relaxed");
export const atomic_cmpxchg_acquire = atomicCmpxchg("acquire");
export const atomic_cmpxchg_release = atomicCmpxchg("release");

/** Decrements; true when the result is zero. Fully ordered. */
export const atomic_dec_and_test = (v: atomic_t): boolean => atomic_add_return(-1, v) === 0;
/** Increments; true when the result is zero. Fully ordered. */
export const atomic_inc_and_test = (v: atomic_t): boolean => atomic_add_return(1, v) === 0;
/** Subtracts i; true when the result is zero. Fully ordered. */
export const atomic_sub_and_test = (i: number, v: atomic_t): boolean => atomic_add_return(-i, v) === 0;

/** Adds `a` unless the value is `u`; true if it added. Fully ordered when it does, unordered when not. */
export function atomic_add_unless(v: atomic_t, a: number, u: number): boolean {
  return atomicRmw(v, (o) => (o === u ? undefined : o + a), "mb") !== u;
}

/** atomic_inc_not_zero(): increments unless zero (taking a reference on a live object). */
export const atomic_inc_not_zero = (v: atomic_t): boolean => atomic_add_unless(v, 1, 0);

// ---- bit operations on a shared word (an unsigned long) ----

const bit = (nr: number) => 2 ** nr;
const isSet = (w: number, nr: number) => Math.floor(w / bit(nr)) % 2 === 1;
const withBit = (w: number, nr: number, on: boolean) => (isSet(w, nr) === on ? w : on ? w + bit(nr) : w - bit(nr));

export const set_bit = (nr: number, w: shared_t): void => void rmwWord(w, (o) => withBit(o, nr, true), "relaxed");
export const clear_bit = (nr: number, w: shared_t): void => void rmwWord(w, (o) => withBit(o, nr, false), "relaxed");
export const change_bit = (nr: number, w: shared_t): void => void rmwWord(w, (o) => withBit(o, nr, !isSet(o, nr)), "relaxed");
export const test_bit = (nr: number, w: shared_t): boolean => isSet(READ_ONCE(w), nr);
/** Fully ordered; true if the bit was set before. */
export const test_and_set_bit = (nr: number, w: shared_t): boolean => isSet(rmwWord(w, (o) => withBit(o, nr, true), "mb"), nr);
export const test_and_clear_bit = (nr: number, w: shared_t): boolean => isSet(rmwWord(w, (o) => withBit(o, nr, false), "mb"), nr);
export const test_and_change_bit = (nr: number, w: shared_t): boolean => isSet(rmwWord(w, (o) => withBit(o, nr, !isSet(o, nr)), "mb"), nr);
/** test_and_set_bit_lock(): an acquire when it takes the bit. */
export const test_and_set_bit_lock = (nr: number, w: shared_t): boolean => isSet(rmwWord(w, (o) => (isSet(o, nr) ? undefined : withBit(o, nr, true)), "acquire"), nr);
/** clear_bit_unlock(): a release. */
export const clear_bit_unlock = (nr: number, w: shared_t): void => void rmwWord(w, (o) => withBit(o, nr, false), "release");
