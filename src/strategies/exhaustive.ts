// Bounded exhaustive search, as CHESS's iterative context bounding: every
// schedule that deviates from the default policy at most k times (a
// preemption, an interrupt, a step of another CPU, an environment event
// taken early), depth first, workload by workload. When it runs out of
// schedules without a failure, that is a result: no failure with up to k
// deviations, in N schedules.
import type { ScheduleEvent } from "../sim/events.ts";
import type { Scheduler, StrategyDef } from "./scheduler.ts";
import { sameEvent } from "./scheduler.ts";

/** The deviations of one schedule: at step `at`, take `event` instead of the default. */
type Plan = { at: number; event: ScheduleEvent }[];

export const exhaustive: StrategyDef = {
  name: "exhaustive",
  description: "every schedule with at most k deviations from the default policy (--bound k), over --workloads W workloads, depth first",
  options: ["bound", "workloads"],
  create({ bound, workloads, shard }): Scheduler {
    // A shard searches workloads index, index + count, ...
    let workload = shard.index;
    let stack: Plan[] = workload < workloads ? [[]] : [];
    let plan: Plan = [];
    let step = 0;
    let schedules = 0;
    let complete = false;
    return {
      newRun() {
        while (stack.length === 0) {
          workload += shard.count;
          if (workload >= workloads) {
            complete = true;
            return undefined;
          }
          stack = [[]];
        }
        plan = stack.pop()!;
        step = 0;
        schedules++;
        return { workload };
      },
      next(enabled, byDefault) {
        const at = step++;
        const planned = plan.find((d) => d.at === at);
        if (planned !== undefined) return planned.event;
        // Past the last deviation, every other choice here starts a new schedule to explore.
        const last = plan.length === 0 ? -1 : plan[plan.length - 1]!.at;
        if (at > last && plan.length < bound) {
          for (let i = enabled.length - 1; i >= 0; i--) {
            const e = enabled[i]!;
            if (!sameEvent(e, byDefault)) stack.push([...plan, { at, event: e }]);
          }
        }
        return byDefault;
      },
      report: () => ({ bound, schedules, workloads: Math.ceil((workloads - shard.index) / shard.count), complete }),
    };
  },
};
