// A Xen network backend's pool of pages, after the design its author posted:
// a free list under a lock, entries marked RECLAIMABLE lock-free from the
// transmit-completion path, and a reclaim scan that threads an entry back
// only once the network stack has dropped its reference to the page.
import { defineModel } from "../../kernel/index.ts";
import { FreeListWalker, freeCount, freeListOnce, nothingLost } from "./checks.ts";
import type { Backend, NetbackWorkload } from "./driver.ts";
import { start_backend, workloadArbitrary, workloadHelp } from "./driver.ts";
import type { Design } from "./pool.ts";
import { Pool } from "./pool.ts";

const CORRECT: Design = { irqsave: true, checkCount: true, clearFirst: false, countFirst: false, locklessLink: false };

/** Each variant is the design with one thing changed. */
const DESIGNS: Record<string, Design> = {
  "reclaim-checked": CORRECT,
  "no-page-count": { ...CORRECT, checkCount: false },
  "spin-lock-only": { ...CORRECT, irqsave: false },
  "lockless-link": { ...CORRECT, locklessLink: true },
  "clear-before-check": { ...CORRECT, clearFirst: true },
  "count-before-mark": { ...CORRECT, countFirst: true },
};

export default defineModel<NetbackWorkload>({
  name: "netback-pool",
  description: "a Xen network backend's page pool: a locked free list, a lock-free RECLAIMABLE mark from tx completion, and a reclaim scan that waits for page_count(page) == 1",
  variants: {
    "reclaim-checked": {
      description:
        "the design: put_free_entry marks RECLAIMABLE with one store; get_free_entry, under spin_lock_irqsave, reclaims an entry when it is RECLAIMABLE and then page_count(page) == 1",
      correct: true,
    },
    "no-page-count": { description: "the reclaim threads back every RECLAIMABLE entry without checking page_count: the stack may still hold the page", correct: false },
    "spin-lock-only": { description: "get_free_entry takes pool_lock with spin_lock, interrupts on, while the interrupt handler and the tasklet take it too", correct: false },
    "lockless-link": {
      description: "put_free_entry links an entry whose page_count is 1 straight onto the free list, without pool_lock: its loads and stores interleave with get_free_entry's",
      correct: false,
    },
    "clear-before-check": {
      description: "the reclaim clears RECLAIMABLE as it tests it, before it checks page_count: an entry whose page the stack still holds loses its mark and is never threaded back",
      correct: false,
    },
    "count-before-mark": {
      description: "the reclaim reads page_count before RECLAIMABLE: a count read before the holder gave the stack its reference, then a mark set after, hands out a page the stack holds",
      correct: false,
    },
  },
  properties: {
    "free-list-once": "no entry is on the free list twice, and none is on it while it is handed out",
    "page-in-use": "get_free_entry never hands out an entry whose page the network stack still holds a reference to",
    "one-holder": "get_free_entry never hands out an entry that is handed out already",
    "free-count": "free_count equals the free list's length whenever nobody is changing the list (pool_lock free, no lockless update under way), and after the run",
    "nothing-lost": "after the run, every entry is on the free list, marked RECLAIMABLE, or handed out (to a context, or awaiting tx completion)",
  },
  defaults: { cpus: 2, maxSteps: 3000 },
  maxEvents: 80,
  workload: workloadArbitrary,
  workloadHelp,
  setup(variant, w, config) {
    const design = DESIGNS[variant];
    if (design === undefined) throw new Error(`netback-pool has no variant ${variant}`);
    const pool = new Pool(w.poolSize, design);
    const b: Backend = { pool, pending: [], backlog: new Array(config.cpus).fill(null).map(() => []) };
    start_backend(b, w);
    const walker = new FreeListWalker(); // reused by every check of the run
    return {
      invariants: {
        "free-list-once"() {
          return freeListOnce(pool, walker);
        },
        "free-count"() {
          return freeCount(pool, false, walker);
        },
      },
      finals: {
        "free-count"() {
          return freeCount(pool, true);
        },
        "nothing-lost"() {
          return nothingLost(pool);
        },
      },
    };
  },
});
