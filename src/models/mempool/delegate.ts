// The second fix: one plain queue per owner CPU. Any CPU that frees a
// foreign object pushes it there; the owner drains its queue the next time
// it frees an object of its own. Pushing and draining are plain loads and
// stores, and the pool lock only keeps *this* CPU out of the way.
import { num_possible_cpus } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import type { PlaceCounts } from "./ghost.ts";
import { chain, countChain } from "./ghost.ts";
import type { Hold } from "./lock.ts";
import { free_same_cpu } from "./pool.ts";
import type { FreeObject, Handover, Mempool } from "./structs.ts";

class DelegateHandover implements Handover {
  private readonly queues = new Array(num_possible_cpus()).fill(null).map(() => ({ head: null as FreeObject | null }));
  constructor(private readonly mp: Mempool) {}

  *free_different_cpu(obj: FreeObject, obj_cpu: number): Gen {
    const q = this.queues[obj_cpu]!;
    obj.next = q.head;
    yield `${obj.name}->next = delegate[${obj_cpu}].head (${obj.next?.name ?? "NULL"})`;
    q.head = obj;
    this.mp.ghost.put(obj);
    yield `delegate[${obj_cpu}].head = ${obj.name}`;
  }

  *before_free_same_cpu(cpu: number, hold: Hold): Gen {
    const q = this.queues[cpu]!;
    for (;;) {
      const obj = q.head;
      yield `obj = delegate[${cpu}].head (${obj?.name ?? "NULL"})`;
      if (obj === null) break;
      q.head = obj.next;
      this.mp.ghost.take(obj);
      yield `delegate[${cpu}].head = ${obj.name}->next (${q.head?.name ?? "NULL"})`;
      yield* free_same_cpu(this.mp, obj, hold);
    }
  }

  countQueued(counts: PlaceCounts): void {
    for (const q of this.queues) countChain(q.head, counts, 4096);
  }

  *queued(): Iterable<[FreeObject, string]> {
    for (let c = 0; c < this.queues.length; c++) for (const o of chain(this.queues[c]!.head)) yield [o, `delegate[${c}]`] as [FreeObject, string];
  }
}

export function delegateHandover(mp: Mempool): Handover {
  return new DelegateHandover(mp);
}
