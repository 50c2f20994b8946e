// The request-id channel's survivals, hunted with fixed seeds: a barrier a
// variant leaves out matters only in the memory modes that reorder what it
// orders, and the right channel survives in every mode with doorbells lost.
// (The broken channels are in channel.test.ts: two files, so that vitest's
// workers share the model's hunts.)
import { runsFromEnv } from "../src/vitest.ts";
import { describe, expect, it } from "vitest";
import { hunt, search } from "../src/harness/hunt.ts";
import { Run, runSchedule } from "../src/harness/run.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";

const model = findModel("channel")!;
const correctRuns = runsFromEnv(2000);

/**
 * PCT finds a missing barrier within a few dozen runs where the hardware
 * reorders what it orders (no-wmb under pso, no-rmb under weak): finding
 * nothing in this many runs in another mode says the barrier is not needed
 * there. (fast-check's default search needs hundreds of runs for no-wmb and
 * does not find no-rmb at all in thousands.)
 */
const PCT_RUNS = 400;
const pct = (variant: string, memory: string) => search({ model, variant, config: variantConfig(model, variant, { memory }), runs: PCT_RUNS, seed: 5, strategy: "pct" });

describe("channel: the write barrier matters only where stores can pass each other", () => {
  it("no-wmb: PCT finds it under pso within a few dozen runs", () => {
    const r = pct("no-wmb", "pso");
    // It shows as a wrong payload executed, or as a wrong response returned.
    expect(["exact-payload", "matched-response"]).toContain(r.found?.property);
    expect(r.runs).toBeLessThan(50);
  });
  for (const memory of ["sc", "tso"]) {
    it(`no-wmb survives ${PCT_RUNS} runs of PCT under ${memory}`, () => {
      const r = pct("no-wmb", memory);
      expect(r.found?.property).toBeUndefined();
      expect(r.runs).toBe(PCT_RUNS);
    });
  }
});

describe("channel: the read barrier matters only where loads can pass each other", () => {
  it("no-rmb: PCT finds it under weak within a few dozen runs", () => {
    const r = pct("no-rmb", "weak");
    expect(r.found?.property).toBe("exact-payload");
    expect(r.runs).toBeLessThan(50);
  });
  for (const memory of ["sc", "tso", "pso"]) {
    it(`no-rmb survives ${PCT_RUNS} runs of PCT under ${memory}`, () => {
      const r = pct("no-rmb", memory);
      expect(r.found?.property).toBeUndefined();
      expect(r.runs).toBe(PCT_RUNS);
    });
  }
});

describe("channel: the right channel survives", () => {
  for (const memory of ["sc", "tso", "pso", "weak"]) {
    it(`correct under ${memory}, doorbells lost, ${correctRuns} runs`, () => {
      const r = hunt({ model, variant: "correct", config: variantConfig(model, "correct", { memory }), runs: correctRuns, seed: 7 });
      expect(r.counterexample?.failure.message).toBeUndefined();
      expect(r.runs).toBe(correctRuns);
    });
  }

  it("correct rides out a lost doorbell: it rings again after the resend interval and gets its response", () => {
    const workload = { requesters: [{ cpu: 0, calls: [{ reg: 1, value: 5 }] }] };
    const toRing = Array.from({ length: 9 }, () => ({ kind: "step" as const, cpu: 0 }));
    const run = runSchedule(model, "correct", variantConfig(model, "correct"), workload, [...toRing, { kind: "env", source: "doorbell", arg: "lose:ntb-db" }], { trace: true });
    expect(run.failure).toBeUndefined();
    expect(run.skipped).toEqual([]);
    const texts = run.machine.trace.map((e) => e.text);
    const lost = texts.indexOf("doorbell ntb-db is lost");
    const again = texts.indexOf("no response yet: ring the doorbell again (sent)");
    expect(lost).toBeGreaterThan(0);
    expect(again).toBeGreaterThan(lost);
    expect(texts.slice(again)).toContain("resp.id == 1");
    expect(texts.slice(again)).toContain("smp_rmb(), resp.value = 0");
    expect(texts).toContain("time 0 -> 100 us");
  });

  it("correct rides out five doorbells lost in one call, on the slowest register", () => {
    const workload = { requesters: [{ cpu: 0, calls: [{ reg: 3, value: 5 }] }] };
    const run = new Run(model, "correct", variantConfig(model, "correct", { lostIrqs: 5 }), workload, { trace: true });
    for (let i = 0; i < 9; i++) run.offer({ kind: "step", cpu: 0 });
    let lost = 0;
    for (let guard = 0; lost < 5 && guard < 100; guard++) {
      if (run.offer({ kind: "env", source: "doorbell", arg: "lose:ntb-db" })) lost++;
      else if (!run.offer({ kind: "step", cpu: 0 })) run.offer({ kind: "env", source: "clock", arg: run.machine.nextDeadline()! });
    }
    expect(lost).toBe(5);
    expect(run.finish()).toBeUndefined();
    const texts = run.machine.trace.map((e) => e.text);
    expect(texts.filter((t) => t === "doorbell ntb-db is lost")).toHaveLength(5);
    expect(texts).toContain("resp.id == 1");
    expect(texts.some((t) => t.includes("times out"))).toBe(false);
    expect(run.machine.stalls).toBe(0);
  });

  for (const memory of ["sc", "pso"]) {
    it(`correct survives PCT's stalls under ${memory} (PCT catches no-recheck in a few runs)`, () => {
      const r = hunt({ model, variant: "correct", config: variantConfig(model, "correct", { memory }), runs: 800, seed: 4, strategy: "pct" });
      expect(r.counterexample?.failure.message).toBeUndefined();
      expect(r.runs).toBe(800);
    });
  }

  it("correct with three borrower CPUs and up to five doorbells lost, under pso", () => {
    const r = hunt({ model, variant: "correct", config: variantConfig(model, "correct", { cpus: 4, memory: "pso", lostIrqs: 5 }), runs: 2000, seed: 9 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});
