// The allocator's properties, in OSv's terms.
import type { Violation } from "../../kernel/index.ts";
import { PlaceCounts, chain, countChain } from "./ghost.ts";
import type { FreeObject, Mempool, PageHeader } from "./structs.ts";

/** Every place each object is: a page's free list, a handover queue, a holder's hands. */
function places(mp: Mempool): Map<FreeObject, string[]> {
  const at = new Map<FreeObject, string[]>();
  const add = (o: FreeObject, where: string) => {
    const l = at.get(o);
    if (l === undefined) at.set(o, [where]);
    else l.push(where);
  };
  for (const p of mp.pages) if (p.initialized && !p.released) for (const o of chain(p.local_free)) add(o, `on pg${p.id}->local_free`);
  for (const [o, where] of mp.handover.queued()) add(o, `in ${where}`);
  for (const [o, who] of mp.ghost.holders) for (const w of who) add(o, `held by ${w}`);
  return at;
}

/** Counts how many places each object is in; cheap, for the check at every step. */
function placeCounts(mp: Mempool, counts: PlaceCounts): void {
  const objects = mp.pages.length * mp.objectsPerPage;
  counts.reset(objects);
  for (const p of mp.pages) if (p.initialized && !p.released) countChain(p.local_free, counts, 4096);
  mp.handover.countQueued(counts);
  counts.addAll(mp.ghost.held, objects);
}

/**
 * conservation: every object of a live page is in exactly one place; none
 * of a released page is anywhere. `counts` may be kept from one check to
 * the next.
 */
export function conservation(mp: Mempool, counts = new PlaceCounts()): Violation | undefined {
  placeCounts(mp, counts);
  let ok = true;
  for (const p of mp.pages) {
    if (!p.initialized) continue;
    for (const o of p.objects) if (counts.of(o) !== (p.released ? 0 : 1)) ok = false;
  }
  if (ok) return undefined;
  const at = places(mp);
  for (const p of mp.pages) {
    if (!p.initialized) continue;
    for (const o of p.objects) {
      const where = at.get(o) ?? [];
      if (p.released && where.length > 0) return `${o.name} is still ${where.join(" and ")} after pg${p.id} was given back to the page allocator`;
      if (!p.released && where.length === 0) return `${o.name} is lost: it is on no free list, in no queue and held by nobody`;
      if (!p.released && where.length > 1) return `${o.name} is in ${where.length} places at once: ${where.join(", ")}`;
    }
  }
  return undefined;
}

/**
 * page-accounting, for every page nobody is in the middle of changing: its
 * nalloc counts its objects that are not on its free list, and it is on its
 * own CPU's page list, once, exactly when it has free objects.
 */
export function pageAccounting(mp: Mempool): Violation | undefined {
  const ghost = mp.ghost;
  // The first page with free objects on no page list, found in the same pass: it is reported after the lists' own faults.
  let unlisted: PageHeader | undefined;
  for (const p of mp.pages) {
    if (!p.initialized || p.released || ghost.busy(p)) continue;
    let onList = 0;
    for (let o = p.local_free, n = 0; o !== null && n <= p.objects.length; o = o.next, n++) if (o.page === p) onList++;
    const out = p.objects.length - Math.min(onList, p.objects.length);
    if (p.nalloc !== out) return `pg${p.id}->nalloc is ${p.nalloc}, but ${out} of its objects are allocated`;
    if (unlisted === undefined && p.local_free !== null && !mp.free.on(p.cpu_id).pages.includes(p)) unlisted = p;
  }
  for (const list of mp.free.all()) {
    for (let i = 0; i < list.pages.length; i++) {
      const p = list.pages[i]!;
      if (ghost.busy(p)) continue;
      // Lists are short: an earlier place of the same page is a second entry.
      if (list.pages.indexOf(p) < i) return `pg${p.id} is on cpu${list.cpu}'s page list twice`;
      if (p.released) return `pg${p.id} is on cpu${list.cpu}'s page list after it was given back to the page allocator`;
      if (p.cpu_id !== list.cpu) return `pg${p.id} of cpu${p.cpu_id} is on cpu${list.cpu}'s page list`;
      if (p.local_free === null) return `pg${p.id} is on cpu${list.cpu}'s page list with no free object`;
    }
  }
  return unlisted === undefined ? undefined : `pg${unlisted.id} has free objects but is on no page list`;
}

/** no-stranded (after the run): every object freed on a foreign CPU made it back to its page. */
export function noStranded(mp: Mempool): Violation | undefined {
  const left = [...mp.handover.queued()];
  if (left.length === 0) return undefined;
  return `freed objects never returned to their pages: ${left.map(([o, where]) => `${o.name} in ${where}`).join(", ")}`;
}
