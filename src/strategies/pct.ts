// Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010). Every context (a thread, an interrupt line on a
// CPU, an environment event) gets a random priority when it first appears;
// the runnable context of the highest priority takes the next step, switched
// onto its CPU by a preemption if need be; at d-1 random steps the running
// context drops below all others. A bug of depth d is found in each run with
// probability at least 1/(n * k^(d-1)), for n steps and k contexts. Threads
// are not migrated.
import seedrandom from "seedrandom";
import type { ScheduleEvent } from "../sim/events.ts";
import type { Machine } from "../sim/machine.ts";
import type { Scheduler, StrategyDef } from "./scheduler.ts";

/** The contexts that could take the next step, and the event that gives each its step. */
function candidates(m: Machine, enabled: readonly ScheduleEvent[]): [string, ScheduleEvent][] {
  const out: [string, ScheduleEvent][] = [];
  for (const e of enabled) {
    if (e.kind === "step") {
      const cpu = m.cpus[e.cpu]!;
      const ctx = cpu.top() ?? cpu.firstReady();
      if (ctx !== null && ctx !== undefined) out.push([ctx.kind === "irq" ? `irq ${ctx.name}` : ctx.name, e]);
    } else if (e.kind === "preempt") {
      out.push([e.to, e]);
    } else if (e.kind === "irq") {
      out.push([`irq ${e.line}@cpu${e.cpu}`, e]);
    } else if (e.kind === "env") {
      out.push([`env ${e.source} ${e.arg ?? ""}`, e]);
    }
  }
  return out;
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
    let nUsed = n;
    let last = { n: 0, steps: 0, contexts: 0 };
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
        return { workload: run++ };
      },
      next(enabled, _byDefault, machine) {
        let best: [string, ScheduleEvent] | undefined;
        let bestPrio = -Infinity;
        for (const c of candidates(machine, enabled)) {
          let p = prio.get(c[0]);
          if (p === undefined) prio.set(c[0], (p = depth + rng()));
          if (p > bestPrio) (best = c), (bestPrio = p);
        }
        if (best === undefined) return undefined;
        step++;
        const low = changeAt.get(step);
        if (low !== undefined) prio.set(best[0], low);
        return best[1];
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
