// Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010). Every context (a thread, an interrupt line on a
// CPU, an environment event) gets a random priority when it first appears;
// the runnable context of the highest priority takes the next step, switched
// onto its CPU by a preemption if need be, or moved to the CPU running the
// least urgent context if its own CPU is held by a more urgent one; at d-1
// random steps the running context drops below all others, and a thread
// that can migrate is moved off its CPU as it drops. A bug of depth d is
// found in each run with probability at least 1/(n * k^(d-1)), for n steps
// and k contexts.
import seedrandom from "seedrandom";
import type { ScheduleEvent } from "../sim/events.ts";
import type { Machine } from "../sim/machine.ts";
import { lineOnCpu, prefixed } from "./names.ts";
import type { Scheduler, StrategyDef } from "./scheduler.ts";

/** The name PCT gives the context an event would advance. */
function contextName(m: Machine, e: ScheduleEvent): string | undefined {
  switch (e.kind) {
    case "step": {
      const ctx = m.cpus[e.cpu]!.stepper();
      return ctx === undefined ? undefined : ctx.kind === "irq" ? prefixed("irq ", ctx.name) : ctx.name;
    }
    case "preempt":
      return e.to;
    case "irq":
      return lineOnCpu(e.line, e.cpu);
    case "env":
      return `env ${e.source} ${e.arg ?? ""}`;
    case "migrate":
      return e.thread;
  }
}

/** The priority of what runs on `cpu` now; -Infinity when it is idle. (A module function: asked at every step.) */
function occupant(m: Machine, cpu: number, prio: (name: string) => number): number {
  const top = m.cpus[cpu]!.top();
  return top === null ? -Infinity : prio(top.kind === "irq" ? prefixed("irq ", top.name) : top.name);
}

/**
 * The contexts that could take the next step (`names`), and the event that
 * gives each its step (`events`, in the same order): a step, a preemption,
 * an interrupt or an environment event; for a thread that has none of
 * these, a migration to a CPU where it would run next: the idle one, or the
 * one running the least urgent preemptible context.
 */
let names: string[] = [];
let events: ScheduleEvent[] = [];
function candidates(m: Machine, enabled: readonly ScheduleEvent[], prio: (name: string) => number): void {
  // New arrays, not `length = 0`: V8 empties an array through a runtime call, some sixty nanoseconds.
  names = [];
  events = [];
  let moves: Map<string, ScheduleEvent> | undefined;
  for (const e of enabled) {
    const name = contextName(m, e);
    if (name === undefined) continue;
    if (e.kind !== "migrate") names.push(name), events.push(e);
    else {
      // Only where it would run next: an idle CPU, or one it can preempt.
      const cpu = m.cpus[e.cpu]!;
      if (cpu.top() !== null && !(cpu.preemptible() && occupant(m, e.cpu, prio) < prio(name))) continue;
      moves ??= new Map();
      const best = moves.get(name);
      if (best === undefined || occupant(m, e.cpu, prio) < occupant(m, (best as { cpu: number }).cpu, prio)) moves.set(name, e);
    }
  }
  if (moves === undefined) return;
  const direct = names.length;
  for (const [name, e] of moves) {
    let has = false;
    for (let i = 0; i < direct && !has; i++) has = names[i] === name;
    if (!has) names.push(name), events.push(e);
  }
}

export const pct: StrategyDef = {
  name: "pct",
  description: "probabilistic concurrency testing: random context priorities, d-1 random priority change points (--depth d)",
  options: ["depth"],
  create({ seed, depth }): Scheduler {
    const rng = seedrandom(`pct:${seed}`);
    let run = 0;
    let n = 64; // steps per run, learnt from the runs made
    let prio = new Map<string, number>();
    let changeAt = new Map<number, number>();
    let step = 0;
    let pendingMove: string | undefined;
    let nUsed = n;
    let last = { n: 0, steps: 0, contexts: 0 };
    /** A context's priority, drawn when it first appears in the run. */
    const priority = (name: string) => {
      let p = prio.get(name);
      if (p === undefined) prio.set(name, (p = depth + rng()));
      return p;
    };
    return {
      newRun() {
        prio = new Map();
        changeAt = new Map();
        nUsed = n;
        // d-1 change points among the first n steps, each with a priority 1..d-1, below every other.
        while (changeAt.size < Math.min(depth - 1, n)) {
          const at = 1 + Math.floor(rng() * n);
          if (!changeAt.has(at)) changeAt.set(at, depth - 1 - changeAt.size);
        }
        step = 0;
        pendingMove = undefined;
        return { workload: run++ };
      },
      next(enabled, machine) {
        // A thread that dropped at a change point is moved off its CPU first, if it still can be.
        const move = pendingMove;
        pendingMove = undefined;
        if (move !== undefined) {
          const targets = enabled.filter((e) => e.kind === "migrate" && e.thread === move);
          if (targets.length > 0) return targets[Math.floor(rng() * targets.length)];
        }
        candidates(machine, enabled, priority);
        let best = -1;
        let bestPrio = -Infinity;
        for (let i = 0; i < names.length; i++) {
          const p = priority(names[i]!);
          if (p > bestPrio) (best = i), (bestPrio = p);
        }
        if (best < 0) return undefined;
        const name = names[best]!;
        const event = events[best]!;
        if (event.kind === "migrate") return event; // a move is no step: the thread steps next, where it went
        step++;
        const low = changeAt.get(step);
        if (low !== undefined) {
          prio.set(name, low);
          if (machine.thread(name) !== undefined) pendingMove = name;
        }
        return event;
      },
      endRun() {
        last = { n: nUsed, steps: step, contexts: Math.max(1, prio.size) };
        n = Math.max(n, step);
      },
      // The guarantee for the last run (the failing one, when a hunt stops at a failure):
      // 1/(n * k^(d-1)), with n the length the change points were drawn over (it holds while the run is no longer).
      report: () => ({ depth, n: last.n, steps: last.steps, contexts: last.contexts, bound: 1 / (last.n * last.contexts ** (depth - 1)), longerThanN: last.steps > last.n }),
    };
  },
};
