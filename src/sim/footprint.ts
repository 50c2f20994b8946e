// What one schedule event touched that the machine can see: a search that
// tells independent steps apart (exhaustive's reduction) reads it, and so
// may a strategy that follows what each load read from.
//
// Usage: call Machine.recordFootprints() before the first event of a run;
// after each event, Machine.footprint() is that event's. Nothing is recorded,
// and nothing allocated, when nobody asked.
//
// A step is `opaque` unless the model declared that its contexts share state
// only through memory words and spinlocks (shared_state_in_memory_only()),
// and it did nothing else the machine cannot see into (an interrupt raised,
// a thread made or put to sleep, an atomic on a plain field). Interrupts,
// preemptions, migrations and every environment event but the memory's are
// opaque: an opaque event depends on every other.

/** Who made a value: "cpu1#3" (cpu1's third store), or "init" (the value it was declared or initialised with). */
export type StoreId = string;

export type Access =
  /** A word read: from the CPU's own store buffer, its stale copy (weak) or memory; `from` is the store it read. */
  | { readonly kind: "load"; readonly addr: string; readonly from: StoreId }
  /** A word written: into the store buffer, or memory itself under sc. */
  | { readonly kind: "store"; readonly addr: string; readonly id: StoreId }
  /** An atomic read-modify-write in memory; `id` is undefined when it stored nothing (a failed cmpxchg). */
  | { readonly kind: "rmw"; readonly addr: string; readonly from: StoreId; readonly id: StoreId | undefined }
  /** One of the CPU's buffered stores reaches memory. */
  | { readonly kind: "commit"; readonly addr: string; readonly id: StoreId }
  /** weak: the CPU drops its stale copy of the word. */
  | { readonly kind: "inv"; readonly addr: string }
  /** weak: the CPU drops every stale copy it has (smp_rmb(), an acquire, a full barrier). */
  | { readonly kind: "fence" }
  /** weak: a store reaching memory left a stale copy in that CPU's cache (their order is its invalidations' order). */
  | { readonly kind: "stale"; readonly cpu: number }
  /** A spinlock taken, released or looked at (by name). */
  | { readonly kind: "lock"; readonly lock: string }
  /** Whether that CPU's stores up to a mark are visible yet (a lock released there). */
  | { readonly kind: "visible"; readonly cpu: number };

export interface Footprint {
  /** The CPU that stepped, or whose store buffer or cache the memory event works on; -1 for one of no CPU. */
  readonly cpu: number;
  /** It did something the machine cannot see into. */
  opaque: boolean;
  /** What it touched, in order. */
  readonly accesses: Access[];
}
