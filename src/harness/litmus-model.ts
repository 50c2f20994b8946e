// A litmus test (src/harness/litmus.ts) as a model, so that the hunt's
// strategies search it as they search any model: its property `exists`
// breaks when a run ends in the outcome the test asks about. Its programs
// share only memory words and spinlocks (each keeps its registers to
// itself), so the model says so and exhaustive search tries one order of
// the steps that touch nothing in common; a test that uses RCU does not
// (RCU keeps state of its own).
import fc from "fast-check";
import { READ_ONCE, shared_state_in_memory_only } from "../kernel/barrier.ts";
import { defineModel } from "../kernel/model.ts";
import type { ModelDefinition } from "../kernel/model.ts";
import type { MemoryModel } from "../sim/memory.ts";
import { show } from "../sim/memory.ts";
import type { LitmusTest } from "./litmus.ts";
import { bootLitmus, litmusCpus } from "./litmus.ts";

/**
 * The model of `test`; `exists` is the outcome asked about, as
 * litmusOutcomes() writes outcomes ("r0=1 r1=0 x=2"): every part of it must
 * hold. Registers not named in it do not count.
 */
export function litmusModel(test: LitmusTest, exists: string, memory: MemoryModel = "sc"): ModelDefinition<number> {
  const wanted = exists.split(/\s+/).filter((p) => p !== "");
  return defineModel<number>({
    name: `litmus-${test.name.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}`,
    description: `litmus test ${test.name}: does a run end in ${exists}?`,
    variants: { search: { description: "the test as written", correct: true } },
    properties: { exists: `the run ends in ${exists}` },
    defaults: { cpus: litmusCpus(test), maxSteps: 10_000, memory, lockdep: 0 },
    workload: () => fc.constant(0),
    setup() {
      if (!test.rcu) shared_state_in_memory_only();
      const { x, regs } = bootLitmus(test);
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
