// A litmus test (src/harness/litmus.ts) as a model, so that the hunt's
// strategies search it as they search any model: its property `exists`
// breaks when a run ends in the outcome the test asks about. Its programs
// share only memory words and spinlocks (each keeps its registers to
// itself), so the model says so and exhaustive search tries one order of
// the steps that touch nothing in common; a test that uses RCU does not
// (RCU keeps state of its own).
import fc from "fast-check";
import { DEFINE_SHARED, READ_ONCE, WRITE_ONCE, shared_state_in_memory_only } from "../kernel/barrier.ts";
import type { shared_t } from "../kernel/barrier.ts";
import { defineModel } from "../kernel/model.ts";
import type { ModelDefinition } from "../kernel/model.ts";
import { rcu_init } from "../kernel/rcu.ts";
import { kthread_run } from "../kernel/sched.ts";
import { DEFINE_SPINLOCK } from "../kernel/spinlock.ts";
import type { spinlock_t } from "../kernel/spinlock.ts";
import type { MemoryModel, Word } from "../sim/memory.ts";
import { show } from "../sim/memory.ts";
import type { LitmusTest } from "./litmus.ts";

/**
 * The model of `test`; `exists` is the outcome asked about, as
 * litmusOutcomes() writes outcomes ("r0=1 r1=0 x=2"): every part of it must
 * hold. Registers not named in it do not count.
 */
export function litmusModel(test: LitmusTest, exists: string, memory: MemoryModel = "sc"): ModelDefinition<number> {
  const wanted = exists.split(/\s+/).filter((p) => p !== "");
  const cpus = test.cpuOf === undefined ? test.threads.length : Math.max(...test.cpuOf) + 1;
  return defineModel<number>({
    name: `litmus-${test.name.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}`,
    description: `litmus test ${test.name}: does a run end in ${exists}?`,
    variants: { search: { description: "the test as written", correct: true } },
    properties: { exists: `the run ends in ${exists}` },
    defaults: { cpus, maxSteps: 10_000, memory, lockdep: 0 },
    workload: () => fc.constant(0),
    setup() {
      if (test.rcu) rcu_init();
      else shared_state_in_memory_only();
      const x: Record<string, shared_t<any>> = {};
      for (const name of Object.keys(test.locations)) x[name] = DEFINE_SHARED<Word>(name, 0);
      for (const [name, v] of Object.entries(test.locations)) {
        const target = typeof v === "string" ? x[v.slice(1)] : v;
        if (target === undefined) throw new Error(`litmus ${test.name}: ${name} points to ${v}, which is not one of its locations`);
        WRITE_ONCE(x[name]!, target);
      }
      const locks: Record<string, spinlock_t> = {};
      for (const name of test.locks ?? []) locks[name] = DEFINE_SPINLOCK(name);
      const regs: Record<string, Word> = {};
      test.threads.forEach((body, i) => kthread_run(() => body(x, regs, locks), `P${i}`, { cpu: test.cpuOf?.[i] ?? i, pinned: true }));
      return {
        finals: {
          exists: () => {
            const value = (k: string) => (k in regs ? show(regs[k]) : k in x ? show(READ_ONCE(x[k]!)) : undefined);
            const holds = wanted.every((p) => {
              const [k, v] = p.split("=");
              return value(k!) === v;
            });
            return holds ? `the run ends in ${exists}` : undefined;
          },
        },
      };
    },
  });
}
