// The allocator hunted with fixed seeds: every buggy variant is caught (and
// what it breaks is the race the variant stands for), every correct variant
// survives. KRH_RUNS raises the runs for correct variants (20000 for a deep check).
import { runsFromEnv } from "../src/vitest.ts";
import { describe, expect, it } from "vitest";
import type { Counterexample } from "../src/harness/counterexample.ts";
import { hunt } from "../src/harness/hunt.ts";
import { removableEvents } from "../src/harness/minimize.ts";
import { replayCounterexample } from "../src/harness/replay.ts";
import { runSchedule } from "../src/harness/run.ts";
import type { ScheduleEvent } from "../src/sim/index.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";

const model = findModel("mempool")!;
const correctRuns = runsFromEnv(2500);

/** What a fixed-seed hunt finds, hunted once for all the tests that read it. */
const found = new Map<string, Counterexample | undefined>();
function caught(variant: string, cpus: number, runs: number, property?: string): Counterexample | undefined {
  const key = `${variant}/${cpus}/${runs}/${property ?? ""}`;
  if (!found.has(key)) found.set(key, hunt({ model, variant, config: variantConfig(model, variant, { cpus }), runs, seed: 1, property }).counterexample);
  return found.get(key);
}

describe("mempool: buggy variants are caught", () => {
  const cases: { variant: string; cpus: number; property?: string; expect: string[]; runs: number; why: string }[] = [
    { variant: "preempt-lock", cpus: 1, expect: ["conservation", "no-double-alloc", "page-accounting", "oops"], runs: 2000, why: "an interrupt handler allocates while the thread is inside the pool" },
    { variant: "no-preempt-lock", cpus: 1, expect: ["conservation", "no-double-alloc", "page-accounting", "owner-only", "oops"], runs: 2000, why: "two threads interleave inside the pool" },
    { variant: "delegate-queue", cpus: 2, expect: ["no-stranded"], runs: 2000, why: "objects freed to an owner that never frees again stay queued" },
    { variant: "delegate-queue", cpus: 2, property: "conservation", expect: ["conservation"], runs: 3000, why: "a push and the owner's drain interleave on one queue" },
    { variant: "delegate-queue", cpus: 2, property: "owner-only", expect: ["owner-only"], runs: 3000, why: "the drain loop keeps a CPU number across a preemption point" },
  ];
  for (const c of cases) {
    it(`${c.variant}${c.property ? ` (${c.property})` : ""} on ${c.cpus} CPU(s): ${c.why}`, () => {
      const config = variantConfig(model, c.variant, { cpus: c.cpus });
      const cx = caught(c.variant, c.cpus, c.runs, c.property);
      expect(cx, `not caught in ${c.runs} runs`).toBeDefined();
      expect(c.expect).toContain(cx!.property);
      // The saved schedule reproduces it, is 1-minimal, and the correct variants survive it.
      expect(replayCounterexample(cx!, model).every((v) => v.ok)).toBe(true);
      expect(removableEvents({ model, variant: c.variant, config, workload: cx!.workload, property: cx!.property }, cx!.schedule)).toEqual([]);
    });
  }

  it("preempt-lock is caught with 1 CPU, 1 thread and 1 interrupt", () => {
    const cx = caught("preempt-lock", 1, 2000)!;
    const w = cx.workload as { threads: unknown[]; irq: { cpus: number[]; count: number } };
    expect(w.threads).toHaveLength(1);
    expect(w.irq).toEqual({ cpus: [0], count: 1 });
    expect(cx.schedule.filter((e) => e.kind === "irq")).toHaveLength(1);
  });
});

describe("mempool: the interrupt inside free()", () => {
  // Step the thread until it has taken a given step, then interrupt it: the
  // window of the bug the ported virtio drivers hit.
  function interruptAfter(variant: string, label: RegExp) {
    const workload = { objectsPerPage: 3, threads: [{ cpu: 0, ops: ["alloc", "alloc", "free"] }], irq: { cpus: [0], count: 1 } };
    const config = variantConfig(model, variant, { cpus: 1 });
    const plain = runSchedule(model, variant, config, workload, [], { trace: true });
    const k = plain.machine.trace.filter((t) => t.ctx === "T0").findIndex((t) => label.test(t.text));
    expect(k).toBeGreaterThan(0);
    const schedule: ScheduleEvent[] = [...Array.from({ length: k + 1 }, () => ({ kind: "step" as const, cpu: 0 })), { kind: "irq", cpu: 0, line: "virtio" }];
    return runSchedule(model, variant, config, workload, schedule);
  }

  it("preempt-lock: the handler's alloc() between free()'s load and store of nalloc loses its count", () => {
    const f = interruptAfter("preempt-lock", /^load pg0->nalloc \(2\)$/).failure;
    expect(f?.property).toBe("page-accounting");
    expect(f?.message).toBe("pg0->nalloc is 1, but 2 of its objects are allocated");
  });

  it("preempt-lock: the handler's alloc() between free()'s two stores puts an object in two places", () => {
    const f = interruptAfter("preempt-lock", /^pg0\.1->next = pg0->local_free/).failure;
    expect(f?.property).toBe("conservation");
    expect(f?.message).toBe("pg0.2 is in 2 places at once: on pg0->local_free, held by the rx ring of cpu0");
  });

  it("irq-preempt-lock: the interrupt cannot land there, interrupts are off", () => {
    const r = interruptAfter("irq-preempt-lock", /^load pg0->nalloc \(2\)$/);
    expect(r.failure).toBeUndefined();
    expect(r.skipped.map((s) => s.event.kind)).toEqual(["irq"]);
  });
});

describe("mempool: correct variants survive", () => {
  for (const variant of ["irq-preempt-lock", "mpsc-queue"]) {
    for (const cpus of [1, 2, 3]) {
      it(`${variant} on ${cpus} CPU(s), ${correctRuns} runs`, () => {
        const r = hunt({ model, variant, config: variantConfig(model, variant, { cpus }), runs: correctRuns, seed: 42 + cpus });
        expect(r.counterexample?.failure.message).toBeUndefined();
        expect(r.runs).toBe(correctRuns);
      });
    }
  }
});

describe("mempool: the collector's signal threshold", () => {
  it("with OSv's real threshold (256 pushes) objects freed on a foreign CPU wait in the queue after the run", () => {
    const config = variantConfig(model, "mpsc-queue", { cpus: 2, signalThreshold: 256 });
    const cx = hunt({ model, variant: "mpsc-queue", config, runs: 2000, seed: 1 }).counterexample;
    expect(cx?.property).toBe("no-stranded");
  });
});
