// FreeBSD's busdma back end for Xen: DMA maps whose segments are granted to
// another domain from a small pool of grant references, a load deferred to a
// grant-table free callback (and a task) when the pool runs dry, and the
// unload and destroy that race with it.
import fc from "fast-check";
import type { Gen, MachineConfig, Violation } from "../../kernel/index.ts";
import { alloc_workqueue, defineModel, kthread_run } from "../../kernel/index.ts";
import type { Busdma, Design } from "./busdma.ts";
import { bus_dmamap_destroy, bus_dmamap_load, bus_dmamap_unload, dmamap } from "./busdma.ts";
import { GrantTable } from "./gnttab.ts";

/** Grant references in the pool. */
export const NR_GREFS = 3;

export interface XenBusdmaWorkload {
  /** Client threads: the CPU each starts on and the maps it loads, one after the other; a map not kept is unloaded and destroyed after its load. */
  threads: { cpu: number; maps: { segs: number; keep: boolean }[] }[];
}

function workload(config: MachineConfig): fc.Arbitrary<XenBusdmaWorkload> {
  const cpus = Array.from({ length: config.cpus }, (_, i) => i);
  const map = fc.record({ segs: fc.integer({ min: 1, max: NR_GREFS }), keep: fc.boolean() });
  return fc.record({
    threads: fc.array(fc.record({ cpu: fc.constantFrom(...cpus), maps: fc.array(map, { minLength: 1, maxLength: 2 }) }), { minLength: 2, maxLength: 3 }),
  });
}

const CORRECT: Design = { grantDeferred: true, callbackDeferred: true, returnPartial: true, cancelOnUnload: true, syncTask: true };

const DESIGNS: Record<string, Design> = {
  "deferred-load": CORRECT,
  "deferred-no-grant": { ...CORRECT, grantDeferred: false },
  "deferred-no-callback": { ...CORRECT, callbackDeferred: false },
  "partial-alloc-leak": { ...CORRECT, returnPartial: false },
  "unload-no-cancel": { ...CORRECT, cancelOnUnload: false },
  "unload-no-sync": { ...CORRECT, syncTask: false },
};

/** After the run: every load called its client back once, was unloaded before it loaded, or still waits for references that are not free. */
function loadsAnswered(b: Busdma): Violation | undefined {
  for (const rec of b.loads) {
    if (rec.aborted || rec.callbacks === 1) continue;
    const m = rec.map;
    const waiting = m.load === rec && m.state === "pending" && b.g.callbacks.some((cb) => cb.map === m) && b.g.free.length < rec.nsegs;
    if (waiting) continue;
    return `${m.name}'s ${rec.deferred ? "deferred " : ""}load of ${rec.nsegs} segment(s) never called the client callback (map ${m.load === rec ? m.state : "reloaded"}${rec.unloaded ? ", unloaded" : ""}; ${b.g.free.length} gref(s) free)`;
  }
  return undefined;
}

/** After the run: every reference is on the free list or held by a loaded, living map. */
function noLeak(b: Busdma): Violation | undefined {
  const g = b.g;
  for (let r = 0; r < g.size; r++) {
    const e = g.entries[r]!;
    const free = g.free.includes(r);
    if (free && e.owner === null) continue;
    const m = e.owner;
    if (!free && m !== null && m.state === "loaded" && m.destroyedBy === null && m.refs.includes(r)) continue;
    return `gref ${r} is ${free ? "on the free list and" : "not on the free list and"} ${m === null ? "held by no map" : `claimed by ${m.name} (${m.state}${m.destroyedBy !== null ? ", destroyed" : ""}${m.refs.includes(r) ? "" : ", not among its segments"})`}: leaked`;
  }
  return undefined;
}

/** A client thread: loads its maps one after the other, and unloads and destroys each it does not keep. */
function* client_thread(b: Busdma, maps: dmamap[], wanted: { segs: number; keep: boolean }[]): Gen {
  for (let k = 0; k < wanted.length; k++) {
    const map = maps[k]!;
    yield* bus_dmamap_load(b, map, wanted[k]!.segs);
    if (wanted[k]!.keep) continue;
    yield* bus_dmamap_unload(b, map);
    yield* bus_dmamap_destroy(map);
  }
}

export default defineModel<XenBusdmaWorkload>({
  name: "xen-busdma",
  description:
    "FreeBSD's Xen busdma back end: bus_dmamap_load grants each segment from a pool of 3 grant references, deferring to a grant-table free callback and a task when they run out; unload frees them, destroy frees the map",
  variants: {
    "deferred-load": {
      description:
        "the design: a short load gives back what it claimed and registers the free callback; the task allocates and grants every segment, then calls the client; unload cancels a pending deferred load (callback off the list, cancel_work_sync) before freeing",
      correct: true,
    },
    "deferred-no-grant": { description: "the deferred task allocates the grant references but never fills them: the client callback gets ungranted segments", correct: false },
    "deferred-no-callback": { description: "the deferred task loads the map but never calls the client callback: a deferred load never completes", correct: false },
    "partial-alloc-leak": { description: "a load that claims only some of its references defers without giving them back: they are leaked", correct: false },
    "unload-no-cancel": {
      description: "unload leaves a pending deferred load in place: its free callback and task run on the map after bus_dmamap_destroy freed it",
      correct: false,
    },
    "unload-no-sync": {
      description:
        "unload takes the free callback off the list and sets cancel, but does not wait for a task already queued or running: the task grants the map after the unload, or runs on it after destroy",
      correct: false,
    },
  },
  properties: {
    "callback-once": "the client callback runs at most once per load, and after the run every load has called it, been unloaded first, or still waits for references that are not free",
    "granted-segments": "when the client callback runs, every segment of the map has a grant reference held by the map and filled for that segment",
    "no-grant-after-unload": "no segment is granted after bus_dmamap_unload() has finished with the load, nor with a reference the map does not hold",
    "no-leak": "after the run, every grant reference is on the free list or held by a loaded map that still exists",
    "use-after-destroy": "nothing (a free callback, a deferred task) touches a map after bus_dmamap_destroy() freed it",
  },
  defaults: { cpus: 2, maxSteps: 3000 },
  maxEvents: 60,
  workload,
  workloadHelp: "{ threads: [{ cpu, maps: [{ segs: 1-3, keep: boolean }, ...1-2] }, ...2-3] }",
  setup(variant, w) {
    const design = DESIGNS[variant];
    if (design === undefined) throw new Error(`xen-busdma has no variant ${variant}`);
    const b: Busdma = { g: new GrantTable(NR_GREFS), wq: alloc_workqueue("taskqueue_thread"), design, loads: [] };
    w.threads.forEach((t, i) => {
      const maps = t.maps.map((_, k) => new dmamap(`map${i}.${k}`, b));
      kthread_run(() => client_thread(b, maps, t.maps), `T${i}`, { cpu: t.cpu });
    });
    return {
      finals: {
        "callback-once"() {
          return loadsAnswered(b);
        },
        "no-leak"() {
          return noLeak(b);
        },
      },
    };
  },
});
