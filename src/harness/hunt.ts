// The hunt: fast-check generates workloads and interleavings, runs them,
// shrinks the first failure (keeping its property), and the result is
// reduced to a 1-minimal schedule and packed as a counterexample.
import fc from "fast-check";
import type { MachineConfig, AnyModel } from "../kernel/model.ts";
import type { Counterexample } from "./counterexample.ts";
import { FORMAT } from "./counterexample.ts";
import type { EventCommand, HuntState } from "./events-arb.ts";
import { RunFailed, commandArbitraries } from "./events-arb.ts";
import { minimize } from "./minimize.ts";
import { Run, runSchedule } from "./run.ts";

export interface HuntOptions {
  model: AnyModel;
  variant: string;
  config: MachineConfig;
  runs: number;
  seed: number;
  /** Count only failures of this property; by default the first failure's property is kept. */
  property?: string;
  /** Called every so often with the runs done so far. */
  onProgress?: (runsDone: number) => void;
}

export interface HuntResult {
  /** Runs made up to the first failure (all of them when none failed). */
  runs: number;
  /** Machine actions (scheduled events and drained steps) those runs took. */
  actions: number;
  /** Time to the first failing run, before shrinking. */
  msToFailure?: number;
  elapsedMs: number;
  counterexample?: Counterexample;
  /** Shrinking steps fast-check took. */
  shrinks?: number;
}

/** fast-check's version, recorded in every counterexample's `found`. */
export const FAST_CHECK_VERSION: string = fc.__version;

/** Runs one generated case to the end. */
function execute(opts: HuntOptions, workload: unknown, cmds: Iterable<EventCommand>): Run {
  const state: HuntState = { run: new Run(opts.model, opts.variant, opts.config, workload), staged: undefined };
  try {
    fc.modelRun(() => ({ model: state, real: state }), cmds);
  } catch (err) {
    if (!(err instanceof RunFailed)) throw err;
  }
  state.run.finish();
  return state.run;
}

export function hunt(opts: HuntOptions): HuntResult {
  const started = performance.now();
  // The property being hunted: given, or the first failure's, so that shrinking keeps to it.
  const target: { property?: string; run: number; ms: number } = { property: opts.property, run: 0, ms: 0 };
  let runsDone = 0;
  let actions = 0;
  let found = false;
  const workloadArb = opts.model.workload(opts.config);
  // Environment events are generated only for a model that has an environment (looked for in a few workloads).
  const env = fc.sample(workloadArb, { numRuns: 5, seed: 0 }).some((w) => new Run(opts.model, opts.variant, opts.config, w).machine.envSources.length > 0);
  const arb = fc.tuple(workloadArb, fc.commands(commandArbitraries(opts.config, { env }), { maxCommands: opts.model.maxEvents ?? 100, size: "max" }));
  const property = fc.property(arb, ([workload, cmds]) => {
    if (!found) {
      runsDone++;
      if (opts.onProgress && runsDone % 250 === 0) opts.onProgress(runsDone);
    }
    const run = execute(opts, workload, cmds as Iterable<EventCommand>);
    if (!found) actions += run.machine.steps;
    const f = run.failure;
    if (f === undefined || (target.property !== undefined && f.property !== target.property)) return true;
    if (!found) {
      found = true;
      target.property = f.property;
      target.run = runsDone;
      target.ms = performance.now() - started;
    }
    return false;
  });
  const details = fc.check(property, { numRuns: opts.runs, seed: opts.seed });
  if (!details.failed) return { runs: runsDone, actions, elapsedMs: performance.now() - started };
  if (!found || details.counterexample === null) throw details.errorInstance instanceof Error ? details.errorInstance : new Error(String(details.errorInstance));

  const [workload, cmds] = details.counterexample[0];
  const shrunk = execute(opts, workload, cmds as Iterable<EventCommand>);
  const t = { model: opts.model, variant: opts.variant, config: opts.config, workload, property: target.property! };
  const reduced = minimize(workloadArb, t, shrunk.applied);
  const final = runSchedule(opts.model, opts.variant, opts.config, reduced.workload, reduced.schedule).failure!;
  const counterexample: Counterexample = {
    format: FORMAT,
    model: opts.model.name,
    variant: opts.variant,
    property: final.property,
    config: opts.config,
    workload: reduced.workload,
    schedule: reduced.schedule,
    failure: { message: final.message, event: final.event, contexts: final.contexts },
    found: { strategy: "fast-check", seed: opts.seed, runs: target.run, fastCheck: FAST_CHECK_VERSION, date: new Date().toISOString() },
  };
  return { runs: target.run, actions, msToFailure: target.ms, elapsedMs: performance.now() - started, counterexample, shrinks: details.numShrinks };
}
