// The bench's summaries: the best single strategy of each bug, and the
// standings against it, on the run's own seeds or against a run on others.
import { describe, expect, it } from "vitest";
import type { BugFigures } from "../bench/summary.ts";
import { bestSingles, knownBest, standings } from "../bench/summary.ts";

const row = (variant: string, strategy: string, median: number, found = 10): BugFigures => ({
  model: "m",
  variant,
  settings: "",
  strategy,
  found,
  seeds: 10,
  runs: { median },
});

// Seeds 1-10: pos is best on a (tied with random, listed later), rff on b; c is found by nobody.
const first = [row("a", "portfolio", 1), row("a", "pos", 2), row("a", "random", 2), row("a", "rff", 9), row("b", "portfolio", 30), row("b", "pos", 40), row("b", "random", 25), row("b", "rff", 6), row("c", "pos", Infinity, 0), row("c", "rff", Infinity, 0)];
// Seeds 11-20: the same strategies do worse where they were best.
const later = [row("a", "portfolio", 3), row("a", "pos", 5), row("a", "random", 2), row("a", "rff", 9), row("b", "portfolio", 11), row("b", "pos", 40), row("b", "random", 25), row("b", "rff", 12), row("c", "pos", Infinity, 0), row("c", "rff", Infinity, 0)];

describe("the bench's standings", () => {
  it("take the first single strategy with the lowest median as a bug's best, never the portfolio", () => {
    const best = bestSingles(first);
    expect(best.get("m/a")).toEqual({ strategy: "pos", median: 2 });
    expect(best.get("m/b")).toEqual({ strategy: "rff", median: 6 });
    expect(best.get("m/c")?.median).toBe(Infinity);
  });

  it("stand each strategy against the run's own best, or against another run's", () => {
    const own = standings(later, ["portfolio", "rff"], 5000);
    // Here random (2) is best on a and rff (12) on b: the portfolio is within 2x on both.
    expect(own.find((s) => s.strategy === "portfolio")).toMatchObject({ rows: 2, within2x: 2 });
    const against = standings(later, ["portfolio", "rff"], 5000, bestSingles(first));
    // Against seeds 1-10's best (2 and 6): the portfolio's 3 and 11 are within 2x, rff's 9 is not, its 12 just is; c is left out.
    expect(against.find((s) => s.strategy === "portfolio")).toMatchObject({ rows: 2, within2x: 2, best: 0 });
    expect(against.find((s) => s.strategy === "rff")).toMatchObject({ rows: 2, within2x: 1 });
  });

  it("say how the other run's best strategy of each bug does on these seeds", () => {
    // pos: 5 against its 2 there; rff: 12 against its 6 there (exactly twice: within).
    expect(knownBest(later, bestSingles(first))).toEqual({ rows: 2, within2x: 1 });
  });
});
