// Atomic operations (include/linux/atomic.h, cmpxchg.h). Each is one
// indivisible operation, done within the caller's current step; plain
// reads and writes that must not be merged belong in separate steps.

/** xchg(&obj[key], v): stores v, returns the old value. */
export function xchg<T, K extends keyof T>(obj: T, key: K, v: T[K]): T[K] {
  const old = obj[key];
  obj[key] = v;
  return old;
}

/** cmpxchg(&obj[key], old, v): stores v if the value is `old`; returns the value found. */
export function cmpxchg<T, K extends keyof T>(obj: T, key: K, old: T[K], v: T[K]): T[K] {
  const found = obj[key];
  if (found === old) obj[key] = v;
  return found;
}

/** atomic_t */
export class atomic_t {
  counter = 0;
  constructor(readonly name: string) {}
}

export function atomic_set(v: atomic_t, i: number): void {
  v.counter = i;
}

export function atomic_read(v: atomic_t): number {
  return v.counter;
}

export function atomic_inc(v: atomic_t): void {
  v.counter++;
}

/** Decrements; true when the result is zero. */
export function atomic_dec_and_test(v: atomic_t): boolean {
  return --v.counter === 0;
}

/** Subtracts i; true when the result is zero. */
export function atomic_sub_and_test(i: number, v: atomic_t): boolean {
  v.counter -= i;
  return v.counter === 0;
}
