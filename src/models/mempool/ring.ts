// OSv's first per-CPU design (2013): one single-producer single-consumer
// ring per (owner, source) CPU pair, drained by the owner's collector.
// The ring is 256 entries as in OSv; its blocking overflow path is not
// modelled, and no workload here comes near filling it. OSv signalled the
// collector only from that overflow path; here the collector's signal
// threshold applies, as to the MPSC queues (0: on every push).
import { BUG, num_possible_cpus } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import type { GarbageCollector } from "./collector.ts";
import type { PlaceCounts } from "./ghost.ts";
import type { Hold } from "./lock.ts";
import { free_same_cpu } from "./pool.ts";
import type { FreeObject, Handover, Mempool } from "./structs.ts";
import { pcpu_free_list } from "./structs.ts";

const RING_SIZE = 256;

/** ring_spsc<void*, 256> */
class RingSpsc {
  begin = 0;
  end = 0;
  /** Producer-private. */
  pushed_since_last_signal = 0;
  /** Filled as the ring is, not all at once: every run makes rings, and few use them. */
  private readonly slots: FreeObject[] = [];
  /** _ring[i]: NULL where nothing was ever written (a race can read there). */
  slot(i: number): FreeObject | null {
    return this.slots[i % RING_SIZE] ?? null;
  }
  setSlot(i: number, obj: FreeObject): void {
    this.slots[i % RING_SIZE] = obj;
  }
}

class RingHandover implements Handover {
  private readonly n = num_possible_cpus();
  /** Every ring in one list, for the count at every step. */
  private readonly every: RingSpsc[] = [];
  /** pcpu_free_list[dest][src] */
  private readonly rings = new Array(this.n).fill(null).map(() => new Array(this.n).fill(null).map(() => this.newRing()));
  constructor(
    private readonly mp: Mempool,
    private readonly gc: GarbageCollector,
  ) {}

  private newRing(): RingSpsc {
    const r = new RingSpsc();
    this.every.push(r);
    return r;
  }

  *free_different_cpu(obj: FreeObject, obj_cpu: number, cur_cpu: number): Gen {
    const ring = this.rings[obj_cpu]![cur_cpu]!;
    const end = ring.end;
    const beg = ring.begin;
    yield `${pcpu_free_list(obj_cpu, cur_cpu)}.push: load _end (${end}), _begin (${beg})`;
    if (end - beg >= RING_SIZE) BUG("ring full: the overflow path is not modelled");
    ring.setSlot(end, obj);
    yield `_ring[${end % RING_SIZE}] = ${obj.name}`;
    ring.end = end + 1;
    this.mp.ghost.put(obj);
    yield `_end = ${end + 1} (release)`;
    yield* this.gc.signal_if_due(ring, obj_cpu);
  }

  countQueued(counts: PlaceCounts): void {
    for (const r of this.every) for (let i = r.begin; i < r.end; i++) counts.add(r.slot(i));
  }

  *queued(): Iterable<[FreeObject, string]> {
    for (let d = 0; d < this.n; d++)
      for (let s = 0; s < this.n; s++) {
        const r = this.rings[d]![s]!;
        for (let i = r.begin; i < r.end; i++) yield [r.slot(i)!, pcpu_free_list(d, s)] as [FreeObject, string];
      }
  }

  /** The collector's drain: every ring this CPU owns, each popped until empty. */
  *collect(cpu: number, hold: Hold): Gen {
    for (let s = 0; s < this.n; s++) {
      const ring = this.rings[cpu]![s]!;
      for (;;) {
        const beg = ring.begin;
        const end = ring.end;
        yield `${pcpu_free_list(cpu, s)}.pop: load _begin (${beg}), _end (${end})`;
        if (beg === end) break;
        const obj = ring.slot(beg)!;
        ring.begin = beg + 1;
        this.mp.ghost.take(obj);
        yield `obj = _ring[${beg % RING_SIZE}] (${obj.name}); _begin = ${beg + 1}`;
        yield* free_same_cpu(this.mp, obj, hold);
      }
    }
  }
}

export function ringHandover(mp: Mempool, gc: GarbageCollector): { handover: Handover; collect: (cpu: number, hold: Hold) => Gen } {
  const r = new RingHandover(mp, gc);
  return {
    handover: r,
    collect(cpu, hold) {
      return r.collect(cpu, hold);
    },
  };
}
