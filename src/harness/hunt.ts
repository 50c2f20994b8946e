// The hunt: a schedule source (fast-check's own generation, or a strategy of
// src/strategies) searches for a failing run; the property it broke is
// reduced to a short, 1-minimal counterexample (minimize.ts: the same one
// whatever found it, where walks on sampled workloads break the property too)
// and packed.
import fc from "fast-check";
import type { AnyModel, MachineConfig } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { findStrategy } from "../strategies/index.ts";
import type { BoundKind } from "../strategies/scheduler.ts";
import type { Counterexample } from "./counterexample.ts";
import { FORMAT } from "./counterexample.ts";
import type { Codes, EventCommand, HuntState } from "./events-arb.ts";
import { CodeTable, CodesArbitrary, RunFailed, commandArbitraries, play } from "./events-arb.ts";
import { checkDeterministic } from "./determinism.ts";
import { minimize } from "./minimize.ts";
import { Workloads, searchOnline } from "./online.ts";
import { searchPortfolio } from "./portfolio.ts";
import { Run, runSchedule } from "./run.ts";
import { tuneGarbageCollector } from "./gc-tuning.ts";

/** Part `index` (from 0) of a hunt split `count` ways: disjoint seed streams, or disjoint workloads for exhaustive search. */
export interface Shard {
  index: number;
  count: number;
}

export interface HuntOptions {
  model: AnyModel;
  variant: string;
  config: MachineConfig;
  runs: number;
  seed: number;
  /** Count only failures of this property; by default the first failure's property is kept. */
  property?: string;
  /** The schedule source: "fast-check" (the default), or a strategy of src/strategies. */
  strategy?: string;
  /** Strategy options: PCT's depth, exhaustive search's bound and workloads. */
  depth?: number;
  bound?: number;
  workloads?: number;
  shard?: Shard;
  /** Called every so often with the runs done so far. */
  onProgress?: (runsDone: number) => void;
  /** Called after every run with the runs and actions so far (parallel hunts count with it). */
  onRun?: (runsDone: number, actions: number) => void;
  /** Called once, when the failure to be kept is first seen, before any shrinking. */
  onFound?: (property: string, runs: number) => void;
  /** Runs past this many are not made (a parallel hunt's other worker found a failure by then); read before every run. */
  runLimit?: () => number;
  /** Events an online strategy schedules in a run before the default drain finishes it (default: defaultEventCap()). */
  eventCap?: number;
  /** Exhaustive: what a schedule's cost counts (default: preemptions). */
  boundKind?: BoundKind;
  /** Gather each run's reads-from pairs (run.coverage), and see each run when it has ended: the portfolio's signal. */
  coverage?: boolean;
  onEnd?: (run: Run) => void;
}

/** A failing run as a search found it. */
export interface Found {
  workload: unknown;
  schedule: ScheduleEvent[];
  property: string;
  /**
   * fast-check's search: its seed and the path to the failing run, from which
   * fast-check shrinks the case, should the case itself be reduced
   * (minimize.ts: only where the property's sampled walks find no failure).
   */
  fastCheck?: { seed: number; path: string };
}

/** What a search found, before it is reduced: enough to pack a counterexample. */
export interface SearchResult {
  /** Runs made up to the failure (all of them when none failed). */
  runs: number;
  /** Machine actions (scheduled events and drained steps) those runs took. */
  actions: number;
  /** Time to the failing run, before any shrinking. */
  msToFailure?: number;
  found?: Found;
  /** An exhaustive search that ran out of schedules: nothing was found within its bound. */
  exhausted?: boolean;
  /** With `property`: runs that ended early on another property (one the run cannot go on after), by property. */
  endedEarly?: Record<string, number>;
  /** Online strategies: runs whose schedule reached the event cap with events still to choose, and the cap. */
  capped?: { runs: number; cap: number };
  /** What the strategy says of its search (PCT's bound, the schedules explored). */
  report?: Record<string, number | string | boolean>;
  /** What found the failure, when the strategy is a portfolio of others ("portfolio/pct-3"). */
  foundBy?: string;
  /** The part of the hunt this search was, when the hunt was split. */
  shard?: Shard;
}

export interface HuntResult extends Omit<SearchResult, "found"> {
  elapsedMs: number;
  counterexample?: Counterexample;
}

/** fast-check's version, recorded in every counterexample's `found`. */
export const FAST_CHECK_VERSION: string = fc.__version;

/** The seed stream of one shard: the hunt's own seed when there is one shard, else a non-negative mix of seed, index and count. */
export function shardSeed(seed: number, shard: Shard | undefined): number {
  if (shard === undefined || shard.count === 1) return seed;
  let h = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1);
  h = Math.imul(h ^ (shard.count + 0x27d4eb2f), 0x85ebca6b);
  h = Math.imul(h ^ (shard.index + 0x165667b1), 0xc2b2ae35);
  return (h ^ (h >>> 15)) >>> 1;
}

