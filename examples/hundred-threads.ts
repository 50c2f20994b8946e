// A hundred threads, and a bug that needs one particular thread to run
// between two steps of another. A driver's reset thread takes the device
// offline for a moment (`state = RESETTING`, then `state = READY`); 98
// worker threads do unrelated work; one reader looks at the state once and
// must never find the device half way through a reset. Without the lock,
// the bug is one reader step landing in a window one step wide, among some
// three hundred steps of a hundred threads (seed 1, 10,000 runs: POS finds
// it at run 13, a random walk at 48, PCT at 126, fast-check at 697;
// exhaustive search had found nothing after five minutes).
import type { Gen } from "kernel-race-harness";
import { DEFINE_SPINLOCK, defineModel, fc, kthread_run, spin_lock, spin_unlock } from "kernel-race-harness";

const WORKERS = 98;
// Every thread is bound to its CPU (kthread_bind): the bug needs no migration, and a hundred movable threads would make every step a choice among hundreds of migrations.

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
    const dev = { state: "READY" };
    let seen: string | undefined;
    kthread_run(
      function* reset(): Gen {
        yield* spin_lock(lock);
        dev.state = "RESETTING";
        yield "state = RESETTING";
        dev.state = "READY";
        yield "state = READY";
        yield* spin_unlock(lock);
      },
      "reset",
      { cpu: 0, pinned: true },
    );
    for (let i = 0; i < WORKERS; i++) {
      kthread_run(
        function* worker(): Gen {
          yield "work";
          yield "more work";
        },
        `worker${i}`,
        { cpu: i % 2, pinned: true },
      );
    }
    kthread_run(
      function* reader(): Gen {
        if (variant === "locked") yield* spin_lock(lock);
        if (dev.state !== "READY") seen = `the reader found the device ${dev.state}`;
        yield `read state (${dev.state})`;
        if (variant === "locked") yield* spin_unlock(lock);
      },
      "reader",
      { cpu: 1, pinned: true },
    );
    return { invariants: { "no-half-reset": () => seen } };
  },
});
