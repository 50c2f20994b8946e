// What OSv does today (since 2014): one lock-free multi-producer
// single-consumer queue per (owner, source) CPU pair
// (include/lockfree/unordered-queue-mpsc.hh), drained by the owner's
// collector. garbage_sink signals the collector once more than
// `signal_threshold` objects were pushed since the last signal.
import { cmpxchg, num_possible_cpus, xchg } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import type { GarbageCollector } from "./collector.ts";
import type { PlaceCounts } from "./ghost.ts";
import { chain, countChain } from "./ghost.ts";
import type { Hold } from "./lock.ts";
import { free_same_cpu } from "./pool.ts";
import type { FreeObject, Handover, Mempool } from "./structs.ts";
import { pcpu_free_list } from "./structs.ts";

/** Links a chain walk follows at most: past this many, a list must hold a cycle. */
const LIMIT = 4096;

/** garbage_sink: an unordered_queue_mpsc and its signal counter. */
class GarbageSink {
  /** std::atomic<LT*> _head */
  head: FreeObject | null = null;
  /** LT* _poll_list: the consumer's private rest of the chain it took */
  poll: FreeObject | null = null;
  pushed_since_last_signal = 0;

  /** unordered_queue_mpsc::pop() */
  *pop(mp: Mempool, label: string): Gen<FreeObject | null> {
    if (this.poll !== null) {
      const r = this.poll;
      this.poll = r.next;
      mp.ghost.take(r);
      yield `${label}.pop() = ${r.name} from _poll_list`;
      return r;
    }
    const r = xchg(this, "head", null);
    if (r === null) {
      yield `${label}.pop(): exchange(_head, NULL) = NULL`;
      return null;
    }
    this.poll = r.next;
    mp.ghost.take(r);
    yield `${label}.pop() = ${r.name}: exchange(_head, NULL) (acquire); _poll_list = ${r.next?.name ?? "NULL"}`;
    return r;
  }
}

class MpscHandover implements Handover {
  private readonly n = num_possible_cpus();
  /** Every sink in one list, for the count at every step. */
  private readonly every: GarbageSink[] = [];
  /** pcpu_free_list[dest][src] */
  private readonly sinks = new Array(this.n).fill(null).map(() => new Array(this.n).fill(null).map(() => this.newSink()));
  constructor(
    private readonly mp: Mempool,
    private readonly gc: GarbageCollector,
  ) {}

  private newSink(): GarbageSink {
    const s = new GarbageSink();
    this.every.push(s);
    return s;
  }

  *free_different_cpu(obj: FreeObject, obj_cpu: number, cur_cpu: number): Gen {
    const sink = this.sinks[obj_cpu]![cur_cpu]!;
    let old = sink.head;
    obj.next = old;
    yield `${pcpu_free_list(obj_cpu, cur_cpu)}.push(${obj.name}): old = _head (relaxed); item->next = old`;
    for (;;) {
      const found = cmpxchg(sink, "head", old, obj);
      if (found === old) {
        this.mp.ghost.put(obj);
        yield `compare_exchange(_head, ${old?.name ?? "NULL"}, ${obj.name}) succeeds (release)`;
        break;
      }
      old = found;
      obj.next = old;
      yield `compare_exchange fails, old = _head = ${old?.name ?? "NULL"}; item->next = old`;
    }
    yield* this.gc.signal_if_due(sink, obj_cpu);
  }

  countQueued(counts: PlaceCounts): void {
    for (const sink of this.every) {
      countChain(sink.head, counts, LIMIT);
      countChain(sink.poll, counts, LIMIT);
    }
  }

  *queued(): Iterable<[FreeObject, string]> {
    for (let d = 0; d < this.n; d++)
      for (let s = 0; s < this.n; s++) {
        const sink = this.sinks[d]![s]!;
        for (const o of chain(sink.head)) yield [o, `${pcpu_free_list(d, s)}._head`] as [FreeObject, string];
        for (const o of chain(sink.poll)) yield [o, `${pcpu_free_list(d, s)}._poll_list`] as [FreeObject, string];
      }
  }

  /** pool::collect_garbage() */
  *collect(cpu: number, hold: Hold): Gen {
    for (let s = 0; s < this.n; s++) {
      for (;;) {
        const obj = yield* this.sinks[cpu]![s]!.pop(this.mp, pcpu_free_list(cpu, s));
        if (obj === null) break;
        yield* free_same_cpu(this.mp, obj, hold);
      }
    }
  }
}

export function mpscHandover(mp: Mempool, gc: GarbageCollector): { handover: Handover; collect: (cpu: number, hold: Hold) => Gen } {
  const h = new MpscHandover(mp, gc);
  return {
    handover: h,
    collect(cpu, hold) {
      return h.collect(cpu, hold);
    },
  };
}
