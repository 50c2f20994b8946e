// The backend around the pool: netback's threads, its event-channel
// interrupt and the tx tasklet that interrupt schedules each take entries
// (a guest's packet copied into a pool page and handed to the host's network
// stack) and complete them (put_free_entry); the stack, in the NET_RX
// softirq of the CPU the packet was queued on, drops its page reference later.
import fc from "fast-check";
import type { Gen, MachineConfig, tasklet_struct } from "../../kernel/index.ts";
import { current_name, kthread_run, open_softirq, raise_softirq, request_irq, smp_processor_id, tasklet_schedule, tasklet_setup } from "../../kernel/index.ts";
import type { Pool } from "./pool.ts";
import { get_free_entry, get_page_for_stack, put_free_entry, put_page_from_stack } from "./pool.ts";

/**
 * xmit: take an entry, copy a guest packet into its page, hand the page to
 * the stack (get_page, netif_rx) and queue the entry for tx completion;
 * complete: the oldest entry awaiting completion goes back (put_free_entry).
 */
export type NetbackOp = "xmit" | "complete";

export interface NetbackWorkload {
  /** PAGE_POOL_SIZE */
  poolSize: number;
  /** netback's threads: the CPU each starts on and what it does. */
  threads: { cpu: number; ops: NetbackOp[] }[];
  /** The event-channel interrupt: the CPUs it is routed to, how often it fires on each, what its handler does. */
  irq: { cpus: number[]; count: number; ops: NetbackOp[] };
  /** What the tx tasklet (scheduled by the interrupt) does each time it runs. */
  tasklet: NetbackOp[];
}

export function workloadArbitrary(config: MachineConfig): fc.Arbitrary<NetbackWorkload> {
  const cpus = Array.from({ length: config.cpus }, (_, i) => i);
  const op = fc.constantFrom<NetbackOp>("xmit", "complete");
  return fc.record({
    poolSize: fc.integer({ min: 1, max: 2 }),
    threads: fc.array(fc.record({ cpu: fc.constantFrom(...cpus), ops: fc.array(op, { minLength: 1, maxLength: 5 }) }), { minLength: 1, maxLength: 2 }),
    irq: fc.record({ cpus: fc.subarray(cpus), count: fc.integer({ min: 0, max: 2 }), ops: fc.array(op, { minLength: 1, maxLength: 2 }) }),
    tasklet: fc.array(op, { maxLength: 2 }),
  });
}

export const workloadHelp =
  "{ poolSize: 1-2, threads: [{ cpu, ops: ['xmit'|'complete', ...1-5] }, ...1-2], irq: { cpus: [...], count: 0-2, ops: [...1-2] }, tasklet: [...0-2] }";

/** The host side: entries awaiting tx completion, and each CPU's backlog of skbs for the stack. */
export interface Backend {
  pool: Pool;
  /** Entries whose packets are out, oldest first; their completion is what "complete" does. */
  pending: number[];
  /** softnet_data.input_pkt_queue of each CPU: the entries whose pages the skbs carry. */
  backlog: number[][];
}

const NET_RX = "net-rx";

function* xmit(b: Backend): Gen {
  const idx = yield* get_free_entry(b.pool);
  if (idx < 0) {
    yield "get_free_entry() = -1: drop the packet";
    return;
  }
  yield `gnttab_copy: the guest's packet into pool[${idx}].page`;
  get_page_for_stack(b.pool, idx);
  yield `get_page(pool[${idx}].page)`;
  const cpu = smp_processor_id();
  b.backlog[cpu]!.push(idx);
  raise_softirq(NET_RX);
  b.pending.push(idx); // the tx request is answered: the entry awaits its tx completion
  b.pool.held.set(idx, "the tx completion queue");
  yield `netif_rx: skb with pool[${idx}].page on cpu${cpu}'s backlog; pool[${idx}] awaits tx completion`;
}

function* complete(b: Backend): Gen {
  const idx = b.pending.shift();
  if (idx === undefined) {
    yield "no tx completion pending";
    return;
  }
  // The completion takes the entry in the same step as put_free_entry's first.
  b.pool.held.set(idx, current_name());
  yield* put_free_entry(b.pool, idx);
}

function* run_ops(b: Backend, ops: readonly NetbackOp[]): Gen {
  for (const op of ops) {
    if (op === "xmit") yield* xmit(b);
    else yield* complete(b);
  }
}

/** The stack's NET_RX softirq: each skb on this CPU's backlog is received, then its page reference dropped. */
function* net_rx_action(b: Backend): Gen {
  const q = b.backlog[smp_processor_id()]!;
  for (let idx = q.shift(); idx !== undefined; idx = q.shift()) {
    yield `netif_receive_skb: skb with pool[${idx}].page`;
    put_page_from_stack(b.pool, idx);
    yield `kfree_skb: put_page(pool[${idx}].page)`;
  }
}

/** The event-channel interrupt handler: its own ops, then it schedules the tx tasklet (if there is one). */
function* xenvif_interrupt(b: Backend, ops: readonly NetbackOp[], tasklet: tasklet_struct | null): Gen {
  yield* run_ops(b, ops);
  if (tasklet !== null) {
    tasklet_schedule(tasklet);
    yield "tasklet_schedule(xenvif_tx_tasklet)";
  }
}

export function start_backend(b: Backend, w: NetbackWorkload): void {
  open_softirq(NET_RX, () => net_rx_action(b), { name: "net_rx_action" });
  let tasklet: tasklet_struct | null = null;
  if (w.tasklet.length > 0) tasklet = tasklet_setup("xenvif_tx_tasklet", (_t: tasklet_struct) => run_ops(b, w.tasklet));
  w.threads.forEach((t, i) => kthread_run(() => run_ops(b, t.ops), `T${i}`, { cpu: t.cpu }));
  if (w.irq.cpus.length > 0 && w.irq.count > 0) request_irq("xenvif", () => xenvif_interrupt(b, w.irq.ops, tasklet), { cpus: w.irq.cpus, count: w.irq.count });
}
