// The busdma back end for Xen (after FreeBSD's sys/x86/xen/xen_busdma.c):
// loading a DMA map grants each segment's page to the other domain, with one
// grant reference per segment. bus_dmamap_load(..., BUS_DMA_WAITOK) that
// finds too few references free defers: it registers a free callback with the
// grant table and returns EINPROGRESS. The callback (run by whoever frees
// references, with gnttab_list_lock held) queues the map's task; the task
// allocates the references, grants every segment and calls the client's
// callback. bus_dmamap_unload ends the grants and frees the references (which
// may run other maps' callbacks); bus_dmamap_destroy frees the map.
import type { Gen, work_struct, workqueue_struct } from "../../kernel/index.ts";
import { INIT_WORK, cancel_work_sync, current_name, queue_work, spin_lock_irqsave, spin_unlock_irqrestore, violation } from "../../kernel/index.ts";
import type { GrantTable, grant_ref_t } from "./gnttab.ts";
import { cancel_free_callback_locked, claim_locked, gnttab_free_grant_references, gnttab_request_free_callback, put_free_entry_locked, request_free_callback_locked } from "./gnttab.ts";

/** What each variant gets right or wrong. */
export interface Design {
  /** The deferred task fills the grant entries (gnttab_grant_foreign_access_ref) before the callback. */
  grantDeferred: boolean;
  /** The deferred task calls the client's callback. */
  callbackDeferred: boolean;
  /** A short allocation gives back the references it did claim. */
  returnPartial: boolean;
  /** Unload cancels a pending deferred load (the free callback, the task) before the map can go. */
  cancelOnUnload: boolean;
  /** Unload waits for the deferred task (cancel_work_sync) after setting cancel. */
  syncTask: boolean;
}

export type MapState = "idle" | "pending" | "queued" | "loaded";

/** Ghost: one bus_dmamap_load() call and what became of it. */
export interface LoadRecord {
  map: dmamap;
  nsegs: number;
  deferred: boolean;
  /** Times the client's callback ran for it. */
  callbacks: number;
  /** Unloaded before it was loaded: no callback is owed. */
  aborted: boolean;
  /** bus_dmamap_unload() has finished with it. */
  unloaded: boolean;
}

export class dmamap {
  /** idle; pending (free callback registered); queued (task queued or running); loaded (references held). */
  state: MapState = "idle";
  nsegs = 0;
  /** The grant reference of each segment. */
  refs: grant_ref_t[] = [];
  /** Set by unload, under gnttab_list_lock: a deferred task that sees it gives up. */
  cancel = false;
  load: LoadRecord | null = null;
  readonly work: work_struct;
  /** Ghost: bus_dmamap_destroy() freed it, in this context. */
  destroyedBy: string | null = null;
  constructor(
    readonly name: string,
    b: Busdma,
  ) {
    this.work = INIT_WORK(`${name}->gnttab_task`, () => xen_dmamap_deferred_load(b, this));
  }
}

export interface Busdma {
  g: GrantTable;
  /** taskqueue_thread */
  wq: workqueue_struct;
  design: Design;
  loads: LoadRecord[];
}

/** Every dereference of a map by the back end: after bus_dmamap_destroy() it is freed memory. */
function touch(map: dmamap, what: string): void {
  if (map.destroyedBy !== null)
    violation("use-after-destroy", { message: `${current_name()} ${what}: ${map.name} was freed by bus_dmamap_destroy() in ${map.destroyedBy}`, contexts: [current_name(), map.destroyedBy] });
}

/** gnttab_grant_foreign_access_ref() for one segment of the map's load. */
function* grant_segment(b: Busdma, map: dmamap, seg: number): Gen {
  touch(map, `grants ${map.name} segment ${seg}`);
  const r = map.refs[seg]!;
  const e = b.g.entries[r]!;
  if (map.load?.unloaded === true || e.owner !== map)
    violation("no-grant-after-unload", `${current_name()} grants ${map.name} segment ${seg} with gref ${r}, ${map.load?.unloaded ? "after bus_dmamap_unload()" : `which ${map.name} no longer holds`}`);
  e.grants = { map, seg };
  yield `gnttab_grant_foreign_access_ref(gref ${r}, ${map.name} seg ${seg})`;
}

/** The client's bus_dmamap_callback_t: the segments must all be granted to the other domain. */
function* client_callback(b: Busdma, map: dmamap): Gen {
  touch(map, `calls the client callback of ${map.name}`);
  const rec = map.load!;
  rec.callbacks++;
  if (rec.callbacks > 1) violation("callback-once", `the client callback of ${map.name}'s load runs a second time`);
  const ungranted: number[] = [];
  for (let s = 0; s < rec.nsegs; s++) {
    const r = map.refs[s];
    const e = r === undefined ? undefined : b.g.entries[r];
    if (e === undefined || e.owner !== map || e.grants?.map !== map || e.grants.seg !== s) ungranted.push(s);
  }
  if (ungranted.length > 0)
    violation("granted-segments", `the client callback of ${map.name} gets segment(s) ${ungranted.join(",")} of ${rec.nsegs} without a grant (grefs ${map.refs.join(",") || "none"})`);
  yield `${map.name} client callback(${rec.nsegs} segs, grefs ${map.refs.join(",")}, error 0)`;
}

