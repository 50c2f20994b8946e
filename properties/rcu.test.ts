// The RCU module hunted with fixed seeds: each wrong exit path is caught,
// the right one survives, and the original rcu_barrier() fails only under the
// RCU flavor that let a grace period end inside on_each_cpu().
import { runsFromEnv } from "../src/vitest.ts";
import { describe, expect, it } from "vitest";
import type { Counterexample } from "../src/harness/counterexample.ts";
import { hunt } from "../src/harness/hunt.ts";
import { removableEvents } from "../src/harness/minimize.ts";
import { replayCounterexample } from "../src/harness/replay.ts";
import { renderTrace } from "../src/explain/trace-text.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";

const model = findModel("rcu")!;
const correctRuns = runsFromEnv(3000);

/** What the fixed-seed hunt of a buggy variant finds, hunted once for all the tests that read it. */
const found = new Map<string, Counterexample | undefined>();
function caught(variant: string): Counterexample | undefined {
  if (!found.has(variant)) found.set(variant, hunt({ model, variant, config: variantConfig(model, variant), runs: 3000, seed: 3 }).counterexample);
  return found.get(variant);
}

describe("rcu: buggy exit paths are caught", () => {
  const cases: { variant: string; expect: string; why: string }[] = [
    { variant: "no-barrier", expect: "module-unload", why: "a callback runs after the unload" },
    { variant: "synchronize-instead", expect: "module-unload", why: "a grace period has ended, the callbacks have not run" },
    { variant: "timer-after-barrier", expect: "module-unload", why: "the timer posts a callback after the barrier" },
    { variant: "count-from-zero", expect: "rcu-barrier", why: "the barrier returns before a callback queued earlier has run" },
    { variant: "early-free", expect: "use-after-free", why: "a reader still on the element reads freed memory" },
  ];
  for (const c of cases) {
    it(`${c.variant}: ${c.why}`, () => {
      const config = variantConfig(model, c.variant);
      const cx = caught(c.variant);
      expect(cx?.property).toBe(c.expect);
      expect(replayCounterexample(cx!, model).every((v) => v.ok)).toBe(true);
      expect(removableEvents({ model, variant: c.variant, config, workload: cx!.workload, property: cx!.property }, cx!.schedule)).toEqual([]);
    });
  }

  it("count-from-zero: the trace shows the other CPU's barrier callback taking the count to zero before the caller's CPU queued its own", () => {
    const cx = caught("count-from-zero")!;
    const text = renderTrace(cx, model);
    const lines = text.split("\n");
    const zero = lines.findIndex((l) => l.includes("rcu_barrier_callback: count 1 -> 0, complete()"));
    const lateFunc = lines.findLastIndex((l) => l.includes("rcu_barrier_func: count -> 1"));
    expect(zero).toBeGreaterThan(0);
    expect(lateFunc).toBeGreaterThan(zero); // the caller's own CPU counts itself in only afterwards
    expect(lines.findIndex((l) => l.includes("grace period 1 ends"))).toBeLessThan(zero);
  });

  it("count-from-zero survives under today's consolidated RCU, where on_each_cpu()'s preempt_disable() holds the grace period off", () => {
    const r = hunt({ model, variant: "count-from-zero", config: variantConfig(model, "count-from-zero", { rcuFlavor: "consolidated" }), runs: 3000, seed: 3 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});

describe("rcu: the right exit path survives", () => {
  for (const cpus of [2, 4]) {
    it(`barrier-unload on ${cpus} CPUs, ${correctRuns} runs`, () => {
      const r = hunt({ model, variant: "barrier-unload", config: variantConfig(model, "barrier-unload", { cpus }), runs: correctRuns, seed: 11 + cpus });
      expect(r.counterexample?.failure.message).toBeUndefined();
      expect(r.runs).toBe(correctRuns);
    });
  }

  it("barrier-unload under the old preemptible flavor too", () => {
    const r = hunt({ model, variant: "barrier-unload", config: variantConfig(model, "barrier-unload", { rcuFlavor: "rcu_preempt" }), runs: 2000, seed: 5 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});
