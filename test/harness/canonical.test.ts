// One order for independent events (src/harness/canonical.ts): schedules
// that differ only in the order of steps touching nothing in common end as
// one schedule, on a model that shares state only in memory.
import { describe, expect, it } from "vitest";
import { canonicalOrder } from "../../src/harness/canonical.ts";
import { reduceCase, shorterSchedule, stillFails } from "../../src/harness/minimize.ts";
import { DEFINE_SHARED, READ_ONCE, WRITE_ONCE, defineModel, fc, kthread_run, shared_state_in_memory_only } from "../../src/index.ts";
import { variantConfig } from "../../src/kernel/model.ts";
import type { ScheduleEvent } from "../../src/sim/index.ts";

/** Store buffering: each CPU stores its own word, then a word nobody reads, then loads the other's; under tso both loads may read 0. */
const sb = defineModel<number>({
  name: "sb",
  description: "store buffering, no barrier",
  variants: {
    "memory-only": { description: "declares that it shares state only in memory", correct: false },
    opaque: { description: "does not say", correct: false },
  },
  properties: { "not-both-zero": "the two loads do not both read 0", "not-both-one": "the two loads do not both read 1" },
  defaults: { cpus: 2, maxSteps: 100, memory: "tso" },
  workload: () => fc.constant(0),
  setup(variant) {
    const words = ["x", "y", "x2", "y2"].map((n) => DEFINE_SHARED(n, 0));
    if (variant === "memory-only") shared_state_in_memory_only();
    const seen: number[] = [];
    const side = (cpu: number) =>
      function* () {
        WRITE_ONCE(words[cpu]!, 1);
        yield "store mine";
        WRITE_ONCE(words[cpu + 2]!, 1);
        yield "store my other word";
        seen.push(READ_ONCE(words[1 - cpu]!));
        yield "load the other's";
      };
    kthread_run(side(0), "P0", { cpu: 0, pinned: true });
    kthread_run(side(1), "P1", { cpu: 1, pinned: true });
    return {
      finals: {
        "not-both-zero": () => (seen.length === 2 && seen[0] === 0 && seen[1] === 0 ? "both loads read 0" : undefined),
        "not-both-one": () => (seen.length === 2 && seen[0] === 1 && seen[1] === 1 ? "both loads read 1" : undefined),
      },
    };
  },
});

const step = (cpu: number): ScheduleEvent => ({ kind: "step", cpu });
const target = (variant: string) => ({ model: sb, variant, config: variantConfig(sb, variant), workload: 0, property: "not-both-zero" });
// Both CPUs' stores sit in their buffers while both loads read memory: cpu0 first, or cpu1 first.
const cpu0First = [step(0), step(0), step(1), step(1), step(0), step(1)];
const cpu1First = [step(1), step(1), step(0), step(0), step(1), step(0)];

describe("canonical order", () => {
  it("puts independent events in the order of their names, each after what it depends on", () => {
    const t = target("memory-only");
    for (const s of [cpu0First, cpu1First]) expect(stillFails(t, s)).toBeDefined();
    // cpu0's steps come first where they can; its load of y waits for cpu1's store to y, cpu1's load of x comes last.
    const canonical = [step(0), step(0), step(1), step(0), step(1), step(1)];
    expect(canonicalOrder(t, cpu1First)).toEqual(canonical);
    expect(canonicalOrder(t, cpu0First)).toEqual(canonical);
    expect(stillFails(t, canonical)).toEqual(canonical);
  });

  it("leaves the schedule as it is where the model did not say it shares state only in memory", () => {
    expect(canonicalOrder(target("opaque"), cpu1First)).toEqual(cpu1First);
  });

  it("makes two orders of the same interleaving one counterexample (a case reduced itself)", () => {
    // Both loads read 1: each CPU's store has reached memory before either CPU loads; cpu0's half first, or cpu1's.
    const t = { ...target("memory-only"), property: "not-both-one" };
    const flush = (cpu: number): ScheduleEvent => ({ kind: "env", source: "memory", arg: `cpu${cpu}` });
    const a = [step(0), flush(0), step(1), flush(1)];
    const b = [step(1), flush(1), step(0), flush(0)];
    for (const s of [a, b]) expect(stillFails(t, s)).toEqual(s);
    const fromA = reduceCase(t, a);
    expect(fromA.schedule.length).toBeGreaterThan(0);
    expect(reduceCase(t, b)).toEqual(fromA);
  });

  it("the search for a shorter schedule tries events in the order of their names, not of the schedule's", () => {
    // On a model the machine cannot see into, two orders of the same events, each with one event too many.
    const t = { ...target("opaque"), property: "not-both-one" };
    const flush = (cpu: number): ScheduleEvent => ({ kind: "env", source: "memory", arg: `cpu${cpu}` });
    const a = [step(0), flush(0), step(1), flush(1), step(0)];
    const b = [step(1), flush(1), step(0), flush(0), step(1)];
    for (const s of [a, b]) expect(stillFails(t, s)).toBeDefined();
    const fromA = shorterSchedule(t, a);
    expect(fromA).toBeDefined();
    expect(fromA!.length).toBeLessThan(5);
    expect(shorterSchedule(t, b)).toEqual(fromA);
  });
});
