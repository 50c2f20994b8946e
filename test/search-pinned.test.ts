// Where each strategy's search finds a few bugs, seed 1, pinned. Work on the
// harness's speed must leave every search as it was: the same seed draws the
// same choices, so the bench's figures and the saved counterexamples stay
// true. A change meant to alter a search (a strategy's new rule, a new
// draw) changes these numbers too: update them with it, and measure the
// bench's figures again (docs/performance.md).
import { describe, expect, it } from "vitest";
import { search } from "../src/harness/hunt.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";

/** Runs to the first failure, seed 1, per strategy: mempool/no-preempt-lock, spinlock/no-preempt-disable, channel/no-wmb under weak. */
const PINNED: Record<string, [number, number, number | undefined]> = {
  "fast-check": [32, 26, undefined],
  random: [13, 13, 60],
  pct: [16, 10, 7],
  pctwm: [16, 10, 3],
  pos: [13, 9, 20],
  surw: [13, 9, 15],
  rff: [13, 9, 13],
  exhaustive: [101, 64, undefined],
  portfolio: [37, 4, 15],
};

const BUGS: [string, string, Record<string, string>][] = [
  ["mempool", "no-preempt-lock", {}],
  ["spinlock", "no-preempt-disable", {}],
  ["channel", "no-wmb", { memory: "weak" }],
];

describe("each strategy's search is as it was", () => {
  for (const [strategy, runs] of Object.entries(PINNED)) {
    it(`${strategy} finds each bug at the same run`, () => {
      const found = BUGS.map(([name, variant, settings], i) => {
        if (runs[i] === undefined) return undefined; // too slow for this strategy: not pinned
        const model = findModel(name)!;
        const r = search({ model, variant, config: variantConfig(model, variant, settings), runs: 300, seed: 1, strategy });
        return r.found === undefined ? -1 : r.runs;
      });
      expect(found).toEqual(runs);
    });
  }
});
