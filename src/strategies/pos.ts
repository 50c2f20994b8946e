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
import { describedOnCpu, prefixed } from "./names.ts";
import type { Scheduler, StrategyDef } from "./scheduler.ts";

/**
 * An event's name, stable from step to step. A step is named by the context
 * it advances (a handler instance, a thread put on an idle CPU), so that one
 * context's next step is a new event; the others by what they do. Names are
 * made once and looked up after (every enabled event is named at every step).
 */
function nameOf(m: Machine, e: ScheduleEvent): string {
  switch (e.kind) {
    case "step":
      return prefixed("step ", m.cpus[e.cpu]!.stepper()?.name ?? `cpu${e.cpu}`);
    case "irq":
    case "preempt":
    case "migrate":
      return describedOnCpu(e);
    case "env":
      return describeEvent(e);
  }
}

/** The CPUs whose state an event changes. */
function cpusOf(m: Machine, e: ScheduleEvent): number[] {
  if (e.kind === "env") return [];
  if (e.kind === "migrate") {
    const from = m.thread(e.thread)?.cpu;
    return from === undefined ? [e.cpu] : [from, e.cpu];
  }
  return [e.cpu];
}

/** Whether `e` changes the state of CPU `c`. */
function changesCpu(m: Machine, e: ScheduleEvent, c: number): boolean {
  if (e.kind === "env") return false;
  if (e.kind === "migrate") return e.cpu === c || m.thread(e.thread)?.cpu === c;
  return e.cpu === c;
}

/** Whether `b` races with `a`, the event chosen, which changes `aCpus` (see the top of the file). */
function races(m: Machine, a: ScheduleEvent, aCpus: readonly number[], b: ScheduleEvent): boolean {
  for (const c of aCpus) if (changesCpu(m, b, c)) return true;
  const ak = a.kind;
  const bk = b.kind;
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
        const names: string[] = [];
        let best = 0;
        let bestPrio = -Infinity;
        for (let i = 0; i < enabled.length; i++) {
          const name = nameOf(machine, enabled[i]!);
          names.push(name);
          let p = prio.get(name);
          if (p === undefined) prio.set(name, (p = rng()));
          if (p > bestPrio) (best = i), (bestPrio = p);
        }
        const chosen = enabled[best]!;
        const chosenCpus = cpusOf(machine, chosen);
        prio.delete(names[best]!);
        for (let i = 0; i < enabled.length; i++) {
          if (i === best) continue;
          if (races(machine, chosen, chosenCpus, enabled[i]!)) prio.delete(names[i]!), redrawn++;
          else kept++;
        }
        return chosen;
      },
      // How often an enabled event kept its priority past another's step: 0 would be a random walk.
      report: () => ({ kept, redrawn }),
    };
  },
};
