// Reference counts (include/linux/refcount.h, lib/refcount.c, kref.h). A
// refcount_t saturates instead of wrapping and warns, as Linux does, where
// a count goes wrong: each warning is a `refcount` violation at that step.
// Ordering as Documentation/core-api/refcount-vs-atomic.rst says: increments
// are unordered; refcount_dec_and_test() is a release, and an acquire when
// it returns true (the object is then freed by whoever saw 0).
import { current, isRunning } from "../sim/current.ts";
import { atomic_t, atomic_fetch_add_relaxed, atomic_fetch_sub_release, atomic_read, atomic_set, atomic_add_unless } from "./atomic.ts";

/** REFCOUNT_SATURATED: where a count that went wrong is left, so that it is never freed. */
export const REFCOUNT_SATURATED = -(2 ** 30);
const REFCOUNT_MAX = 2 ** 31 - 1;

export class refcount_t {
  readonly refs: atomic_t;
  constructor(
    readonly name: string,
    initial = 1,
  ) {
    this.refs = new atomic_t(name);
    this.refs.counter = initial;
  }
}

/** REFCOUNT_INIT(n). */
export const REFCOUNT_INIT = (name: string, n = 1) => new refcount_t(name, n);

function warn(r: refcount_t, what: string): void {
  atomic_set(r.refs, REFCOUNT_SATURATED);
  const message = `refcount_t ${r.name}: ${what}`;
  if (isRunning()) current().machine.fail("refcount", message);
  else throw new Error(message);
}

export const refcount_set = (r: refcount_t, n: number): void => atomic_set(r.refs, n);
export const refcount_read = (r: refcount_t): number => atomic_read(r.refs);

/** refcount_add(): an unordered increment; from 0 it is a use after free. */
export function refcount_add(i: number, r: refcount_t): void {
  const old = atomic_fetch_add_relaxed(i, r.refs);
  if (old === 0) warn(r, "addition on 0; use-after-free.");
  else if (old < 0 || old + i > REFCOUNT_MAX) warn(r, "saturated; leaking memory.");
}

export const refcount_inc = (r: refcount_t): void => refcount_add(1, r);

/** refcount_inc_not_zero(): takes a reference unless the object is already on its way out. */
export function refcount_inc_not_zero(r: refcount_t): boolean {
  const old = atomic_read(r.refs);
  if (old < 0) return true; // saturated: stays so
  return atomic_add_unless(r.refs, 1, 0);
}

/** refcount_sub_and_test(): true when this dropped the last reference (the caller frees). */
export function refcount_sub_and_test(i: number, r: refcount_t): boolean {
  const old = atomic_fetch_sub_release(i, r.refs);
  if (old < 0) {
    atomic_set(r.refs, REFCOUNT_SATURATED);
    return false;
  }
  if (old - i < 0) {
    warn(r, "underflow; use-after-free.");
    return false;
  }
  if (old - i === 0) {
    if (isRunning()) current().machine.memory.rmb(current().cpu.id); // smp_acquire__after_ctrl_dep()
    return true;
  }
  return false;
}

export const refcount_dec_and_test = (r: refcount_t): boolean => refcount_sub_and_test(1, r);

/** refcount_dec(): drops a reference that must not be the last. */
export function refcount_dec(r: refcount_t): void {
  if (refcount_dec_and_test(r)) warn(r, "decrement hit 0; leaking memory.");
}

// ---- kref ----

export class kref {
  readonly refcount: refcount_t;
  constructor(name: string) {
    this.refcount = new refcount_t(name, 1);
  }
}

export function kref_init(k: kref): void {
  refcount_set(k.refcount, 1);
}

export const kref_read = (k: kref): number => refcount_read(k.refcount);
export const kref_get = (k: kref): void => refcount_inc(k.refcount);
export const kref_get_unless_zero = (k: kref): boolean => refcount_inc_not_zero(k.refcount);

/** kref_put(): drops a reference; the last one calls `release` (within the caller's step). Returns 1 if it did. */
export function kref_put(k: kref, release: (k: kref) => void): number {
  if (!refcount_dec_and_test(k.refcount)) return 0;
  release(k);
  return 1;
}
