// When two events, performed one after the other, give the same machine
// whichever goes first: they are independent. Only footprints say so
// (src/sim/footprint.ts), and only conservatively: whatever is not known
// to commute is dependent.
import type { Access, Footprint } from "../sim/footprint.ts";

/**
 * Two events are dependent when either is opaque, when they are on one CPU
 * (its steps, interrupts, store buffer and cache are one sequence), or when
 * what they touch conflicts (conflicts(), both ways).
 */
export function dependent(a: Footprint, b: Footprint): boolean {
  if (a.opaque || b.opaque || a.cpu === b.cpu) return true;
  if (looksAt(a, b.cpu) || looksAt(b, a.cpu)) return true;
  for (const x of a.accesses) for (const y of b.accesses) if (conflicts(x, y)) return true;
  return false;
}

/** Whether the event asked if `cpu`'s stores are visible yet: anything `cpu` does may change the answer. */
function looksAt(f: Footprint, cpu: number): boolean {
  for (const x of f.accesses) if (x.kind === "visible" && x.cpu === cpu) return true;
  return false;
}

/** A write of a word: it changes what another CPU reads (a store is counted though it may still sit in its buffer). */
const writes = (x: Access) => x.kind === "store" || x.kind === "rmw" || x.kind === "commit";

/** The word an access reads or writes (an invalidation counts as a read: it lets memory be seen). */
const wordOf = (x: Access): string | undefined => (x.kind === "load" || x.kind === "store" || x.kind === "rmw" || x.kind === "commit" || x.kind === "inv" ? x.addr : undefined);

/**
 * Whether an access of one event and an access of another, on another CPU,
 * may not commute:
 * - one word, and one of them writes it (two loads, or two invalidations, commute);
 * - a fence drops the stale copies a write elsewhere may have left (weak);
 * - two stale copies left in one cache: their order is the order the default applies them;
 * - one lock (taking, releasing and looking at it all count).
 */
function conflicts(x: Access, y: Access): boolean {
  const wx = wordOf(x);
  if (wx !== undefined && wx === wordOf(y) && (writes(x) || writes(y))) return true;
  if ((x.kind === "fence" && writes(y)) || (y.kind === "fence" && writes(x))) return true;
  if (x.kind === "stale" && y.kind === "stale" && x.cpu === y.cpu) return true;
  return x.kind === "lock" && y.kind === "lock" && x.lock === y.lock;
}
