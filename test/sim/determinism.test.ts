import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { Run } from "../../src/harness/run.ts";
import { variantConfig } from "../../src/kernel/model.ts";
import mempool from "../../src/models/mempool/index.ts";
import type { ScheduleEvent } from "../../src/sim/index.ts";

const model = mempool;
const workload = {
  objectsPerPage: 2,
  threads: [
    { cpu: 0, ops: ["alloc", "send", "alloc", "free"] },
    { cpu: 1, ops: ["alloc", "complete"] },
    { cpu: 0, ops: ["alloc", "alloc"] },
  ],
  irq: { cpus: [0, 1], count: 2 },
};

/** A random walk over enabled events; returns the events it chose and the trace. */
function walk(variant: string, seed: string) {
  const rng = seedrandom(seed);
  const run = new Run(model, variant, variantConfig(model, variant, { cpus: 2 }), workload, { trace: true });
  const chosen: ScheduleEvent[] = [];
  for (let i = 0; i < 120 && run.failure === undefined; i++) {
    const evs = run.machine.enabledEvents();
    if (evs.length === 0) break;
    const e = evs[Math.floor(rng() * evs.length)]!;
    chosen.push(e);
    run.offer(e);
  }
  run.finish();
  return { chosen, trace: run.machine.trace, failure: run.failure };
}

function replay(variant: string, events: ScheduleEvent[]) {
  const run = new Run(model, variant, variantConfig(model, variant, { cpus: 2 }), workload, { trace: true });
  for (const e of events) run.offer(e);
  run.finish();
  return { trace: run.machine.trace, failure: run.failure };
}

describe("determinism", () => {
  for (const variant of ["mpsc-queue", "delegate-queue", "no-preempt-lock"]) {
    it(`gives the same trace for the same events (${variant})`, () => {
      for (const seed of ["a", "b", "c", "d", "e"]) {
        const first = walk(variant, seed);
        const again = replay(variant, first.chosen);
        expect(again.trace).toEqual(first.trace);
        expect(again.failure).toEqual(first.failure);
        expect(first.trace.length).toBeGreaterThan(20);
      }
    });
  }

  it("gives different traces for different interleavings", () => {
    const traces = new Set(["a", "b", "c", "d", "e"].map((s) => JSON.stringify(walk("mpsc-queue", s).trace)));
    expect(traces.size).toBeGreaterThan(1);
  });
});