/** xen_gnttab_free_callback(): run by check_free_callbacks with gnttab_list_lock held; the load goes on in the task. */
function xen_gnttab_free_callback(b: Busdma, map: dmamap): void {
  touch(map, `runs the free callback of ${map.name}`);
  map.state = "queued";
  queue_work(b.wq, map.work);
}

/** The deferred half of the load, in taskqueue_thread. */
function* xen_dmamap_deferred_load(b: Busdma, map: dmamap): Gen {
  touch(map, `runs ${map.name}'s deferred load`);
  const g = b.g;
  const flags = yield* spin_lock_irqsave(g.lock);
  if (b.design.cancelOnUnload && map.cancel) {
    map.state = "idle";
    yield `${map.name} deferred load: cancelled by unload`;
  } else if (g.free.length < map.nsegs) {
    // Another task took the references first: wait again.
    map.state = "pending";
    request_free_callback_locked(g, map, map.nsegs, (m) => xen_gnttab_free_callback(b, m));
    yield `${map.name} deferred load: ${g.free.length} free, ${map.nsegs} needed: request the free callback again`;
  } else {
    const refs: grant_ref_t[] = [];
    for (let s = 0; s < map.nsegs; s++) refs.push(claim_locked(g, map));
    map.refs = refs;
    map.state = "loaded";
    yield `${map.name} deferred load: gnttab_alloc_grant_references(${map.nsegs}) = ${refs.join(",")}`;
    yield* spin_unlock_irqrestore(g.lock, flags);
    if (b.design.grantDeferred) for (let s = 0; s < map.nsegs; s++) yield* grant_segment(b, map, s);
    if (b.design.callbackDeferred) yield* client_callback(b, map);
    return;
  }
  yield* spin_unlock_irqrestore(g.lock, flags);
}

/** bus_dmamap_load(map, buf of nsegs pages, callback, BUS_DMA_WAITOK): 0, or EINPROGRESS when deferred. */
export function* bus_dmamap_load(b: Busdma, map: dmamap, nsegs: number): Gen<"0" | "EINPROGRESS"> {
  const g = b.g;
  const rec: LoadRecord = { map, nsegs, deferred: false, callbacks: 0, aborted: false, unloaded: false };
  b.loads.push(rec);
  map.load = rec;
  map.nsegs = nsegs;
  map.refs = [];
  // gnttab_alloc_grant_references(), one reference a step.
  const flags = yield* spin_lock_irqsave(g.lock);
  const taken: grant_ref_t[] = [];
  for (let s = 0; s < nsegs; s++) {
    const r = claim_locked(g, map);
    if (r < 0) break;
    taken.push(r);
    yield `${map.name} load: claim gref ${r} for seg ${s}`;
  }
  if (taken.length === nsegs) {
    map.refs = taken;
    map.state = "loaded";
    yield* spin_unlock_irqrestore(g.lock, flags);
    for (let s = 0; s < nsegs; s++) yield* grant_segment(b, map, s);
    yield* client_callback(b, map);
    return "0";
  }
  if (b.design.returnPartial) {
    for (const r of taken) put_free_entry_locked(g, r);
    yield `${map.name} load: ${taken.length} of ${nsegs} grefs: give back ${taken.join(",") || "none"}`;
  } else {
    yield `${map.name} load: ${taken.length} of ${nsegs} grefs: -ENOSPC${taken.length > 0 ? ` (grefs ${taken.join(",")} kept by nobody)` : ""}`;
  }
  yield* spin_unlock_irqrestore(g.lock, flags);
  // BUS_DMA_WAITOK: defer until references are freed.
  rec.deferred = true;
  map.state = "pending";
  yield* gnttab_request_free_callback(g, map, nsegs, (m) => xen_gnttab_free_callback(b, m));
  yield `bus_dmamap_load(${map.name}) = EINPROGRESS`;
  return "EINPROGRESS";
}

/** bus_dmamap_unload(map): ends the grants and frees the references; a deferred load still under way is cancelled. */
export function* bus_dmamap_unload(b: Busdma, map: dmamap): Gen {
  const g = b.g;
  const rec = map.load!;
  if (b.design.cancelOnUnload) {
    const flags = yield* spin_lock_irqsave(g.lock);
    map.cancel = true;
    const was = map.state;
    if (map.state === "pending" && cancel_free_callback_locked(g, map)) map.state = "idle";
    yield `bus_dmamap_unload(${map.name}): cancel (was ${was})`;
    yield* spin_unlock_irqrestore(g.lock, flags);
    // Takes a queued task off, or waits for a running one (which sees cancel, or has loaded the map).
    if (b.design.syncTask) {
      yield* cancel_work_sync(map.work);
      if (map.state === "queued") map.state = "idle";
    }
  } else {
    yield `bus_dmamap_unload(${map.name}): state ${map.state}`;
  }
  if (map.state === "loaded") {
    for (let s = 0; s < map.refs.length; s++) {
      const r = map.refs[s]!;
      b.g.entries[r]!.grants = null;
      yield `gnttab_end_foreign_access_ref(gref ${r})`;
    }
    const refs = map.refs;
    map.refs = [];
    map.state = "idle";
    yield* gnttab_free_grant_references(g, refs);
  } else {
    rec.aborted = true;
  }
  map.cancel = false;
  rec.unloaded = true;
  yield `bus_dmamap_unload(${map.name}) done`;
}

/** bus_dmamap_destroy(map): frees it. */
export function* bus_dmamap_destroy(map: dmamap): Gen {
  map.destroyedBy = current_name();
  yield `bus_dmamap_destroy(${map.name})`;
}
