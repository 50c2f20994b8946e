// The portfolio shares one run budget among fast-check and the online
// strategies, in slices; whatever finds the failure is named in the file.
import { describe, expect, it } from "vitest";
import { hunt, search } from "../src/harness/hunt.ts";
import { PORTFOLIO, portfolioFor } from "../src/harness/portfolio.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";

const spinlock = findModel("spinlock")!;
const mempool = findModel("mempool")!;

describe("the portfolio", () => {
  it.each([
    ["spinlock", "no-preempt-disable"],
    ["rcu", "timer-after-barrier"],
    ["mempool", "preempt-lock"],
  ] as const)("finds %s/%s and says which member found it", (name, variant) => {
    const model = findModel(name)!;
    const r = hunt({ model, variant, config: variantConfig(model, variant), runs: 2000, seed: 1, strategy: "portfolio" });
    const cx = r.counterexample!;
    expect(cx).toBeDefined();
    expect(PORTFOLIO.map((m) => `portfolio/${m.label}`)).toContain(cx.found.strategy);
    expect(r.report!.found).toBe(cx.found.strategy.slice("portfolio/".length));
  });

  it("shares the budget among its members, and passes a correct variant", () => {
    const r = hunt({ model: spinlock, variant: "irqsave", config: variantConfig(spinlock, "irqsave"), runs: 600, seed: 1, strategy: "portfolio" });
    expect(r.counterexample).toBeUndefined();
    const perMember = PORTFOLIO.map((m) => r.report![m.label] as number);
    expect(perMember.reduce((a, b) => a + b, 0)).toBe(600);
    expect(perMember.every((n) => n > 0)).toBe(true);
  });

  it("is deterministic: the same seed keeps the same failure", () => {
    const run = () => hunt({ model: mempool, variant: "preempt-lock", config: variantConfig(mempool, "preempt-lock"), runs: 2000, seed: 3, strategy: "portfolio" }).counterexample!;
    const a = run();
    const b = run();
    expect({ ...b, found: { ...b.found, date: "" } }).toEqual({ ...a, found: { ...a.found, date: "" } });
  });

  it("gives POS the first slice under sc: a bug POS finds in a few runs, the portfolio finds in as few", () => {
    expect(PORTFOLIO[0]!.label).toBe("pos");
    // The hand-rolled lock without preempt_disable: POS alone needs 3 runs (median over the bench's seeds), fast-check 20.5.
    const r = search({ model: spinlock, variant: "no-preempt-disable", config: variantConfig(spinlock, "no-preempt-disable"), runs: 2000, seed: 1, strategy: "portfolio" });
    expect(r.foundBy).toBe("portfolio/pos");
    expect(r.runs).toBeLessThanOrEqual(25);
  });

  it("hunts a reordering first where stores can be reordered: pctwm takes the first slice", () => {
    expect(portfolioFor({ cpus: 2, maxSteps: 100, memory: "sc" })).toEqual(PORTFOLIO);
    for (const memory of ["tso", "pso", "weak"] as const) {
      const members = portfolioFor({ cpus: 2, maxSteps: 100, memory });
      expect(members.map((m) => m.label)).toEqual(["pctwm-3", "pos", "fast-check", "random", "surw", "rff"]);
    }
    // The channel without its write barrier, under weak: found inside pctwm's first slice (the search alone, no shrinking).
    const channel = findModel("channel")!;
    const r = search({ model: channel, variant: "no-wmb", config: variantConfig(channel, "no-wmb", { memory: "weak" }), runs: 2000, seed: 1, strategy: "portfolio" });
    expect(r.found).toBeDefined();
    expect(r.foundBy).toBe("portfolio/pctwm-3");
    expect(r.runs).toBeLessThanOrEqual(25);
  });
});
