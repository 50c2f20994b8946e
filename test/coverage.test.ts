// Communication coverage (src/strategies/coverage.ts): a run's reads-from pairs,
// and whether a run shows a pair or a set of pairs not seen before; the
// portfolio gives slices to the members whose runs do.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Coverage } from "../src/strategies/coverage.ts";
import { hunt } from "../src/harness/hunt.ts";
import { PORTFOLIO } from "../src/harness/portfolio.ts";
import { runSchedule } from "../src/harness/run.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";
import type { ScheduleEvent } from "../src/sim/events.ts";
import { messagePassing } from "./helpers/litmus-models.ts";

const step = (cpu: number): ScheduleEvent => ({ kind: "step", cpu });
const config = { ...variantConfig(messagePassing, "correct"), memory: "sc" as const };
const pairsOf = (schedule: ScheduleEvent[]) => runSchedule(messagePassing, "correct", config, 0, schedule, { coverage: true }).coverage!;

describe("communication coverage", () => {
  it("names the store each load read, by the step that made it", () => {
    // The writer's two stores, then the reader's two loads: flag from the writer's 2nd step, data from its 1st.
    expect([...pairsOf([step(0), step(0), step(1), step(1)]).pairs].sort()).toEqual(["reader:data<-writer@0", "reader:flag<-writer@1"]);
    // The reader first: both from the initial values.
    expect([...pairsOf([step(1), step(1)]).pairs].sort()).toEqual(["reader:data<-init", "reader:flag<-init"]);
  });

  it("calls a run new only when it shows a pair, or a set of pairs, not seen before", () => {
    const seen = new Coverage();
    const writerFirst = [step(0), step(0), step(1), step(1)];
    expect(seen.novel(pairsOf(writerFirst))).toBe(true);
    expect(seen.novel(pairsOf(writerFirst))).toBe(false);
    // The flag read from its initial value is a new pair; the same pairs again by another interleaving (the
    // writer's flag store after the reader's second load rather than between its loads) are nothing new.
    const alternating = [step(0), step(1), step(0), step(1)];
    const readerInside = [step(0), step(1), step(1), step(0)];
    expect(pairsOf(readerInside).pairs).toEqual(pairsOf(alternating).pairs);
    expect(seen.novel(pairsOf(alternating))).toBe(true);
    expect(seen.novel(pairsOf(readerInside))).toBe(false);
    expect(seen.novel(pairsOf([step(1), step(1)]))).toBe(true);
  });

  it("is gathered only when asked", () => {
    expect(runSchedule(messagePassing, "correct", config, 0, [step(0)]).coverage).toBeUndefined();
  });
});

describe("the portfolio's slices", () => {
  const share = (model: string, variant: string) => {
    const m = findModel(model)!;
    const r = hunt({ model: m, variant, config: variantConfig(m, variant), runs: 1500, seed: 1, strategy: "portfolio" });
    expect(r.counterexample).toBeUndefined();
    return Object.fromEntries(PORTFOLIO.map((x) => [x.label, r.report![x.label] as number]));
  };

  it("go more often to the members whose runs show new communication", () => {
    // The page pool's lock handoffs: reads-from guided search keeps finding new orders of them.
    const runs = share("netback-pool", "reclaim-checked");
    expect(runs.rff).toBeGreaterThan(1.5 * runs["fast-check"]!);
    expect(runs.rff).toBeGreaterThan(runs["pct-3"]!);
  });

  it("go round evenly where no run shows anything new", () => {
    // The allocator's state is plain fields the machine cannot see into, and it takes no spinlock: its runs show no pairs.
    const m = findModel("mempool")!;
    const config = variantConfig(m, "irq-preempt-lock");
    const workload = fc.sample(m.workload(config), { numRuns: 1, seed: 1 })[0];
    const run = runSchedule(m, "irq-preempt-lock", config, workload, [], { coverage: true });
    expect(run.machine.steps).toBeGreaterThan(10);
    expect(run.coverage!.pairs.size).toBe(0);
    // 1,500 runs among six members: 250 each, give or take the one slice of 25 that the order of the turns decides.
    const runs = share("mempool", "irq-preempt-lock");
    for (const n of Object.values(runs)) expect(Math.abs(n - 250)).toBeLessThanOrEqual(25);
  });
});
