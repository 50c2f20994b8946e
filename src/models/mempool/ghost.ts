// Ghost state: bookkeeping the real allocator does not have, updated in the
// same atomic step as the real change it describes, so the checks can say
// where every object is at every step.
import { current_name } from "../../kernel/index.ts";
import type { FreeObject, PageHeader } from "./structs.ts";

export class Ghost {
  /** Who holds each object out of the allocator's lists: contexts, the completion queue, a driver's rx ring. */
  readonly holders = new Map<FreeObject, string[]>();
  /** How many hold each object, by its serial number, kept with `holders`: the check at every step adds these up. */
  readonly held = new PlaceCounts();
  /** The pages each context inside the allocator is working on; their counts are exact only when nobody is. */
  private readonly touching = new Map<string, Set<PageHeader>>();
  /** How many contexts work on each page now: busy() is asked for every page at every step. */
  private readonly workers = new Map<PageHeader, number>();

  /** `who` takes `obj` out of a list (or from another holder) into its hands. */
  take(obj: FreeObject, who: string = current_name()): void {
    this.holders.set(obj, [...(this.holders.get(obj) ?? []), who]);
    this.held.add(obj);
  }

  /** `obj` leaves `who`'s hands (for a list, or for another holder). */
  put(obj: FreeObject, who: string = current_name()): void {
    const hs = this.holders.get(obj) ?? [];
    const i = hs.indexOf(who);
    const rest = i < 0 ? hs.slice(1) : [...hs.slice(0, i), ...hs.slice(i + 1)];
    if (rest.length === 0) this.holders.delete(obj);
    else this.holders.set(obj, rest);
    if (hs.length > 0) this.held.add(obj, -1);
  }

  /** `obj` passes from one holder to another. */
  move(obj: FreeObject, from: string, to: string): void {
    this.put(obj, from);
    this.take(obj, to);
  }

  /** The running context works on `page` until it leaves the allocator. */
  touch(page: PageHeader): void {
    const me = current_name();
    let s = this.touching.get(me);
    if (s === undefined) this.touching.set(me, (s = new Set()));
    if (s.has(page)) return;
    s.add(page);
    this.workers.set(page, (this.workers.get(page) ?? 0) + 1);
  }

  /** The running context leaves the allocator. */
  untouch(): void {
    const me = current_name();
    const s = this.touching.get(me);
    if (s === undefined) return;
    for (const page of s) {
      const n = this.workers.get(page)! - 1;
      if (n === 0) this.workers.delete(page);
      else this.workers.set(page, n);
    }
    this.touching.delete(me);
  }

  /** Whether someone is in the middle of changing `page`. */
  busy(page: PageHeader): boolean {
    return this.workers.has(page);
  }
}

/**
 * How many places each object is in, by the object's serial number: one
 * array reused from check to check, since the checks run at every step.
 */
export class PlaceCounts {
  private counts = new Int32Array(16);
  /** Every count back to 0, for `objects` objects (a loop: fill() costs more than the few it clears). */
  reset(objects: number): void {
    if (this.counts.length < objects) this.grow(objects);
    const c = this.counts;
    for (let i = 0; i < objects; i++) c[i] = 0;
  }
  /** Adds `other`'s counts of the first `objects` objects. */
  addAll(other: PlaceCounts, objects: number): void {
    if (this.counts.length < objects) this.grow(objects);
    const c = this.counts;
    const o = other.counts;
    for (let i = 0; i < objects && i < o.length; i++) c[i] = c[i]! + o[i]!;
  }
  /** NULL (a racy alloc() can hand it out) is no object: it is not counted. */
  add(o: FreeObject | null, n = 1): void {
    if (o === null) return;
    if (o.serial >= this.counts.length) this.grow(o.serial + 1);
    this.counts[o.serial] = this.counts[o.serial]! + n;
  }
  of(o: FreeObject): number {
    return o.serial < this.counts.length ? this.counts[o.serial]! : 0;
  }
  private grow(size: number): void {
    const bigger = new Int32Array(Math.max(size, 2 * this.counts.length));
    bigger.set(this.counts);
    this.counts = bigger;
  }
}

/** Adds one to the count of every object on the chain from `head`, visiting at most `limit` links (a cycle counts twice). */
export function countChain(head: FreeObject | null, counts: PlaceCounts, limit: number): void {
  for (let o = head, n = 0; o !== null && n <= limit; o = o.next, n++) counts.add(o);
}

/**
 * Follows `next` links from `head`. A cycle ends the walk with the object
 * it came back to listed a second time, so the checks see it twice.
 */
export function chain(head: FreeObject | null): FreeObject[] {
  const objects: FreeObject[] = [];
  const seen = new Set<FreeObject>();
  for (let o = head; o !== null; o = o.next) {
    objects.push(o);
    if (seen.has(o)) break;
    seen.add(o);
  }
  return objects;
}
