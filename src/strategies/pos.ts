// Partial order sampling (Yuan, Yang and Gu, CAV 2018), the way Fray
// (OOPSLA 2025) schedules with it. Every enabled event holds a random
// priority, uniform in [0, 1); the enabled event of the highest priority
// runs. Once it is chosen, it and the enabled events that race with it draw
// fresh priorities; every other event keeps its own. A random walk instead
// gives an event that stays enabled a new chance at every step, so one that
// is enabled for long (an interrupt, a preemption) almost always happens
// early; here an event that nothing races with keeps the priority it drew and
// happens no sooner for having waited.
//
// What races: the machine cannot say what state a thread's next step will
// touch (model code is a generator; its shared state is plain fields), so
// steps of different contexts are taken to race, always. Events on one CPU
// race (an interrupt, a preemption, a step there all change what runs on it);
// a migration races with the events of the CPUs it leaves and joins; an
// environment event (a grace period, a timer, a store becoming visible, the
// clock) races with every step and every other environment event. What is
// left out of racing: machine events of different CPUs (an interrupt on
// cpu1 and a step on cpu0, say), which is where POS differs from a random
// walk here.
import seedrandom from "seedrandom";
import type { ScheduleEvent } from "../sim/events.ts";
import { describeEvent } from "../sim/events.ts";
import type { Machine } from "../sim/machine.ts";
import type { Scheduler, StrategyDef } from "./scheduler.ts";

interface Sampled {
  event: ScheduleEvent;
  /** The event's name, stable from step to step. */
  key: string;
  /** The CPUs whose state it changes. */
  cpus: number[];
}

/**
 * A step is named by the context it advances (a handler instance, a thread
 * put on an idle CPU), so that one context's next step is a new event; the
 * others by what they do.
 */
function sample(m: Machine, e: ScheduleEvent): Sampled {
  switch (e.kind) {
    case "step": {
      const ctx = m.cpus[e.cpu]!.stepper();
      return { event: e, key: `step ${ctx?.name ?? `cpu${e.cpu}`}`, cpus: [e.cpu] };
    }
    case "irq":
    case "preempt":
      return { event: e, key: describeEvent(e), cpus: [e.cpu] };
    case "migrate": {
      const from = m.thread(e.thread)?.cpu;
      return { event: e, key: describeEvent(e), cpus: from === undefined ? [e.cpu] : [from, e.cpu] };
    }
    case "env":
      return { event: e, key: describeEvent(e), cpus: [] };
  }
}

/** Whether `b` races with `a`, the event chosen (see the top of the file). */
function races(a: Sampled, b: Sampled): boolean {
  if (a.cpus.some((c) => b.cpus.includes(c))) return true;
  const ak = a.event.kind;
  const bk = b.event.kind;
  if (ak === "step" && bk === "step") return true;
  if (ak === "env") return bk === "step" || bk === "env";
  if (bk === "env") return ak === "step";
  return false;
}

export const pos: StrategyDef = {
  name: "pos",
  description: "partial order sampling: random event priorities, redrawn for the events that race with the one taken",
  options: [],
  create({ seed }): Scheduler {
    const rng = seedrandom(`pos:${seed}`);
    let run = 0;
    let prio = new Map<string, number>();
    let kept = 0;
    let redrawn = 0;
    return {
      newRun() {
        prio = new Map();
        return { workload: run++ };
      },
      next(enabled, machine) {
        if (enabled.length === 0) return undefined;
        const events = enabled.map((e) => sample(machine, e));
        let best: Sampled | undefined;
        let bestPrio = -Infinity;
        for (const s of events) {
          let p = prio.get(s.key);
          if (p === undefined) prio.set(s.key, (p = rng()));
          if (p > bestPrio) (best = s), (bestPrio = p);
        }
        const chosen = best!;
        prio.delete(chosen.key);
        for (const s of events) {
          if (s === chosen) continue;
          if (races(chosen, s)) prio.delete(s.key), redrawn++;
          else kept++;
        }
        return chosen.event;
      },
      // How often an enabled event kept its priority past another's step: 0 would be a random walk.
      report: () => ({ kept, redrawn }),
    };
  },
};
