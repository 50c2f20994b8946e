// The allocator's data, after OSv include/osv/mempool.hh.
import type { PerCpu } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import type { Ghost, PlaceCounts } from "./ghost.ts";
import type { Hold, PoolLock } from "./lock.ts";

/** struct free_object: a free object's first word links it into a list. */
export interface FreeObject {
  readonly name: string;
  readonly page: PageHeader;
  /** Ghost: its number among all the pool's objects, from 0 (the checks count by it). */
  readonly serial: number;
  next: FreeObject | null;
}

/** struct page_header, at the start of every page of the pool. */
export interface PageHeader {
  readonly id: number;
  cpu_id: number;
  nalloc: number;
  local_free: FreeObject | null;
  /** Ghost: the objects carved out of this page. */
  readonly objects: FreeObject[];
  /** Ghost: the header is written (its objects exist) / the page went back to the page allocator. */
  initialized: boolean;
  released: boolean;
}

/**
 * One CPU's `_free`: its pages that have free objects, partly used pages at
 * the front and wholly free ones at the back. An intrusive list in OSv; here
 * an array loaded and stored whole, so that two unprotected updates that
 * interleave lose one of them.
 */
export interface CpuFreeList {
  readonly cpu: number;
  pages: PageHeader[];
}

/** pcpu_free_list[dest][src]: the handover queue from CPU `src` to CPU `dest`, as traces name it. */
export const pcpu_free_list = (dest: number, src: number): string => `pcpu_free_list[${dest}][${src}]`;

/** How objects freed on a CPU other than their page's owner get back to it. */
export interface Handover {
  /** free_different_cpu(): runs with the pool lock held. */
  free_different_cpu(obj: FreeObject, obj_cpu: number, cur_cpu: number): Gen;
  /** Called by free() before an object of this CPU's own is freed (the delegate design drains here). */
  before_free_same_cpu?(cpu: number, hold: Hold): Gen;
  /** Every object sitting in a handover structure, with where it sits. */
  queued(): Iterable<[FreeObject, string]>;
  /** The same, only counted (the checks run this at every step). */
  countQueued(counts: PlaceCounts): void;
}

export interface Mempool {
  /** dynamic_percpu<free_list_type> _free */
  readonly free: PerCpu<CpuFreeList>;
  /** Objects per page (OSv: (4096 - 40) / size; 3 in the 1024-byte pool). */
  readonly objectsPerPage: number;
  readonly lock: PoolLock;
  handover: Handover;
  readonly ghost: Ghost;
  /** Every page ever taken from the page allocator, for the checks. */
  readonly pages: PageHeader[];
}
