// The pool's properties, in the terms of its design.
import type { Violation } from "../../kernel/index.ts";
import type { Pool } from "./pool.ts";
import { RECLAIMABLE } from "./pool.ts";

/** The free list from free_head: its entries in order, and the first one met twice (a cycle), if any. */
function walk(pool: Pool): { entries: number[]; twice: number } {
  const entries: number[] = [];
  const seen = new Array<boolean>(pool.size).fill(false);
  for (let i = pool.free_head; i >= 0; i = pool.free_list[i]!) {
    if (seen[i]) return { entries, twice: i };
    seen[i] = true;
    entries.push(i);
  }
  return { entries, twice: -1 };
}

/**
 * The free list's length, or -1 if it runs into a cycle or (with `held`)
 * through an entry that is handed out; walked with no list made, for the
 * checks at every step (walk() words what is wrong, when something is).
 * An entry was seen in this walk when seen[i] is the walk's stamp.
 */
export class FreeListWalker {
  private seen = new Float64Array(0);
  private stamp = 0;

  length(pool: Pool, held: boolean): number {
    if (this.seen.length < pool.size) this.seen = new Float64Array(pool.size);
    const seen = this.seen;
    const stamp = ++this.stamp; // a double: it never comes round to a mark left by an earlier walk
    let n = 0;
    for (let i = pool.free_head; i >= 0; i = pool.free_list[i]!, n++) {
      if (seen[i] === stamp || (held && pool.held.has(i))) return -1;
      seen[i] = stamp;
    }
    return n;
  }
}

/** free-list-once: no entry on the free list twice, none on it while it is handed out. */
export function freeListOnce(pool: Pool, walker = new FreeListWalker()): Violation | undefined {
  if (walker.length(pool, true) >= 0) return undefined;
  const { entries, twice } = walk(pool);
  if (twice >= 0) return `pool[${twice}] is on the free list twice: free_head = ${pool.free_head}, then ${entries.join(" -> ")} -> ${twice} again`;
  for (const i of entries) {
    const who = pool.held.get(i);
    if (who !== undefined) return `pool[${i}] is on the free list (${entries.join(" -> ")}) while ${who} has it`;
  }
  return undefined;
}

/** free-count: free_count is the free list's length, whenever nobody is changing the list. */
export function freeCount(pool: Pool, always = false, walker = new FreeListWalker()): Violation | undefined {
  if (!always && (pool.lock.locked || pool.lockless > 0)) return undefined;
  const length = walker.length(pool, false);
  if (length < 0 || pool.free_count === length) return undefined; // a cycle: free-list-once says so
  const { entries } = walk(pool); // to word it
  return `free_count is ${pool.free_count}, but the free list holds ${entries.length} entr${entries.length === 1 ? "y" : "ies"} (${entries.length > 0 ? entries.join(" -> ") : "empty"})`;
}

/** nothing-lost (after the run): every entry is on the free list, marked RECLAIMABLE, or handed out. */
export function nothingLost(pool: Pool): Violation | undefined {
  const free = new Set(walk(pool).entries);
  const lost: number[] = [];
  for (let i = 0; i < pool.size; i++) {
    if (free.has(i) || pool.entries[i]!.flags & RECLAIMABLE || pool.held.has(i)) continue;
    lost.push(i);
  }
  if (lost.length === 0) return undefined;
  return `${lost.map((i) => `pool[${i}]`).join(", ")} ${lost.length === 1 ? "is" : "are"} lost: on no free list, not RECLAIMABLE, held by nobody`;
}
