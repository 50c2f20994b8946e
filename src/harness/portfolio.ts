// The portfolio: one run budget shared among strategies, in slices, as
// Shuttle's and Coyote's portfolios share theirs, so that no one strategy's
// blind spot is the hunt's. POS, fast-check and each other online strategy
// (a random walk, PCT at depth 3 (pctwm where stores can be reordered),
// SURW, reads-from guided search) take slices in turn; an online
// strategy keeps what it learnt from slice to slice (its scheduler lives on).
// A member whose runs show communication no run showed before (a new
// reads-from pair or class, coverage.ts) is given slices more often than
// one whose runs repeat what is known; on a model the machine cannot see
// into (no memory words, no spinlocks) every member is new as rarely and
// the slices go round evenly. Whatever finds the failure is named in the
// counterexample ("portfolio/pct-3").
import type { HuntOptions, SearchResult } from "./hunt.ts";
import type { MachineConfig } from "../kernel/model.ts";
import type { Scheduler } from "../strategies/index.ts";
import { findStrategy } from "../strategies/index.ts";
import { Coverage } from "../strategies/coverage.ts";
import type { Run } from "./run.ts";
import { Workloads, searchOnline } from "./online.ts";

/** Runs a member is given at a time. */
const SLICE = 25;

interface Member {
  readonly label: string;
  readonly strategy: string;
  readonly depth?: number;
  /** Its scheduler, kept across its slices (an online strategy's). */
  scheduler?: Scheduler;
  workloads?: Workloads;
  /** The share of its runs that were new in its last slices (decayed). */
  novelty: number;
  /** Credit for the next slice (deficit round robin over the weights). */
  credit: number;
  runs: number;
}

/**
 * The members, in a fixed order. The first takes the first slice, and a
 * bug found within a few runs by the first member is found within a few
 * runs by the portfolio: POS, the best of the strategies alone over the
 * bench's bugs, goes first. With fast-check first, the portfolio's median
 * over the bench's 62 bugs was 1.97 times the best single strategy's
 * (geometric mean; 1.87 and 1.89 on two other sets of 20 seeds); with POS
 * first, 1.77 (1.62 and 1.75). The order of the others moves little.
 */
export const PORTFOLIO: readonly { label: string; strategy: string; depth?: number }[] = [
  { label: "pos", strategy: "pos" },
  { label: "fast-check", strategy: "fast-check" },
  { label: "random", strategy: "random" },
  { label: "pct-3", strategy: "pct", depth: 3 },
  { label: "surw", strategy: "surw" },
  { label: "rff", strategy: "rff" },
];

/**
 * The members for a machine: where stores can be reordered (any memory mode
 * but sc), PCT at depth 3 is pctwm, which makes the same thread schedules and
 * spends its change points on reorderings too, and it takes the first slice:
 * a hunt in such a mode is a hunt for a reordering. On the bench's rows in
 * those modes this took the portfolio from 33 to 36 rows of 60 within twice
 * the best single strategy (channel/no-wmb under weak: 42 runs to 4). Under
 * sc the two are the same, and the order is PORTFOLIO's.
 */
export function portfolioFor(config: MachineConfig): readonly { label: string; strategy: string; depth?: number }[] {
  if (config.memory === undefined || config.memory === "sc") return PORTFOLIO;
  return [{ label: "pctwm-3", strategy: "pctwm", depth: 3 }, ...PORTFOLIO.filter((m) => m.label !== "pct-3")];
}

/**
 * A member's share of the slices: the square of its novelty, so that one
 * whose runs are new twice as often gets four times the slices. With the
 * novelty itself as the weight, the reads-from guided member took a quarter
 * of the runs on the page pool's `count-before-mark` (the best alone there,
 * 440.5 runs, median) and the portfolio missed it on 1 seed of 50 (median
 * 1,159.5); squared, a third, and 0 of 50 (979.5). Over the bench's other
 * bugs the two give the same medians.
 */
const weight = (m: Member) => m.novelty * m.novelty;

/** A small mix of the hunt's seed and a number, for each member's and each slice's own stream. */
const mix = (seed: number, k: number) => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(k + 1, 0xc2b2ae35)) >>> 1;

/**
 * Searches with the portfolio: `searchFastCheck` is fast-check's own search
 * (hunt.ts passes it in). The seed and run budget are this search's own (a
 * shard's, when the hunt is split).
 */
export function searchPortfolio(opts: HuntOptions, seed: number, runs: number, searchFastCheck: (o: HuntOptions) => SearchResult): SearchResult {
  const started = performance.now();
  const members: Member[] = portfolioFor(opts.config).map((m) => ({ ...m, novelty: 1, credit: 0, runs: 0 }));
  const coverage = new Coverage();
  let done = 0;
  let actions = 0;
  const endedEarly: Record<string, number> = {};
  for (let slice = 0; done < runs; slice++) {
    // The member with the most credit takes the slice; every member earns its weight each time.
    for (const m of members) m.credit += weight(m);
    const m = members.reduce((a, b) => (b.credit > a.credit ? b : a));
    m.credit -= members.reduce((sum, x) => sum + weight(x), 0);
    const n = Math.min(SLICE, runs - done);
    const base = done;
    const baseActions = actions;
    const sub: HuntOptions = {
      ...opts,
      runs: n,
      seed: mix(seed, slice),
      onRun: (r, a) => opts.onRun?.(base + r, baseActions + a),
      onProgress: undefined,
      onFound: undefined, // said once, by search(), with the portfolio's run count
      runLimit: opts.runLimit && (() => opts.runLimit!() - base),
    };
    let r: SearchResult;
    let fresh = 0;
    // A run is new when it shows a reads-from pair or class no member's run showed before.
    const onEnd = (run: Run) => {
      if (run.coverage !== undefined && coverage.novel(run.coverage)) fresh++;
    };
    if (m.strategy === "fast-check") {
      r = searchFastCheck({ ...sub, coverage: true, onEnd });
    } else {
      m.workloads ??= new Workloads(opts.model.workload(opts.config), mix(seed, 1000 + members.indexOf(m)));
      m.scheduler ??= findStrategy(m.strategy)!.create({ seed: mix(seed, 2000 + members.indexOf(m)), depth: m.depth ?? 3, bound: 2, workloads: 20, shard: { index: 0, count: 1 } });
      r = searchOnline(
        { ...sub, coverage: true, onEnd },
        m.scheduler,
        m.workloads,
      );
    }
    m.runs += r.runs;
    m.novelty = 0.5 * m.novelty + 0.5 * Math.max(0.05, fresh / n);
    done += r.runs;
    actions += r.actions;
    for (const [q, k] of Object.entries(r.endedEarly ?? {})) endedEarly[q] = (endedEarly[q] ?? 0) + k;
    if (r.found !== undefined) return { runs: done, actions, msToFailure: performance.now() - started, found: r.found, endedEarly, report: report(members, m.label), foundBy: `portfolio/${m.label}` };
    if (r.runs < n) break; // a parallel hunt's run limit reached
  }
  return { runs: done, actions, endedEarly, report: report(members) };
}

/** Runs per member, and which found the failure. */
function report(members: readonly Member[], found?: string): Record<string, number | string> {
  return { ...Object.fromEntries(members.map((x) => [x.label, x.runs])), ...(found === undefined ? {} : { found }) };
}
