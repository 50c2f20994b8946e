// The per-CPU object allocator of OSv (core/mempool.cc), with the interrupt
// handler of a driver ported from Linux allocating from it.
import { alloc_percpu, DEFINE_PER_CPU_LOCAL_LOCK, defineModel } from "../../kernel/index.ts";
import { conservation, noStranded, pageAccounting } from "./checks.ts";
import { GarbageCollector, start_collectors } from "./collector.ts";
import { delegateHandover } from "./delegate.ts";
import { Ghost, PlaceCounts } from "./ghost.ts";
import type { PoolLock } from "./lock.ts";
import { irqPreemptLock, noLock, preemptLock } from "./lock.ts";
import { mpscHandover } from "./mpsc.ts";
import { ringHandover } from "./ring.ts";
import type { Mempool } from "./structs.ts";
import type { MempoolWorkload } from "./workload.ts";
import { AllocatorSpec } from "./spec.ts";
import { start_driver, workloadArbitrary, workloadHelp } from "./workload.ts";

type HandoverKind = "ring" | "delegate" | "mpsc";

type LockKind = "preempt" | "irq-preempt" | "none";

/** What each variant is made of: the pool lock, and how foreign frees get home. */
const DESIGNS: Record<string, { lock: LockKind; handover: HandoverKind }> = {
  "preempt-lock": { lock: "preempt", handover: "ring" },
  "irq-preempt-lock": { lock: "irq-preempt", handover: "ring" },
  "no-preempt-lock": { lock: "none", handover: "ring" },
  "delegate-queue": { lock: "irq-preempt", handover: "delegate" },
  "mpsc-queue": { lock: "irq-preempt", handover: "mpsc" },
};

function poolLock(kind: LockKind): PoolLock {
  if (kind === "none") return noLock;
  const ll = DEFINE_PER_CPU_LOCAL_LOCK("preempt_lock");
  return kind === "preempt" ? preemptLock(ll) : irqPreemptLock(ll);
}

export default defineModel<MempoolWorkload>({
  name: "mempool",
  description: "OSv's per-CPU object allocator (core/mempool.cc) used from a driver's interrupt handler",
  variants: {
    "preempt-lock": {
      description: "preemption disabled, interrupts left on (OSv as it is): the handler's alloc() and free() land inside the thread's",
      correct: false,
      config: { cpus: 1 },
    },
    "irq-preempt-lock": {
      description: "interrupts disabled as well for the whole operation (the first fix); foreign frees through per-CPU-pair rings",
      correct: true,
      config: { cpus: 2 },
    },
    "no-preempt-lock": {
      description: "nothing disabled: two threads on one CPU, or a thread migrating mid-operation",
      correct: false,
      config: { cpus: 1 },
    },
    "delegate-queue": {
      description: "foreign frees pushed on a plain per-owner queue, drained when the owner next frees one of its own (the second fix)",
      correct: false,
      config: { cpus: 2 },
    },
    "mpsc-queue": {
      description:
        "foreign frees through a lock-free MPSC queue per (owner, source) pair, drained by the owner's collector (OSv today), interrupts disabled; the collector is signalled on every push (OSv waits for 257: --set signalThreshold=256 leaves objects queued)",
      correct: true,
      config: { cpus: 2 },
    },
  },
  properties: {
    conservation: "every object is in exactly one place: held, on its page's free list, or in a handover queue",
    "no-double-alloc": "checked against a sequential model of the allocator: alloc() never hands out an object that is still allocated, free() takes only allocated ones",
    "page-accounting": "a page's nalloc counts its allocated objects, page lists hold exactly their CPU's pages with free objects, and a page is given back only when nothing on it is in use",
    "owner-only": "a page's count and free list, and a CPU's page list, are changed only on the CPU that owns them",
    "no-stranded": "after the run, no freed object is left in a handover queue",
  },
  // OSv has no lockdep; --set lockdep=1 shows what it would report.
  defaults: { cpus: 2, maxSteps: 5000, signalThreshold: 0, lockdep: 0 },
  maxEvents: 200,
  workload: workloadArbitrary,
  workloadHelp,
  setup(variant, w, config) {
    const design = DESIGNS[variant]!;
    const mp: Mempool = {
      free: alloc_percpu((cpu) => ({ cpu, pages: [] })),
      objectsPerPage: w.objectsPerPage,
      lock: poolLock(design.lock),
      handover: undefined as never,
      ghost: new Ghost(),
      pages: [],
    };
    const gc = new GarbageCollector(config.cpus, Number(config.signalThreshold));
    const h =
      design.handover === "delegate" ? { handover: delegateHandover(mp), collect: null } : design.handover === "ring" ? ringHandover(mp, gc) : mpscHandover(mp, gc);
    mp.handover = h.handover;
    start_driver(mp, w, config.cpus); // the driver's threads first: each starts on its CPU, collectors wait behind
    if (h.collect !== null) start_collectors(mp, gc, h.collect);
    const counts = new PlaceCounts(); // reused by every check of the run
    return {
      sequential: new AllocatorSpec(),
      invariants: {
        conservation() {
          return conservation(mp, counts);
        },
        "page-accounting"() {
          return pageAccounting(mp);
        },
      },
      finals: {
        "no-stranded"() {
          return noStranded(mp);
        },
      },
    };
  },
});
