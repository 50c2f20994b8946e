// A driver's packet counter, bumped by a thread and by the NIC's interrupt
// handler. `count++` is a load and a store, so an interrupt landing between
// them loses an update unless the thread masks interrupts around it.
import fc from "fast-check";
import type { Gen } from "../src/index.ts";
import { defineModel, kthread_run, local_irq_restore, local_irq_save, request_irq } from "../src/index.ts";

interface Stats {
  count: number;
  /** Ghost: how many increments really happened. */
  bumps: number;
}

function* count_packet(stats: Stats, irqsafe: boolean): Gen {
  const flags = irqsafe ? local_irq_save() : null;
  const v = stats.count;
  yield `load count (${v})`;
  stats.count = v + 1;
  stats.bumps++;
  if (flags) local_irq_restore(flags);
  yield `store count = ${v + 1}`;
}

/** The receive thread: counts `packets` packets. */
function* rx_thread(stats: Stats, irqsafe: boolean, packets: number): Gen {
  for (let i = 0; i < packets; i++) yield* count_packet(stats, irqsafe);
}

export default defineModel<{ packets: number; interrupts: number }>({
  name: "irq-counter",
  description: "a packet counter shared by a thread and an interrupt handler",
  variants: {
    plain: { description: "count++ with interrupts on", correct: false },
    irqsave: { description: "count++ under local_irq_save()", correct: true },
  },
  properties: { "exact-count": "after the run, the counter equals the number of packets counted" },
  defaults: { cpus: 1, maxSteps: 1000 },
  workload: () => fc.record({ packets: fc.integer({ min: 1, max: 3 }), interrupts: fc.integer({ min: 0, max: 2 }) }),
  setup(variant, w) {
    const stats: Stats = { count: 0, bumps: 0 };
    const irqsafe = variant === "irqsave";
    kthread_run(() => rx_thread(stats, irqsafe, w.packets), "rx-thread", { cpu: 0 });
    // The handler already runs with interrupts off.
    request_irq("nic", () => count_packet(stats, false), { cpus: [0], count: w.interrupts });
    return {
      finals: {
        "exact-count": () => (stats.count === stats.bumps ? undefined : `count is ${stats.count} after ${stats.bumps} packets`),
      },
    };
  },
});
