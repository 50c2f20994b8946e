// The bench's summaries of its bug rows: per strategy, how it stands against
// the best single strategy of each bug; per bug, how far apart the lengths
// of the counterexamples saved by different strategies are.

export interface BugFigures {
  model: string;
  variant: string;
  settings: string;
  strategy: string;
  found: number;
  seeds: number;
  runs: { median: number };
  events?: { min: number; max: number };
}

export interface StrategyStanding {
  strategy: string;
  rows: number;
  foundOnEverySeed: number;
  best: number;
  within2x: number;
  /** Geometric mean over the rows of its median runs to failure over the best single strategy's. */
  geomean: number;
}

export interface LengthSpread {
  bug: string;
  shortest: number;
  longest: number;
  /** fast-check's longest, where it saved one. */
  fastCheckLongest?: number;
}

const bugKey = (r: BugFigures) => `${r.model}/${r.variant}${r.settings ? ` ${r.settings}` : ""}`;

function byBug(rows: readonly BugFigures[]): Map<string, BugFigures[]> {
  const out = new Map<string, BugFigures[]>();
  for (const r of rows) out.set(bugKey(r), [...(out.get(bugKey(r)) ?? []), r]);
  return out;
}

/**
 * Each strategy against the best single strategy of each bug (the portfolio
 * is not a single strategy, so it never sets the best): these rows' own, or
 * `reference`'s (a run on other seeds). A bug where every single strategy's
 * median is past the budget (each missed on most seeds) is left out: in the
 * bench, those are the bugs the memory mode forbids. No single strategy
 * hunted, no standings.
 */
export function standings(rows: readonly BugFigures[], strategies: readonly string[], budget: number, reference?: ReadonlyMap<string, Best>): StrategyStanding[] {
  const acc = new Map(strategies.map((s) => [s, { strategy: s, rows: 0, foundOnEverySeed: 0, best: 0, within2x: 0, logSum: 0 }]));
  const bests = reference ?? bestSingles(rows);
  for (const [key, bug] of byBug(rows)) {
    const best = bests.get(key)?.median ?? Infinity;
    if (best === Infinity) continue;
    for (const r of bug) {
      const a = acc.get(r.strategy);
      if (a === undefined) continue;
      a.rows++;
      if (r.found === r.seeds) a.foundOnEverySeed++;
      if (r.runs.median <= best) a.best++;
      if (r.runs.median <= 2 * best) a.within2x++;
      // A median past the budget counts as twice the budget (the figure is a lower bound then).
      a.logSum += Math.log(Math.max(1, Math.min(r.runs.median, 2 * budget)) / Math.max(1, best));
    }
  }
  return [...acc.values()].filter((a) => a.rows > 0).map(({ logSum, ...a }) => ({ ...a, geomean: Math.exp(logSum / a.rows) }));
}

/** A bug's best single strategy: the first of those with the lowest median. */
export interface Best {
  strategy: string;
  median: number;
}

/** Per bug, its best single strategy (the portfolio is not one). */
export function bestSingles(rows: readonly BugFigures[]): Map<string, Best> {
  const out = new Map<string, Best>();
  for (const [key, bug] of byBug(rows)) {
    let best: Best = { strategy: "", median: Infinity };
    for (const r of bug) if (r.strategy !== "portfolio" && r.runs.median < best.median) best = { strategy: r.strategy, median: r.runs.median };
    out.set(key, best);
  }
  return out;
}

/**
 * What a portfolio that knew each bug's best single strategy in `reference`
 * (a run on other seeds), and ran only it, does on these rows' seeds: on how
 * many bugs that strategy's median is within twice the reference's best.
 * The best of several medians over a few seeds is lower than what the same
 * strategy gives on other seeds, so this is the most any portfolio can
 * expect of a comparison with the best single strategy.
 */
export function knownBest(rows: readonly BugFigures[], reference: ReadonlyMap<string, Best>): { rows: number; within2x: number } {
  let n = 0;
  let within = 0;
  for (const [key, bug] of byBug(rows)) {
    const best = reference.get(key);
    if (best === undefined || best.median === Infinity) continue;
    const here = bug.find((r) => r.strategy === best.strategy);
    if (here === undefined) continue;
    n++;
    if (here.runs.median <= 2 * best.median) within++;
  }
  return { rows: n, within2x: within };
}

/** Per bug, the shortest and longest counterexample any strategy saved, and fast-check's longest. */
export function lengthSpreads(rows: readonly BugFigures[]): LengthSpread[] {
  const out: LengthSpread[] = [];
  for (const [bug, rs] of byBug(rows)) {
    const saved = rs.filter((r) => r.events !== undefined);
    if (saved.length === 0) continue;
    const fc = rs.find((r) => r.strategy === "fast-check")?.events;
    out.push({ bug, shortest: Math.min(...saved.map((r) => r.events!.min)), longest: Math.max(...saved.map((r) => r.events!.max)), fastCheckLongest: fc?.max });
  }
  return out;
}
