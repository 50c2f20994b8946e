// The per-CPU worker that frees objects other CPUs handed back (OSv
// PCPU_WORKERITEM garbage_collector / free_worker): a pinned thread that
// sleeps until signalled, then drains every handover queue of its CPU.
import { kthread_run, num_possible_cpus, wait_event } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import type { Hold } from "./lock.ts";
import type { Mempool } from "./structs.ts";

export class GarbageCollector {
  /** worker_item::_have_work, per CPU */
  readonly have_work: boolean[];
  constructor(
    cpus: number,
    /** The collector is signalled once more than this many objects were pushed since the last signal. */
    readonly signal_threshold: number,
  ) {
    this.have_work = new Array<boolean>(cpus).fill(false);
  }
  /** worker_item::signal(cpu): the worker on `cpu` will run. One store. */
  signal(cpu: number): void {
    this.have_work[cpu] = true;
  }

  /**
   * After a push into a queue owned by `cpu`: `++pushed_since_last_signal >
   * threshold` (a producer-private load and store), then perhaps the signal.
   */
  *signal_if_due(q: { pushed_since_last_signal: number }, cpu: number): Gen {
    const pushed = q.pushed_since_last_signal + 1;
    yield `load pushed_since_last_signal (${pushed - 1})`;
    if (pushed > this.signal_threshold) {
      q.pushed_since_last_signal = 0;
      this.signal(cpu);
      yield `pushed_since_last_signal > ${this.signal_threshold}: garbage_collector.signal(cpu${cpu}); pushed_since_last_signal = 0`;
    } else {
      q.pushed_since_last_signal = pushed;
      yield `store pushed_since_last_signal = ${pushed}`;
    }
  }
}

/** The collector thread of CPU `c`: forever, clear its work flag, drain its queues under the pool lock, sleep until signalled. */
function* garbage_collector_thread(mp: Mempool, gc: GarbageCollector, collect: (cpu: number, hold: Hold) => Gen, c: number, signalled: string): Gen {
  for (;;) {
    gc.have_work[c] = false;
    yield `clear_work() on cpu${c}`;
    const hold = yield* mp.lock.lock();
    yield* collect(c, hold);
    yield* mp.lock.unlock(hold);
    mp.ghost.untouch();
    yield wait_event(() => gc.have_work[c]!, signalled);
  }
}

/** Starts one collector thread per CPU; `collect` drains that CPU's queues with the pool lock held. */
export function start_collectors(mp: Mempool, gc: GarbageCollector, collect: (cpu: number, hold: Hold) => Gen): void {
  for (let c = 0; c < num_possible_cpus(); c++) {
    const signalled = `garbage_collector on cpu${c} is signalled`;
    kthread_run(() => garbage_collector_thread(mp, gc, collect, c, signalled), `collector${c}`, {
      cpu: c,
      pinned: true,
      daemon: true,
      parkedUntil: {
        cond() {
          return gc.have_work[c]!;
        },
        what: signalled,
      },
    });
  }
}
