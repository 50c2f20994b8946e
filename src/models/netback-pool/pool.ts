// The page pool of a Xen network backend, as its author posted it:
// PAGE_POOL_SIZE entries, each with its page; a free list threaded through
// free_list[] from free_head, counted by free_count, under pool_lock; an
// entry the transmit-completion path is done with is marked RECLAIMABLE by
// put_free_entry(), one store and no lock; get_free_entry() finds the free
// list empty, scans for RECLAIMABLE entries whose page nobody else holds
// (page_count(page) == 1) and threads them back.
//
// Every load and store of shared state is its own step, as the C compiles.
import type { Gen, IrqFlags } from "../../kernel/index.ts";
import { DEFINE_SPINLOCK, atomic_dec, atomic_inc, atomic_read, atomic_t, BUG, current_name, spin_lock, spin_lock_irqsave, spin_unlock, spin_unlock_irqrestore, violation } from "../../kernel/index.ts";

/** pool_entry.flags */
export const RECLAIMABLE = 1;

/** struct page, as far as the pool cares: its reference count. */
export class page {
  readonly _refcount: atomic_t;
  constructor(readonly name: string) {
    this._refcount = new atomic_t(`${name}->_refcount`);
  }
}

export interface pool_entry {
  page: page;
  flags: number;
}

/** What the variants change, each one thing. */
export interface Design {
  /** get_free_entry takes pool_lock with spin_lock_irqsave (else plain spin_lock). */
  irqsave: boolean;
  /** The reclaim checks page_count(page) == 1. */
  checkCount: boolean;
  /** The reclaim clears RECLAIMABLE as it tests it, before it knows it can thread the entry back. */
  clearFirst: boolean;
  /** The reclaim reads page_count before RECLAIMABLE. */
  countFirst: boolean;
  /** put_free_entry links an entry whose page is back to count 1 straight onto the free list, without the lock. */
  locklessLink: boolean;
}

export class Pool {
  readonly lock = DEFINE_SPINLOCK("pool_lock");
  readonly entries: pool_entry[];
  /** free_list[i]: the index after i on the free list, -1 at its end. */
  readonly free_list: number[];
  free_head: number;
  free_count: number;

  // ---- ghost state: what really happened, for the checks ----
  /** Who has each handed-out entry (a context, or the tx completion queue). */
  readonly held = new Map<number, string>();
  /** References the network stack holds on each entry's page. */
  readonly stackRefs: number[];
  /** Lockless updates of the free list under way. */
  lockless = 0;

  constructor(
    readonly size: number,
    readonly design: Design,
  ) {
    this.entries = new Array(size).fill(null).map((_, i) => {
      const p = new page(`pool[${i}].page`);
      p._refcount.counter = 1; // the pool's own reference (alloc_page)
      return { page: p, flags: 0 };
    });
    // All free at init: 0 -> 1 -> ... -> size-1.
    this.free_list = new Array(size).fill(null).map((_, i) => (i + 1 < size ? i + 1 : -1));
    this.free_head = 0;
    this.free_count = size;
    this.stackRefs = new Array<number>(size).fill(0);
  }
}

// ---- struct page references ----

export function page_count(p: page): number {
  return atomic_read(p._refcount);
}

/** get_page() for the network stack: the page goes into an skb. Part of the caller's step. */
export function get_page_for_stack(pool: Pool, idx: number): void {
  atomic_inc(pool.entries[idx]!.page._refcount);
  pool.stackRefs[idx]!++;
}

/** put_page() by the network stack, done with the skb. Part of the caller's step. */
export function put_page_from_stack(pool: Pool, idx: number): void {
  atomic_dec(pool.entries[idx]!.page._refcount);
  pool.stackRefs[idx]!--;
}

// ---- the pool ----

/** Ghost: the entry leaves the free list for the current context. Checks what it hands out. */
function hand_out(pool: Pool, idx: number): void {
  const who = current_name();
  const refs = pool.stackRefs[idx]!;
  if (refs > 0)
    violation("page-in-use", `get_free_entry() hands pool[${idx}] to ${who} while the network stack still holds ${refs} reference(s) to its page (page_count ${page_count(pool.entries[idx]!.page)})`);
  const holder = pool.held.get(idx);
  if (holder !== undefined) violation("one-holder", `get_free_entry() hands pool[${idx}] to ${who}, but ${holder} has it already`);
  pool.held.set(idx, who);
}

