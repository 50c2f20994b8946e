// Hunting with a schedule source that decides step by step (random walk,
// PCT, exhaustive search): the harness makes the runs, the scheduler chooses
// each event among those enabled.
import fc from "fast-check";
import type { Arbitrary } from "fast-check";
import type { AnyModel, MachineConfig } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import type { Scheduler } from "../strategies/index.ts";
import type { HuntOptions } from "./hunt.ts";
import { Run } from "./run.ts";

/** The workloads of a hunt, the same for every strategy and seed: sampled in blocks, on demand. */
export class Workloads {
  private readonly blocks = new Map<number, unknown[]>();
  constructor(
    private readonly arb: Arbitrary<unknown>,
    private readonly seed: number,
  ) {}
  /** The first index whose workload equals workload i (i itself when none before it does). */
  firstSame(i: number): number {
    for (; this.keyed <= i; this.keyed++) {
      const key = JSON.stringify(this.at(this.keyed));
      if (!this.first.has(key)) this.first.set(key, this.keyed);
    }
    return this.first.get(JSON.stringify(this.at(i)))!;
  }
  private readonly first = new Map<string, number>();
  private keyed = 0;

  at(i: number): unknown {
    const b = Math.floor(i / 256);
    let block = this.blocks.get(b);
    if (block === undefined) this.blocks.set(b, (block = fc.sample(this.arb, { seed: this.seed + b * 7919, numRuns: 256 })));
    return block[i % 256];
  }
}

export interface OnlineResult {
  runs: number;
  actions: number;
  msToFailure?: number;
  found?: { workload: unknown; schedule: ScheduleEvent[]; property: string };
  /** The scheduler had nothing left to try before the run budget ran out. */
  exhausted: boolean;
  report: Record<string, number | string | boolean>;
  /** With `property`: runs another property ended first (one the run cannot go on after). */
  endedEarly?: Record<string, number>;
  /** Runs whose schedule reached the event cap with events still to choose (the default drain finished them), and the cap. */
  capped: { runs: number; cap: number };
}

/**
 * How many events a strategy schedules in a run before the default drain
 * finishes it, unless --event-cap says: four times the model's command
 * budget, and no more than half its step bound.
 */
export function defaultEventCap(model: AnyModel, config: MachineConfig): number {
  return Math.min(4 * (model.maxEvents ?? 100), Math.floor(config.maxSteps / 2));
}

export function searchOnline(
  o: Pick<HuntOptions, "model" | "variant" | "config" | "runs" | "seed" | "property" | "onProgress" | "onRun" | "runLimit" | "eventCap"> & {
    /** Called with each run, when it has ended. */
    onEnd?: (run: Run) => void;
    /** Gather each run's reads-from pairs (run.coverage). */
    coverage?: boolean;
  },
  scheduler: Scheduler,
  workloads: Workloads = new Workloads(o.model.workload(o.config), o.seed),
): OnlineResult {
  const started = performance.now();
  const limit = o.eventCap ?? defaultEventCap(o.model, o.config);
  let actions = 0;
  // Runs whose schedule reached the cap with events still to choose: the drain finished them.
  let capped = 0;
  const endedEarly: Record<string, number> = {};
  /** The search so far, after `runs` runs. */
  const result = (runs: number, exhausted: boolean): OnlineResult => ({ runs, actions, exhausted, report: scheduler.report?.() ?? {}, endedEarly, capped: { runs: capped, cap: limit } });
  for (let r = 0; r < o.runs; r++) {
    // A parallel hunt's other worker found a failure at this run: none found later can win.
    if (o.runLimit !== undefined && r >= o.runLimit()) return result(r, false);
    const choice = scheduler.newRun();
    if (choice === undefined) return result(r, true);
    const workload = structuredClone(workloads.at(choice.workload)); // a model may not change what the next run gets
    const run = new Run(o.model, o.variant, o.config, workload, { focus: o.property, coverage: o.coverage });
    // A scheduler may starve a context for ever (two migrations back and forth);
    // past this many events the default drain finishes the run instead.
    let k = 0;
    for (; k < limit && run.failure === undefined; k++) {
      const m = run.machine;
      const enabled = m.enabledEvents();
      const e = scheduler.next(enabled, m);
      if (e === undefined) break;
      // One of the events just listed is known to be enabled (a scheduler may also make one up, from a schedule it keeps).
      run.offer(e, enabled.includes(e));
    }
    if (k === limit && run.failure === undefined && run.machine.defaultNext() !== undefined) capped++;
    const f = run.finish();
    o.onEnd?.(run);
    actions += run.machine.steps;
    o.onRun?.(r + 1, actions);
    scheduler.endRun?.(f !== undefined);
    if (o.onProgress && (r + 1) % 250 === 0) o.onProgress(r + 1);
    if (f !== undefined && o.property !== undefined && f.property !== o.property) endedEarly[f.property] = (endedEarly[f.property] ?? 0) + 1;
    if (f !== undefined && (o.property === undefined || f.property === o.property)) {
      return { ...result(r + 1, false), msToFailure: performance.now() - started, found: { workload, schedule: run.applied, property: f.property } };
    }
  }
  return result(o.runs, false);
}
