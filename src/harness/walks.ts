// Seeded random walks for the minimizer: runs on a target's workload, each
// scheduled by one of a few sources in turn, looking for any run that breaks
// the target's property. The stream of walks is seeded from the workload and
// the property alone, never from the case being reduced: two reductions that
// reach the same workload walk the same way there, and so end alike.
import seedrandom from "seedrandom";
import type { ScheduleEvent } from "../sim/events.ts";
import { pct } from "../strategies/pct.ts";
import { pctwm } from "../strategies/pctwm.ts";
import { pos } from "../strategies/pos.ts";
import type { Scheduler } from "../strategies/scheduler.ts";
import type { Target } from "./minimize.ts";
import { Run } from "./run.ts";

/** A stream of walks on one workload: how many it may still make, its random numbers and its schedulers. */
export interface Walks {
  left: number;
  readonly rng: () => number;
  /** PCT (a context starved for a long stretch), PCT for weak memory (stores held back or flushed early) and POS (racing events reordered). */
  readonly schedulers: readonly Scheduler[];
  /** Walks made so far: which source schedules the next one. */
  made: number;
}

/** Walks on `t`'s workload, at most `budget` of them, the same ones for the same workload and property. */
export function walksOn(t: Target, budget: number): Walks {
  const rng = seedrandom(`walks:${t.property}:${JSON.stringify(t.workload)}`);
  const options = (seed: number) => ({ seed, depth: 3, bound: 0, workloads: 0, shard: { index: 0, count: 1 } });
  const schedulers = [pct, pctwm, pos].map((s) => s.create(options(Math.floor(rng() * 2 ** 31))));
  return { left: budget, rng, schedulers, made: 0 };
}

/**
 * One walk of at most `cap` events (the default drain finishing the run):
 * the events it applied if the run broke the property, else undefined. One
 * walk in two keeps to the default policy with odds of its own (a thread run
 * far and then interrupted is as likely as a busy interleaving); the others
 * take the schedulers in turn.
 */
export function walkOnce(t: Target, walks: Walks, cap: number): ScheduleEvent[] | undefined {
  walks.left--;
  const i = walks.made++;
  const scheduler = i % 2 === 1 ? walks.schedulers[((i - 1) / 2) % walks.schedulers.length] : undefined;
  const run = new Run(t.model, t.variant, t.config, structuredClone(t.workload), { focus: t.property });
  const scheduled = scheduler?.newRun() !== undefined ? scheduler : undefined;
  const keep = walks.rng();
  for (let k = 0; k < cap && run.failure === undefined; k++) {
    const m = run.machine;
    let e: ScheduleEvent | undefined;
    let known = false;
    // The default policy's move, when kept, needs no list: it is always an enabled event (and none is enabled when there is none).
    const byDefault = scheduled === undefined ? m.defaultNext() : undefined;
    if (byDefault !== undefined && walks.rng() < keep) {
      e = byDefault;
      known = e.kind === "step"; // as when it was found in the list: a CPU's step event is one shared object
    } else {
      const enabled = m.enabledEvents();
      if (enabled.length === 0) break;
      e = scheduled !== undefined ? scheduled.next(enabled, m) : enabled[Math.floor(walks.rng() * enabled.length)];
      known = e !== undefined && enabled.includes(e);
    }
    if (e === undefined) break;
    run.offer(e, known);
  }
  const failed = run.finish()?.property === t.property;
  scheduled?.endRun?.(failed);
  return failed ? run.applied : undefined;
}

/** The first of the walks left (of at most `cap` events each) that breaks the property, if one does. */
export function walkToFailure(t: Target, walks: Walks, cap: number): ScheduleEvent[] | undefined {
  while (walks.left > 0) {
    const found = walkOnce(t, walks, cap);
    if (found !== undefined) return found;
  }
  return undefined;
}
