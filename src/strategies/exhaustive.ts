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
//
// Steps that touch nothing in common are not tried in every order: where the
// model says it shares only memory, the machine records what each event
// touches (src/sim/footprint.ts), and a choice that leads to a trace already
// reached at no greater cost is left out (src/strategies/reduction.ts says
// why that misses nothing within the bound).
import type { ScheduleEvent } from "../sim/events.ts";
import { Reduction } from "./reduction.ts";
import type { Ticket } from "./reduction.ts";
import type { BoundKind, Scheduler, SchedulerOptions, StrategyDef } from "./scheduler.ts";
import { sameEvent } from "./scheduler.ts";

/** The choices of one schedule: at step `at`, take `event` instead of the default (at `cost`); and what they cost in all. */
interface Plan {
  readonly choices: readonly { at: number; event: ScheduleEvent; cost: number }[];
  readonly cost: number;
  /** A number of its own (the reduction tells plans apart by it). */
  readonly id: number;
  /** Its last choice's node could not be named when it was queued: ask the reduction again before running it. */
  readonly ticket?: Ticket;
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

export interface ExhaustiveOptions extends SchedulerOptions {
  /** Leave out schedules equal to one tried but for the order of independent steps (default true). */
  reduce?: boolean;
}

export const exhaustive: StrategyDef = {
  name: "exhaustive",
  description: "every schedule of cost 0, then 1, ... up to --bound K (--bound-kind preemption, delay or deviation), over the distinct workloads of --workloads W",
  options: ["bound", "workloads"],
  create: (o) => createExhaustive(o),
};

export function createExhaustive({ bound, workloads, shard, boundKind = "preemption", distinct = () => true, reduce = true }: ExhaustiveOptions): Scheduler {
  // A shard searches workloads index, index + count, ...; one equal to an earlier workload is not searched again.
  const mine: number[] = [];
  for (let w = shard.index; w < workloads; w += shard.count) if (distinct(w)) mine.push(w);
  /** Per workload, the plans waiting, by cost: level L is tried on every workload before level L + 1 on any. */
  const waiting: Plan[][][] = mine.map(() => Array.from({ length: bound + 1 }, () => []));
  let plans = 0;
  for (const w of waiting) w[0]!.push({ choices: [], cost: 0, id: plans++ });
  let level = 0;
  let current = 0;
  let plan: Plan = { choices: [], cost: 0, id: -1 };
  let step = 0;
  let schedules = 0;
  let complete = false;
  const reduction = new Reduction();
  // Whether this run's machine records footprints; the event last returned and what it cost.
  let reducing = false;
  let previous: ScheduleEvent | undefined;
  let previousCost = 0;
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
          if (plan.ticket !== undefined && !reduction.stillNeeded(plan.ticket, plan.choices[plan.choices.length - 1]!.event.kind, plan.id)) continue;
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
    next(enabled, machine) {
      const byDefault = machine.defaultNext();
      const at = step++;
      const last = plan.choices.length === 0 ? -1 : plan.choices[plan.choices.length - 1]!.at;
      if (at === 0) {
        // Footprints tell steps apart only where the model shares nothing but memory (elsewhere, measured, they cost and prune nothing).
        reducing = reduce && machine.sharesOnlyMemory;
        if (reducing) {
          machine.recordFootprints();
          reduction.startRun(current, plan.id, last + 1, machine);
        }
      } else if (reducing) reduction.performed(previous!, machine, previousCost);
      const planned = plan.choices.find((d) => d.at === at);
      const chosen = planned?.event ?? byDefault;
      previous = chosen;
      previousCost = planned?.cost ?? 0;
      if (planned !== undefined) return chosen;
      // Past the last choice, every other event here starts a schedule of a higher (or, when free, the same) cost.
      if (at > last) {
        if (reducing && reduction.costSoFar !== plan.cost) throw new Error(`exhaustive: the reduction counts cost ${reduction.costSoFar} where the plan says ${plan.cost}`);
        // Once this run is where another schedule came first at no greater cost, every choice from here is tried from there.
        const elsewhere = reducing && reduction.elsewhere;
        for (const e of enabled) {
          if (sameEvent(e, byDefault)) continue;
          const one = costOf(boundKind, e, enabled, byDefault);
          const cost = plan.cost + one;
          if (cost > bound) continue;
          if (elsewhere) {
            reduction.slept++;
            continue;
          }
          const covered = reducing ? reduction.covered(e, cost, plans) : false;
          if (covered === true) continue;
          const choices = [...plan.choices, { at, event: e, cost: one }];
          waiting[current]![cost]!.push(covered === false ? { choices, cost, id: plans++ } : { choices, cost, id: plans++, ticket: covered });
        }
      }
      return chosen;
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
      // Choices left out: each leads where a schedule tried (or queued) goes at no greater cost.
      slept: reduction.slept,
    }),
  };
}
