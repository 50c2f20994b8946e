// Read-only views of the kernel's lock tracking from outside a step, for
// pictures of a run. lockdep.ts keeps its state private to the machine (in
// `machine.ext`); this reads it without changing it or the machine.
import type { Context } from "../sim/context.ts";
import type { Machine } from "../sim/machine.ts";
import type { Lockable } from "./lockdep.ts";
import { locks_held_by } from "./lockdep.ts";

/** A lock in a context's lock list: owned, or still being waited for. */
export interface LockHold {
  lock: string;
  holder: string;
  /**
   * False while the context spins or sleeps to get it: lockdep lists a lock
   * from lock_acquire() on, before the waiting, as Linux does.
   */
  owned: boolean;
}

/**
 * Who owns each lock that records an owner (spinlocks, mutexes; a local_lock
 * is only an annotation and records none). Found by shape, since lockdep's
 * key is private to it; undefined if the kernel keeps no such table.
 */
function ownersOf(m: Machine): ReadonlyMap<Lockable, string> | undefined {
  for (const v of m.ext.values()) {
    const o = v as { held?: unknown; holders?: unknown } | null;
    if (typeof o === "object" && o !== null && o.held instanceof Map && o.holders instanceof Map) return o.holders as ReadonlyMap<Lockable, string>;
  }
  return undefined;
}

/** The locks `ctx` holds or waits for, oldest first. */
export function lockHolds(m: Machine, ctx: Context): LockHold[] {
  const held = locks_held_by(m, ctx.name);
  if (held.length === 0) return [];
  const owners = ownersOf(m);
  const blocked = ctx.waiting !== null && !ctx.done;
  return held.map((h, i) => {
    const owner = owners?.get(h.lock);
    // Owned when the owner table says so. With no owner recorded: a lock that records owners and is the last one
    // a blocked context took is the one it waits for (released meanwhile, not yet retried); anything else
    // (a local_lock, which records none) is owned.
    const owned = owner !== undefined ? owner === ctx.name : !(blocked && i === held.length - 1 && owners !== undefined && "locked" in h.lock);
    return { lock: h.lock.name, holder: ctx.name, owned };
  });
}