/** A shard's name as the command line takes it: "2/4". */
export function shardName(shard: Shard | undefined): string | undefined {
  return shard === undefined || shard.count === 1 ? undefined : `${shard.index + 1}/${shard.count}`;
}

export function hunt(opts: HuntOptions): HuntResult {
  const started = performance.now();
  const r = search(opts);
  const { found, ...rest } = r;
  if (found === undefined) return { ...rest, elapsedMs: performance.now() - started };
  const counterexample = pack({ ...opts, strategy: r.foundBy ?? opts.strategy }, found, r.runs, opts.shard);
  return { ...rest, elapsedMs: performance.now() - started, counterexample };
}

/** Searches, with the strategy asked for, for one failing run (of the property asked for, if any). */
export function search(opts: HuntOptions): SearchResult {
  tuneGarbageCollector();
  const name = opts.strategy ?? "fast-check";
  const shard = opts.shard ?? { index: 0, count: 1 };
  const seed = shardSeed(opts.seed, shard);
  const runs = Math.ceil(opts.runs / shard.count);
  if (name === "fast-check") return { ...searchFastCheck({ ...opts, seed, runs }), shard: opts.shard };
  if (name === "portfolio") {
    const r = searchPortfolio(opts, seed, runs, searchFastCheck);
    if (r.found !== undefined) opts.onFound?.(r.found.property, r.runs);
    return { ...r, shard: opts.shard };
  }
  const def = findStrategy(name);
  if (def === undefined) throw new Error(`unknown strategy '${name}'`);
  // Workloads come from the hunt's seed, not the shard's: exhaustive shards split one list of them.
  const workloads = new Workloads(opts.model.workload(opts.config), name === "exhaustive" ? opts.seed : seed);
  const distinct = (i: number) => workloads.firstSame(i) === i;
  const scheduler = def.create({ seed, depth: opts.depth ?? 3, bound: opts.bound ?? 2, boundKind: opts.boundKind, distinct, workloads: opts.workloads ?? 20, shard });
  const r = searchOnline({ ...opts, runs, seed: name === "exhaustive" ? opts.seed : seed }, scheduler, workloads);
  if (r.found !== undefined) opts.onFound?.(r.found.property, r.runs);
  return { ...r, shard: opts.shard };
}

/**
 * Reduces a failure (minimize.ts: the property's own sampled failures, or
 * this case, as fast-check shrinks it if fast-check found it, where walks
 * break the property nowhere else) and packs it as a
 * counterexample. `found` records the hunt's seed and, for a split hunt, the
 * part that found it: the same seed and shard repeat that search.
 */
export function pack(opts: HuntOptions, found: Found, runs: number, shard?: Shard): Counterexample {
  const { workload, schedule, property, fastCheck } = found;
  const t = { model: opts.model, variant: opts.variant, config: opts.config, workload, property };
  checkDeterministic(opts.model, opts.variant, opts.config, workload, schedule, property);
  const reduced = minimize(t, schedule, fastCheck && (() => shrinkWithFastCheck(opts, property, fastCheck)));
  const final = runSchedule(opts.model, opts.variant, opts.config, reduced.workload, reduced.schedule, { focus: property }).failure!;
  return {
    format: FORMAT,
    model: opts.model.name,
    variant: opts.variant,
    property: final.property,
    config: opts.config,
    workload: reduced.workload,
    schedule: reduced.schedule,
    failure: { message: final.message, event: final.event, contexts: final.contexts },
    found: {
      strategy: opts.strategy ?? "fast-check",
      seed: opts.seed,
      ...(shardName(shard) !== undefined ? { shard: shardName(shard) } : {}),
      runs,
      fastCheck: FAST_CHECK_VERSION,
      date: new Date().toISOString(),
    },
  };
}

/** Runs one generated case to the end: a list of codes, or (when shrinking) fast-check's command list. */
function execute(opts: HuntOptions, workload: unknown, schedule: { table: CodeTable; codes: Codes } | Iterable<EventCommand>): Run {
  const run = new Run(opts.model, opts.variant, opts.config, workload, { focus: opts.property, coverage: opts.coverage });
  if ("codes" in schedule) play(run, schedule.table, schedule.codes);
  else {
    const state: HuntState = { run, staged: undefined };
    try {
      fc.modelRun(() => ({ model: state, real: state }), schedule);
    } catch (err) {
      if (!(err instanceof RunFailed)) throw err;
    }
  }
  run.finish();
  return run;
}