/** Threads entry i onto the free list: free_list[i] = free_head; free_head = i; free_count++. The caller holds the lock (or should). */
function* link_free(pool: Pool, i: number, lockless: boolean): Gen {
  const head = pool.free_head;
  yield `load free_head (${head})`;
  pool.free_list[i] = head;
  yield `store free_list[${i}] = ${head}`;
  pool.free_head = i;
  if (lockless) pool.held.delete(i); // published: free for anyone to take
  yield `store free_head = ${i}`;
  const n = pool.free_count;
  yield `load free_count (${n})`;
  pool.free_count = n + 1;
  yield `store free_count = ${n + 1}`;
}

/** The scan of get_free_entry when the free list is empty, under pool_lock. */
function* reclaim(pool: Pool): Gen {
  const d = pool.design;
  for (let i = 0; i < pool.size; i++) {
    const e = pool.entries[i]!;
    let f: number;
    if (d.countFirst) {
      // page_count(e->page) == 1 && (e->flags & RECLAIMABLE): the count may be read before the holder took the stack's reference.
      const c = page_count(e.page);
      yield `page_count(pool[${i}].page) = ${c}`;
      if (c !== 1) continue;
      f = e.flags;
      yield `load pool[${i}].flags (${f & RECLAIMABLE ? "RECLAIMABLE" : "0"})`;
      if (!(f & RECLAIMABLE)) continue;
    } else if (d.clearFirst) {
      // if (e->flags & RECLAIMABLE) { e->flags &= ~RECLAIMABLE; if (page_count(e->page) != 1) continue; ... }
      f = e.flags;
      yield `load pool[${i}].flags (${f & RECLAIMABLE ? "RECLAIMABLE" : "0"})`;
      if (!(f & RECLAIMABLE)) continue;
      e.flags = f & ~RECLAIMABLE;
      yield `store pool[${i}].flags = 0`;
      const c = page_count(e.page);
      yield `page_count(pool[${i}].page) = ${c}`;
      if (c !== 1) continue;
    } else {
      f = e.flags;
      yield `load pool[${i}].flags (${f & RECLAIMABLE ? "RECLAIMABLE" : "0"})`;
      if (!(f & RECLAIMABLE)) continue;
      if (d.checkCount) {
        const c = page_count(e.page);
        yield `page_count(pool[${i}].page) = ${c}`;
        if (c !== 1) continue;
      }
    }
    if (!d.clearFirst) {
      e.flags = f & ~RECLAIMABLE; // flags as loaded above: the lock keeps others off a RECLAIMABLE entry
      yield `store pool[${i}].flags = 0`;
    }
    yield* link_free(pool, i, false);
  }
}

/** get_free_entry(): an entry off the free list, reclaiming when it is empty; -1 when there is none. */
export function* get_free_entry(pool: Pool): Gen<number> {
  let flags: IrqFlags | null = null;
  if (pool.design.irqsave) flags = yield* spin_lock_irqsave(pool.lock);
  else yield* spin_lock(pool.lock);
  let n = pool.free_count;
  yield `load free_count (${n})`;
  if (n === 0) {
    yield* reclaim(pool);
    n = pool.free_count;
    yield `load free_count (${n})`;
  }
  let idx = -1;
  if (n > 0) {
    idx = pool.free_head;
    yield `load free_head (${idx})`;
    if (idx < 0) BUG(`get_free_entry() reads free_list[${idx}]: free_count is ${n} but the free list is empty`);
    const next = pool.free_list[idx]!;
    yield `load free_list[${idx}] (${next})`;
    pool.free_head = next;
    hand_out(pool, idx);
    yield `store free_head = ${next}`;
    const c = pool.free_count;
    yield `load free_count (${c})`;
    pool.free_count = c - 1;
    yield `store free_count = ${c - 1}`;
  }
  if (flags !== null) yield* spin_unlock_irqrestore(pool.lock, flags);
  else yield* spin_unlock(pool.lock);
  return idx;
}

/** put_free_entry(): the transmit-completion path is done with the entry. */
export function* put_free_entry(pool: Pool, idx: number): Gen {
  const e = pool.entries[idx]!;
  if (pool.design.locklessLink) {
    // "Fast path": nobody else holds the page, so skip the mark and link the entry straight back, without pool_lock.
    const c = page_count(e.page);
    yield `page_count(pool[${idx}].page) = ${c}`;
    if (c === 1) {
      pool.lockless++;
      yield* link_free(pool, idx, true);
      pool.lockless--;
      return;
    }
  }
  e.flags = RECLAIMABLE;
  pool.held.delete(idx);
  yield `store pool[${idx}].flags = RECLAIMABLE`;
}
