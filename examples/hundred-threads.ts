// A hundred threads, and a bug that needs one particular thread to run
// between two steps of another. A driver's reset thread takes the device
// offline for a moment (`state = RESETTING`, then `state = READY`); 98
// worker threads do unrelated work; one reader looks at the state once and
// must never find the device half way through a reset. Without the lock,
// the bug is one reader step landing in a window one step wide, among some
// three hundred steps of a hundred threads (seed 1, 10,000 runs: POS finds
// it at run 13, a random walk at 48, PCT at 126, fast-check at 697;
// exhaustive search had found nothing after five minutes).
import type { Gen, spinlock_t } from "kernel-race-harness";
import { DEFINE_SPINLOCK, defineModel, fc, kthread_run, spin_lock, spin_unlock } from "kernel-race-harness";

const WORKERS = 98;
// Every thread is bound to its CPU (kthread_bind): the bug needs no migration, and a hundred movable threads would make every step a choice among hundreds of migrations.

interface Device {
  state: "READY" | "RESETTING";
  /** Ghost: what the reader found, if it found the device half way through a reset. */
  seen: string | undefined;
}

function* reset(lock: spinlock_t, dev: Device): Gen {
  yield* spin_lock(lock);
  dev.state = "RESETTING";
  yield "state = RESETTING";
  dev.state = "READY";
  yield "state = READY";
  yield* spin_unlock(lock);
}

function* worker(): Gen {
  yield "work";
  yield "more work";
}

function* reader(lock: spinlock_t, dev: Device, locked: boolean): Gen {
  if (locked) yield* spin_lock(lock);
  if (dev.state !== "READY") dev.seen = `the reader found the device ${dev.state}`;
  yield `read state (${dev.state})`;
  if (locked) yield* spin_unlock(lock);
}

export default defineModel<number>({
  name: "hundred-threads",
  description: "a reset thread, a reader and 98 workers: the reader must not see a reset half done",
  variants: {
    unlocked: { description: "the reader looks at the state without the device lock the reset holds", correct: false },
    locked: { description: "the reader takes the device lock, so it sees the state before or after a reset", correct: true },
  },
  properties: { "no-half-reset": "the reader never finds the device in the middle of a reset" },
  defaults: { cpus: 2, maxSteps: 4000 },
  workload: () => fc.constant(0),
  maxEvents: 400,
  setup(variant) {
    const lock = DEFINE_SPINLOCK("dev->lock");
    const dev: Device = { state: "READY", seen: undefined };
    kthread_run(() => reset(lock, dev), "reset", { cpu: 0, pinned: true });
    for (let i = 0; i < WORKERS; i++) kthread_run(worker, `worker${i}`, { cpu: i % 2, pinned: true });
    kthread_run(() => reader(lock, dev, variant === "locked"), "reader", { cpu: 1, pinned: true });
    return { invariants: { "no-half-reset": () => dev.seen } };
  },
});