/** Per model, variant and settings: whether it has an environment, and the code table (the portfolio asks at every slice). */
const codeTables = new WeakMap<AnyModel, Map<string, { env: boolean; table: CodeTable }>>();
function codeTableFor(opts: HuntOptions): { env: boolean; table: CodeTable } {
  let byVariant = codeTables.get(opts.model);
  if (byVariant === undefined) codeTables.set(opts.model, (byVariant = new Map()));
  const key = `${opts.variant} ${JSON.stringify(opts.config)}`;
  let t = byVariant.get(key);
  if (t === undefined) {
    // Environment events are generated only for a model that has an environment (looked for in a few workloads).
    const env = fc.sample(opts.model.workload(opts.config), { numRuns: 5, seed: 0 }).some((w) => new Run(opts.model, opts.variant, opts.config, w).machine.envSources.length > 0);
    byVariant.set(key, (t = { env, table: new CodeTable(opts.config, { env }) }));
  }
  return t;
}

/**
 * fast-check generates workloads and interleavings. The search draws cheap
 * code lists; the failing run is kept as it was played, with the path that
 * leads fast-check back to it (shrinkWithFastCheck), for a reduction that
 * needs the case.
 */
function searchFastCheck(opts: HuntOptions): SearchResult {
  const started = performance.now();
  // The property being hunted: given, or the first failure's.
  const target: { property?: string; run: number; ms: number; workload?: unknown; schedule?: ScheduleEvent[] } = { property: opts.property, run: 0, ms: 0 };
  let runsDone = 0;
  let actions = 0;
  const endedEarly: Record<string, number> = {};
  const { table } = codeTableFor(opts);
  /** Whether a finished run passes (for fast-check), with the hunt's bookkeeping. */
  const passes = (run: Run, workload: unknown): boolean => {
    actions += run.machine.steps;
    opts.onRun?.(runsDone, actions);
    const f = run.failure;
    if (f !== undefined && opts.property !== undefined && f.property !== opts.property) endedEarly[f.property] = (endedEarly[f.property] ?? 0) + 1;
    if (f === undefined || (target.property !== undefined && f.property !== target.property)) return true;
    Object.assign(target, { property: f.property, run: runsDone, ms: performance.now() - started, workload, schedule: run.applied });
    opts.onFound?.(f.property, runsDone);
    return false;
  };
  const codesArb = fc.tuple(opts.model.workload(opts.config), new CodesArbitrary(table, opts.model.maxEvents ?? 100));
  const search = fc.property(codesArb, ([workload, codes]) => {
    // Past the limit, fast-check's remaining runs pass without running: nothing found now could win.
    if (opts.runLimit !== undefined && runsDone >= opts.runLimit()) return true;
    runsDone++;
    if (opts.onProgress && runsDone % 250 === 0) opts.onProgress(runsDone);
    const run = execute(opts, workload, { table, codes });
    opts.onEnd?.(run);
    return passes(run, workload);
  });
  const first = fc.check(search, { numRuns: opts.runs, seed: opts.seed, endOnFailure: true });
  if (!first.failed) return { runs: runsDone, actions, endedEarly };
  if (target.schedule === undefined || first.counterexamplePath === null) throw first.errorInstance instanceof Error ? first.errorInstance : new Error(String(first.errorInstance));
  return {
    runs: target.run,
    actions,
    msToFailure: target.ms,
    found: { workload: target.workload, schedule: target.schedule, property: target.property!, fastCheck: { seed: opts.seed, path: first.counterexamplePath } },
  };
}

/**
 * The failing run fast-check's search found (its seed and path), drawn again
 * as fast-check's command lists (the very same commands) and shrunk by
 * fast-check, keeping to `property`.
 */
export function shrinkWithFastCheck(opts: HuntOptions, property: string, at: { seed: number; path: string }): { workload: unknown; schedule: ScheduleEvent[] } {
  const { env } = codeTableFor(opts);
  const maxCommands = opts.model.maxEvents ?? 100;
  const commandsArb = fc.tuple(opts.model.workload(opts.config), fc.commands(commandArbitraries(opts.config, { env }), { maxCommands, size: "max" }));
  const shrinking = { ...opts, coverage: false, onEnd: undefined };
  const fails = (run: Run) => run.failure?.property === property;
  const shrink = fc.property(commandsArb, ([workload, cmds]) => !fails(execute(shrinking, workload, cmds as Iterable<EventCommand>)));
  const details = fc.check(shrink, { numRuns: 1, seed: at.seed, path: at.path });
  if (!details.failed || details.counterexample === null) throw new Error(`fast-check's command lists do not repeat the failing run ${at.path} of seed ${at.seed}`);
  const [workload, cmds] = details.counterexample[0];
  return { workload, schedule: execute(shrinking, workload, cmds as Iterable<EventCommand>).applied };
}
