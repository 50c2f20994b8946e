// The driver that uses the pool: threads that allocate and free buffers and
// pass them between CPUs, and an interrupt handler that allocates and frees
// on its CPU, as the virtio drivers ported from Linux did.
import fc from "fast-check";
import { current_name, kthread_run, request_irq, smp_processor_id, wait_event } from "../../kernel/index.ts";
import type { MachineConfig } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import { alloc, free } from "./pool.ts";
import type { FreeObject, Mempool } from "./structs.ts";

/**
 * alloc: allocate a buffer; free: free the newest buffer it holds;
 * send: hand the newest buffer to the completion queue (a request submitted);
 * complete: wait for a buffer on the completion queue, unless every other
 * thread has finished or waits too, and free it: a request allocated on one
 * CPU is completed on another, which is how foreign frees happen.
 */
export type DriverOp = "alloc" | "free" | "send" | "complete";

export interface MempoolWorkload {
  objectsPerPage: number;
  threads: { cpu: number; ops: DriverOp[] }[];
  /** The driver's interrupt: the CPUs it is routed to and how often it fires on each. */
  irq: { cpus: number[]; count: number };
}

export function workloadArbitrary(config: MachineConfig): fc.Arbitrary<MempoolWorkload> {
  const cpus = Array.from({ length: config.cpus }, (_, i) => i);
  return fc.record({
    objectsPerPage: fc.integer({ min: 1, max: 3 }),
    threads: fc.array(
      fc.record({
        cpu: fc.constantFrom(...cpus),
        ops: fc.array(fc.constantFrom<DriverOp>("alloc", "free", "send", "complete"), { minLength: 1, maxLength: 6 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    irq: fc.record({ cpus: fc.subarray(cpus), count: fc.integer({ min: 0, max: 2 }) }),
  });
}

export const workloadHelp =
  "{ objectsPerPage: 1-3, threads: [{ cpu, ops: ['alloc'|'free'|'send'|'complete', ...1-6] }, ...1-3], irq: { cpus: [...], count: 0-2 } }";

/** The completion queue between threads; its operations are single atomic steps (it is not what is under test). */
export interface Completions {
  readonly buffers: FreeObject[];
  /** Threads still running, and those among them waiting in `complete`. */
  running: number;
  waiting: number;
}

function* driver_thread(mp: Mempool, cq: Completions, ops: DriverOp[]): Gen {
  const mine: FreeObject[] = [];
  for (const op of ops) {
    if (op === "alloc") {
      mine.push(yield* alloc(mp));
    } else if (op === "free") {
      const b = mine.pop();
      if (b !== undefined) yield* free(mp, b);
    } else if (op === "send") {
      const b = mine.pop();
      if (b === undefined) continue;
      cq.buffers.push(b);
      mp.ghost.move(b, current_name(), "the completion queue");
      yield `submit ${b.name}`;
    } else {
      cq.waiting++;
      yield wait_event(() => cq.buffers.length > 0 || cq.waiting === cq.running, "a completed request");
      cq.waiting--;
      const b = cq.buffers.shift();
      if (b === undefined) continue;
      mp.ghost.move(b, "the completion queue", current_name());
      yield `complete ${b.name}`;
      yield* free(mp, b);
    }
  }
  while (mine.length > 0) yield* free(mp, mine.pop()!);
  cq.running--;
}

/**
 * The interrupt handler, as a virtio receive path: retire the buffer the
 * device filled (posted by an earlier interrupt on this CPU) and post a fresh
 * one in its place.
 */
function* driver_irq(mp: Mempool, rx: FreeObject[][]): Gen {
  const ring = rx[smp_processor_id()]!;
  const ringName = `the rx ring of cpu${smp_processor_id()}`;
  const used = ring.shift();
  if (used !== undefined) {
    mp.ghost.move(used, ringName, current_name());
    yield `take used buffer ${used.name}`;
    yield* free(mp, used);
  }
  const fresh = yield* alloc(mp);
  ring.push(fresh);
  mp.ghost.move(fresh, current_name(), ringName);
  yield `post ${fresh.name} to ${ringName}`;
}

export function start_driver(mp: Mempool, w: MempoolWorkload, cpus: number): void {
  const cq: Completions = { buffers: [], running: w.threads.length, waiting: 0 };
  w.threads.forEach((t, i) => kthread_run(() => driver_thread(mp, cq, t.ops), `T${i}`, { cpu: t.cpu }));
  const rx: FreeObject[][] = new Array(cpus).fill(null).map(() => []);
  if (w.irq.cpus.length > 0 && w.irq.count > 0) request_irq("virtio", () => driver_irq(mp, rx), { cpus: w.irq.cpus, count: w.irq.count });
}
