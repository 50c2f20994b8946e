// Litmus-sized models for the weak-memory strategies: message passing (MP)
// and store buffering (SB) as hunted models, one reordering from a failure.
// MP: cpu0 writes data then flag, cpu1 reads flag then data. SB: each CPU
// stores its own word, then loads the other's.
import fc from "fast-check";
import { DEFINE_SHARED, READ_ONCE, WRITE_ONCE, defineModel, kthread_run, smp_mb, smp_rmb, smp_wmb, violation } from "../../src/index.ts";

export const messagePassing = defineModel<number>({
  name: "mp",
  description: "message passing: data, then flag; a reader that sees the flag must see the data",
  variants: {
    correct: { description: "smp_wmb() between the stores, smp_rmb() between the loads", correct: true, config: { memory: "weak" } },
    "no-wmb": { description: "no write barrier: under pso the flag overtakes the data", correct: false, config: { memory: "pso" } },
    "no-rmb": { description: "no read barrier: under weak the data is read from a stale copy", correct: false, config: { memory: "weak" } },
  },
  properties: { "message-passing": "a reader that sees the flag sees the data" },
  defaults: { cpus: 2, maxSteps: 100, memory: "sc" },
  maxEvents: 10,
  workload: () => fc.constant(0),
  setup(variant) {
    const data = DEFINE_SHARED("data", 0);
    const flag = DEFINE_SHARED("flag", 0);
    kthread_run(
      function* () {
        WRITE_ONCE(data, 1);
        yield "data = 1";
        if (variant !== "no-wmb") smp_wmb();
        WRITE_ONCE(flag, 1);
        yield "flag = 1";
      },
      "writer",
      { cpu: 0 },
    );
    kthread_run(
      function* () {
        const f = READ_ONCE(flag);
        yield `flag = ${f}`;
        if (variant !== "no-rmb") smp_rmb();
        const d = READ_ONCE(data);
        if (f === 1 && d === 0) violation("message-passing", "the reader saw flag = 1 and then data = 0");
        yield `data = ${d}`;
      },
      "reader",
      { cpu: 1 },
    );
    return {};
  },
});

export const storeBuffering = defineModel<number>({
  name: "sb",
  description: "store buffering: each CPU stores its word, then loads the other's; one of them must see the other's store",
  variants: {
    correct: { description: "smp_mb() between each CPU's store and load", correct: true, config: { memory: "tso" } },
    "no-mb": { description: "no full barrier: under tso both loads pass the stores still buffered", correct: false, config: { memory: "tso" } },
  },
  properties: { "store-buffering": "at least one CPU reads the other's store" },
  defaults: { cpus: 2, maxSteps: 100, memory: "sc" },
  maxEvents: 10,
  workload: () => fc.constant(0),
  setup(variant) {
    const words = [DEFINE_SHARED("x", 0), DEFINE_SHARED("y", 0)];
    const seen: number[] = [];
    for (const cpu of [0, 1]) {
      kthread_run(
        function* () {
          WRITE_ONCE(words[cpu]!, 1);
          yield `${words[cpu]!.addr} = 1`;
          if (variant !== "no-mb") smp_mb();
          const r = READ_ONCE(words[1 - cpu]!);
          seen.push(r);
          if (seen.length === 2 && seen[0] === 0 && seen[1] === 0) violation("store-buffering", "both CPUs read 0: each load passed the other CPU's store");
          yield `${words[1 - cpu]!.addr} = ${r}`;
        },
        `P${cpu}`,
        { cpu },
      );
    }
    return {};
  },
});
