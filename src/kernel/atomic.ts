// Atomic read-modify-writes (include/linux/atomic.h, cmpxchg.h). Each is one
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
