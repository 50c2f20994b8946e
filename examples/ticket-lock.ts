// A ticket lock, as x86 had before qspinlock: take a ticket with an atomic
// fetch-and-add of `next`, spin until `owner` reaches it, release by bumping
// `owner`. A NIC driver's transmit thread and its tx-completion interrupt
// both count packets under it. The thread must take it with interrupts off:
// an interrupt on the holder's CPU would spin on a ticket that never comes.
import { defineModel, fc, holder_of, kthread_run, local_irq_restore, local_irq_save, lock_acquire, lock_acquired, lock_released, preempt_disable, preempt_enable, request_irq, spin_until } from "kernel-race-harness";
import type { Gen, Lockable } from "kernel-race-harness";

class ticket_lock_t implements Lockable {
  next = 0; // the next ticket handed out
  owner = 0; // the ticket being served
  constructor(readonly name: string) {}
}

function* ticket_lock(l: ticket_lock_t, atomic_xadd: boolean): Gen {
  preempt_disable();
  lock_acquire(l, "ticket_lock");
  const ticket = l.next;
  // lock xadd draws a ticket in one step; a plain load and store is two, and two CPUs may draw one ticket.
  if (!atomic_xadd) yield `load next (${ticket})`;
  l.next = ticket + 1;
  const holder = holder_of(l);
  while (l.owner !== ticket) yield spin_until(() => l.owner === ticket, () => `${l.name} serves ticket ${ticket} (serving ${l.owner}, held by ${holder() ?? "nobody"})`, holder);
  lock_acquired(l);
  yield `ticket_lock(${l.name}): ticket ${ticket}`;
}

function* ticket_unlock(l: ticket_lock_t): Gen {
  lock_released(l);
  l.owner++;
  preempt_enable();
  yield `ticket_unlock(${l.name}): now serving ${l.owner}`;
}

interface Stats {
  lock: ticket_lock_t;
  packets: number;
  /** Ghost: the packets really counted. */
  counted: number;
}

function* count_packet(s: Stats, irqsave: boolean, atomic_xadd: boolean): Gen {
  const flags = irqsave ? local_irq_save() : null;
  yield* ticket_lock(s.lock, atomic_xadd);
  const v = s.packets;
  yield `load packets (${v})`;
  s.packets = v + 1;
  s.counted++;
  yield `store packets = ${v + 1}`;
  yield* ticket_unlock(s.lock);
  if (flags) local_irq_restore(flags);
}

/** A transmitting thread: counts `packets` packets. */
function* tx_thread(s: Stats, packets: number, irqsave: boolean, atomic_xadd: boolean): Gen {
  for (let k = 0; k < packets; k++) yield* count_packet(s, irqsave, atomic_xadd);
}

export default defineModel<{ threads: { cpu: number; packets: number }[]; irq: { cpus: number[]; count: number } }>({
  name: "ticket-lock",
  description: "a ticket lock shared by a driver's threads and its interrupt handler",
  variants: {
    irqsave: { description: "threads take the lock with local_irq_save(); the ticket is an atomic xadd", correct: true },
    "irqs-on": { description: "threads take the lock with interrupts on", correct: false },
    "racy-ticket": { description: "interrupts off, but the ticket is a plain load and store of next", correct: false },
  },
  properties: { "exact-count": "after the run, packets equals the number of packets counted" },
  defaults: { cpus: 2, maxSteps: 2000 },
  workload: (config) => {
    const cpus = Array.from({ length: config.cpus }, (_, i) => i);
    return fc.record({
      threads: fc.array(fc.record({ cpu: fc.constantFrom(...cpus), packets: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 2 }),
      irq: fc.record({ cpus: fc.subarray(cpus), count: fc.integer({ min: 0, max: 2 }) }),
    });
  },
  setup(variant, w) {
    const s: Stats = { lock: new ticket_lock_t("tx_lock"), packets: 0, counted: 0 };
    const irqsave = variant !== "irqs-on";
    const xadd = variant !== "racy-ticket";
    w.threads.forEach((t, i) => kthread_run(() => tx_thread(s, t.packets, irqsave, xadd), `T${i}`, { cpu: t.cpu }));
    // The handler runs with interrupts off already.
    request_irq("nic", () => count_packet(s, false, xadd), w.irq);
    return {
      finals: { "exact-count": () => (s.packets === s.counted ? undefined : `packets is ${s.packets} after ${s.counted} counted`) },
    };
  },
});
