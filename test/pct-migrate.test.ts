// PCT moves threads between CPUs as the machine allows: a thread that drops
// at a change point is moved off its CPU, so a bug that needs a migration in
// the middle of an operation (a CPU number used after the thread moved) is
// within its reach.
import { describe, expect, it } from "vitest";
import { defineModel, fc, hunt, kthread_run, smp_processor_id, variantConfig } from "../src/index.ts";
import type { Gen } from "../src/index.ts";

const staleCpu = defineModel<number>({
  name: "stale_cpu",
  description: "a thread reads its CPU number with preemption on, then uses it",
  variants: { preemptible: { description: "nothing keeps it on that CPU", correct: false } },
  properties: { "same-cpu": "the CPU number a thread uses is the CPU it runs on" },
  defaults: { cpus: 2, maxSteps: 300 },
  workload: () => fc.constant(0),
  setup() {
    let stale: string | undefined;
    for (const cpu of [0, 1]) {
      kthread_run(
        function* (): Gen {
          for (let i = 0; i < 3; i++) {
            const me = smp_processor_id();
            yield `read cpu ${me}`;
            yield "work";
            if (smp_processor_id() !== me && stale === undefined) stale = `T${cpu} uses cpu${me}'s data on cpu${smp_processor_id()}`;
            yield `use cpu${me}'s data`;
          }
        },
        `T${cpu}`,
        { cpu },
      );
    }
    return { invariants: { "same-cpu": () => stale } };
  },
});

describe("PCT and migration", () => {
  it("finds a CPU number used after the thread moved to another CPU", () => {
    const config = variantConfig(staleCpu, "preemptible");
    for (const seed of [1, 2, 3]) {
      const cx = hunt({ model: staleCpu, variant: "preemptible", config, runs: 2000, seed, strategy: "pct" }).counterexample;
      expect(cx?.property, `seed ${seed}`).toBe("same-cpu");
      expect(cx!.schedule.some((e) => e.kind === "migrate")).toBe(true);
    }
  });
});
