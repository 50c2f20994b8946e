// The grant table's reference allocator, as the busdma back end uses it: a
// small pool of grant references on a free list under gnttab_list_lock, and a
// list of free callbacks, each run (with the lock held) once enough
// references are free for it (check_free_callbacks).
import type { Gen } from "../../kernel/index.ts";
import { DEFINE_SPINLOCK, spin_lock_irqsave, spin_unlock_irqrestore } from "../../kernel/index.ts";
import type { dmamap } from "./busdma.ts";

export type grant_ref_t = number;

/** One grant table entry: who holds its reference, and what it grants. */
export interface GrantEntry {
  /** The map holding the reference (allocated to it), or null while it is on the free list. */
  owner: dmamap | null;
  /** Filled by gnttab_grant_foreign_access_ref: the map and segment whose page it grants, or null. */
  grants: { map: dmamap; seg: number } | null;
}

/** struct gnttab_free_callback: run once `count` references are free. */
export interface gnttab_free_callback {
  map: dmamap;
  count: number;
  fn: (map: dmamap) => void;
}

export class GrantTable {
  readonly lock = DEFINE_SPINLOCK("gnttab_list_lock");
  /** The free list (gnttab_free_head ...), top of the stack last. */
  readonly free: grant_ref_t[] = [];
  readonly entries: GrantEntry[] = [];
  /** gnttab_free_callback_list, in the order they run. */
  readonly callbacks: gnttab_free_callback[] = [];
  constructor(readonly size: number) {
    for (let r = 0; r < size; r++) {
      this.entries.push({ owner: null, grants: null });
      this.free.push(size - 1 - r);
    }
  }
}

/** get_free_entries() for one reference, the caller holding gnttab_list_lock: a reference or -1. */
export function claim_locked(g: GrantTable, map: dmamap): grant_ref_t {
  const r = g.free.pop();
  if (r === undefined) return -1;
  g.entries[r]!.owner = map;
  return r;
}

/** put_free_entry(), the caller holding gnttab_list_lock. */
export function put_free_entry_locked(g: GrantTable, r: grant_ref_t): void {
  g.entries[r]!.owner = null;
  g.entries[r]!.grants = null;
  g.free.push(r);
}

/**
 * check_free_callbacks(), with gnttab_list_lock held: every callback whose
 * count the free references cover is taken off the list and run, one step each.
 */
export function* check_free_callbacks(g: GrantTable): Gen {
  for (let i = 0; i < g.callbacks.length; ) {
    const cb = g.callbacks[i]!;
    if (cb.count > g.free.length) {
      i++;
      continue;
    }
    g.callbacks.splice(i, 1);
    cb.fn(cb.map);
    yield `check_free_callbacks: ${g.free.length} free, run ${cb.map.name}'s free callback (count ${cb.count})`;
  }
}

/** gnttab_request_free_callback_locked(): registers the map's callback (unless it is registered) with the lock held. */
export function request_free_callback_locked(g: GrantTable, map: dmamap, count: number, fn: (map: dmamap) => void): boolean {
  if (g.callbacks.some((cb) => cb.map === map)) return false;
  g.callbacks.push({ map, count, fn });
  return true;
}

/** gnttab_request_free_callback(): registers, then runs the callbacks the free references already cover. */
export function* gnttab_request_free_callback(g: GrantTable, map: dmamap, count: number, fn: (map: dmamap) => void): Gen {
  const flags = yield* spin_lock_irqsave(g.lock);
  const added = request_free_callback_locked(g, map, count, fn);
  yield `gnttab_request_free_callback(${map.name}, count ${count})${added ? "" : ": registered already"}`;
  yield* check_free_callbacks(g);
  yield* spin_unlock_irqrestore(g.lock, flags);
}

/** gnttab_cancel_free_callback(), with the lock held: true if it was registered. */
export function cancel_free_callback_locked(g: GrantTable, map: dmamap): boolean {
  const i = g.callbacks.findIndex((cb) => cb.map === map);
  if (i < 0) return false;
  g.callbacks.splice(i, 1);
  return true;
}

/** gnttab_free_grant_references(): the references go back on the free list, then the callbacks they cover run. */
export function* gnttab_free_grant_references(g: GrantTable, refs: readonly grant_ref_t[]): Gen {
  const flags = yield* spin_lock_irqsave(g.lock);
  for (const r of refs) put_free_entry_locked(g, r);
  yield `gnttab_free_grant_references(${refs.join(",")}): ${g.free.length} free`;
  yield* check_free_callbacks(g);
  yield* spin_unlock_irqrestore(g.lock, flags);
}
