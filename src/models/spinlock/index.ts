// A driver whose transmit path and interrupt handler share state through a
// spinlock: the lesson that code reachable from an interrupt handler must
// take its locks with interrupts saved and disabled, never sleep under them,
// and restore exactly the interrupt state it found.
import fc from "fast-check";
import { defineModel, kthread_run, request_irq, request_threaded_irq } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import type { MachineConfig } from "../../kernel/index.ts";
import { THREADED, nic_interrupt, nic_irq_thread, nic_priv, nic_xmit } from "./driver.ts";

export interface SpinlockWorkload {
  /** Transmitting threads: where each starts and how many packets it sends. */
  threads: { cpu: number; sends: number }[];
  /** The tx-completion interrupt: the CPUs it is routed to and how often it fires on each. */
  irq: { cpus: number[]; count: number };
  /** Whether the stats lock is taken nested inside priv->lock. */
  nested: boolean;
}

function workload(config: MachineConfig): fc.Arbitrary<SpinlockWorkload> {
  const cpus = Array.from({ length: config.cpus }, (_, i) => i);
  return fc.record({
    threads: fc.array(fc.record({ cpu: fc.constantFrom(...cpus), sends: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 2 }),
    irq: fc.record({ cpus: fc.subarray(cpus), count: fc.integer({ min: 0, max: 2 }) }),
    nested: fc.boolean(),
  });
}

/** A thread that transmits `sends` packets. */
function* tx_thread(priv: nic_priv, variant: string, nested: boolean, sends: number): Gen {
  for (let k = 0; k < sends; k++) yield* nic_xmit(priv, variant, nested);
}

export default defineModel<SpinlockWorkload>({
  name: "spinlock",
  description: "a NIC driver whose transmit path and tx-completion interrupt share ring state through a spinlock",
  variants: {
    irqsave: { description: "spin_lock_irqsave in process context, spin_lock in the handler; the stats lock nested inside", correct: true },
    "plain-lock-in-irq": { description: "spin_lock in process context, the same lock in the interrupt handler", correct: false },
    "unlock-irq-nested": { description: "an inner spin_unlock_irq inside the outer irqsave region turns interrupts on early", correct: false },
    "shared-flags": { description: "nested spin_lock_irqsave calls share one flags variable: interrupts stay off after both restores", correct: false },
    "sleep-under-lock": { description: "kmalloc(GFP_KERNEL) with the lock held and interrupts off", correct: false },
    "no-preempt-disable": {
      description:
        "a hand-rolled lock without preempt_disable, shared with the SCHED_FIFO interrupt thread: the holder is preempted and the thread spins forever (with RT throttling off; with it, the CPU stalls for a period instead)",
      correct: false,
    },
    "threaded-spin-lock": {
      description: "the same threaded interrupt sharing the ring under spin_lock: the holder cannot be preempted",
      correct: true,
    },
  },
  properties: {
    "tx-accounting": "after the run, tx_pending and tx_packets count exactly the packets sent, completed and counted",
  },
  defaults: { cpus: 1, maxSteps: 2000 },
  maxEvents: 60,
  workload,
  workloadHelp: "{ threads: [{ cpu, sends: 1-3 }, ...1-2], irq: { cpus: [...], count: 0-2 }, nested: boolean }",
  setup(variant, w) {
    const priv = new nic_priv();
    w.threads.forEach((t, i) => kthread_run(() => tx_thread(priv, variant, w.nested, t.sends), `T${i}`, { cpu: t.cpu }));
    if (w.irq.cpus.length > 0 && w.irq.count > 0) {
      if (THREADED.includes(variant)) request_threaded_irq("nic", null, () => nic_irq_thread(priv, variant), w.irq);
      else request_irq("nic", () => nic_interrupt(priv, w.nested), w.irq);
    }
    return {
      finals: {
        "tx-accounting"() {
          if (priv.tx_pending !== priv.sent - priv.completed) return `tx_pending is ${priv.tx_pending} after ${priv.sent} sent and ${priv.completed} completed`;
          if (priv.tx_packets !== priv.counted) return `tx_packets is ${priv.tx_packets} after ${priv.counted} counted`;
          return undefined;
        },
      },
    };
  },
});
