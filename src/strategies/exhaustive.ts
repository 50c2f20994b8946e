// Iterative bounded search, as CHESS's iterative context bounding: every
// schedule of cost 0 (the default policy), then every schedule of cost 1,
// then 2, ... up to --bound K, each level tried in full before the next, on
// each distinct workload. What a choice costs is the bound's kind:
// `preemption` (CHESS's preemption bounding: putting aside a context that
// could go on costs 1, choosing when none could is free), `delay` (Emmi,
// Qadeer and Rakamaric's delay bounding: skipping the default's next choice
// i times costs i, the enabled events taken in the machine's fixed order
// from the default's), or `deviation` (any choice other than the default's
// costs 1). A level it ran out of is a result: no failure within that cost.
import type { ScheduleEvent } from "../sim/events.ts";
import type { BoundKind, Scheduler, StrategyDef } from "./scheduler.ts";
import { sameEvent } from "./scheduler.ts";

/** The choices of one schedule: at step `at`, take `event` instead of the default; and what they cost in all. */
interface Plan {
  readonly choices: readonly { at: number; event: ScheduleEvent }[];
  readonly cost: number;
}

/** What taking `e` instead of the default costs, for each kind of bound. */
function costOf(kind: BoundKind, e: ScheduleEvent, enabled: readonly ScheduleEvent[], byDefault: ScheduleEvent | undefined): number {
  switch (kind) {
    case "deviation":
      return 1;
    case "preemption":
      // Only a context that could have gone on is preempted; when the default is no step, choosing is free.
      return byDefault?.kind === "step" ? 1 : 0;
    case "delay": {
      const from = enabled.findIndex((x) => sameEvent(x, byDefault));
      const at = enabled.indexOf(e);
      return from < 0 ? at + 1 : (at - from + enabled.length) % enabled.length;
    }
  }
}

export const exhaustive: StrategyDef = {
  name: "exhaustive",
  description: "every schedule of cost 0, then 1, ... up to --bound K (--bound-kind preemption, delay or deviation), over the distinct workloads of --workloads W",
  options: ["bound", "workloads"],
  create({ bound, workloads, shard, boundKind = "preemption", distinct = () => true }): Scheduler {
    // A shard searches workloads index, index + count, ...; one equal to an earlier workload is not searched again.
    const mine: number[] = [];
    for (let w = shard.index; w < workloads; w += shard.count) if (distinct(w)) mine.push(w);
    /** Per workload, the plans waiting, by cost: level L is tried on every workload before level L + 1 on any. */
    const waiting: Plan[][][] = mine.map(() => Array.from({ length: bound + 1 }, () => []));
    for (const w of waiting) w[0]!.push({ choices: [], cost: 0 });
    let level = 0;
    let current = 0;
    let plan: Plan = { choices: [], cost: 0 };
    let step = 0;
    let schedules = 0;
    let complete = false;
    return {
      newRun() {
        for (;;) {
          if (level > bound || mine.length === 0) {
            complete = true;
            return undefined;
          }
          const q = waiting[current]![level]!;
          if (q.length > 0) {
            plan = q.pop()!;
            step = 0;
            schedules++;
            return { workload: mine[current]! };
          }
          if (++current === mine.length) {
            current = 0;
            level++;
          }
        }
      },
      next(enabled, byDefault) {
        const at = step++;
        const planned = plan.choices.find((d) => d.at === at);
        if (planned !== undefined) return planned.event;
        // Past the last choice, every other event here starts a schedule of a higher (or, when free, the same) cost.
        const last = plan.choices.length === 0 ? -1 : plan.choices[plan.choices.length - 1]!.at;
        if (at > last) {
          for (const e of enabled) {
            if (sameEvent(e, byDefault)) continue;
            const cost = plan.cost + costOf(boundKind, e, enabled, byDefault);
            if (cost <= bound) waiting[current]![cost]!.push({ choices: [...plan.choices, { at, event: e }], cost });
          }
        }
        return byDefault;
      },
      report: () => ({
        bound,
        boundKind,
        level: Math.min(level, bound),
        schedules,
        workloads: mine.length,
        complete,
        // Every schedule of a cost below the level under search has been tried, on every workload.
        levelsComplete: complete ? bound : level - 1,
      }),
    };
  },
};
