// Selectively uniform random walk (Zhao, Wolff, Mathur and Roychoudhury,
// ASPLOS 2025). A random walk favours short threads: with one thread of 2
// events and one of 20, the short one is nearly always done in the first
// few steps, while few of the interleavings put it late. Choosing the next
// context with probability proportional to the events it has left samples
// the interleavings of all contexts' events uniformly instead: each context
// is equally likely to be anywhere in the run.
//
// Contexts and their events: a thread (its steps; a preemption that puts it
// on a CPU is its event too, though not counted as one of its steps), an
// interrupt line on a CPU (each delivery and every step of its handlers
// there), an environment source (its events). How many events each has left
// is estimated from the earlier runs of the hunt: the mean of what that
// context (by name) took in the runs where it took any; a context not seen
// yet gets the mean over the ones seen (1 in the first run, which is thus a
// walk uniform over contexts). The estimate counts down as the context goes
// on; past zero it keeps a weight of 1. Migrations are nobody's events: one
// is taken, uniformly among those enabled, with a small probability at each
// step.
//
// The selective part of the paper (counting only the events that touch the
// shared state of interest) is not here: the machine cannot say what a step
// touches, so every step counts.
import seedrandom from "seedrandom";
import type { ScheduleEvent } from "../sim/events.ts";
import type { Machine } from "../sim/machine.ts";
import { lineOnCpu, prefixed } from "./names.ts";
import type { Scheduler, StrategyDef } from "./scheduler.ts";

/** The probability of taking a migration when one is enabled. */
const MIGRATE = 0.05;

/** The context an event belongs to; undefined for a migration. Every event of it counts as one of its events but a preemption. */
function owner(m: Machine, e: ScheduleEvent): string | undefined {
  switch (e.kind) {
    case "step": {
      const cpu = m.cpus[e.cpu]!;
      const frame = cpu.irqStack[cpu.irqStack.length - 1];
      if (frame !== undefined) return lineOnCpu(frame.line, e.cpu);
      const t = cpu.current ?? cpu.firstReady();
      return prefixed("thread ", t?.name ?? `cpu${e.cpu}`);
    }
    case "irq":
      return lineOnCpu(e.line, e.cpu);
    case "preempt":
      return prefixed("thread ", e.to);
    case "env":
      return prefixed("env ", e.source);
    case "migrate":
      return undefined;
  }
}

/** Per step: each enabled event's owner, the owners in order, their weights. */
let owners: (string | undefined)[] = [];
let ctxs: string[] = [];
let weights: number[] = [];

/** The k-th enabled event owned by `ctx` (undefined: the k-th migration). */
function nth(enabled: readonly ScheduleEvent[], ctx: string | undefined, k: number): ScheduleEvent {
  for (let i = 0; i < enabled.length; i++) if (owners[i] === ctx && k-- === 0) return enabled[i]!;
  throw new Error("surw: no such event");
}

export const surw: StrategyDef = {
  name: "surw",
  description: "selectively uniform random walk: the next context chosen in proportion to the events it has left, estimated from earlier runs",
  options: [],
  create({ seed }): Scheduler {
    const rng = seedrandom(`surw:${seed}`);
    let run = 0;
    /** Per context, over the earlier runs it took events in: their sum and how many runs. */
    const seen = new Map<string, { sum: number; runs: number }>();
    /** This run: the events each context has taken, and what it has left. */
    let taken = new Map<string, number>();
    let left = new Map<string, number>();
    let fallback = 1;
    const estimate = (ctx: string): number => {
      const s = seen.get(ctx);
      return s === undefined ? fallback : s.sum / s.runs;
    };
    return {
      newRun() {
        taken = new Map();
        left = new Map();
        let total = 0;
        for (const s of seen.values()) total += s.sum / s.runs;
        fallback = seen.size === 0 ? 1 : total / seen.size;
        return { workload: run++ };
      },
      next(enabled, machine) {
        if (enabled.length === 0) return undefined;
        // Each event's owner, and the owners in the order they first own an enabled event (new arrays: `length = 0` is a runtime call).
        owners = [];
        ctxs = [];
        let migrations = 0;
        for (const e of enabled) {
          const o = owner(machine, e);
          owners.push(o);
          if (o === undefined) migrations++;
          else if (!ctxs.includes(o)) ctxs.push(o);
        }
        if (migrations > 0 && (ctxs.length === 0 || rng() < MIGRATE)) return nth(enabled, undefined, Math.floor(rng() * migrations));
        // A context weighs what it has left, at least 1, in the machine's fixed order of events.
        let total = 0;
        weights = [];
        for (const c of ctxs) {
          let l = left.get(c);
          if (l === undefined) left.set(c, (l = estimate(c)));
          weights.push(Math.max(1, l));
          total += Math.max(1, l);
        }
        let r = rng() * total;
        let i = 0;
        while (i < ctxs.length - 1 && r >= weights[i]!) r -= weights[i++]!;
        const ctx = ctxs[i]!;
        let mine = 0;
        for (const o of owners) if (o === ctx) mine++;
        const e = nth(enabled, ctx, mine === 1 ? 0 : Math.floor(rng() * mine));
        if (e.kind !== "preempt") {
          left.set(ctx, left.get(ctx)! - 1);
          taken.set(ctx, (taken.get(ctx) ?? 0) + 1);
        }
        return e;
      },
      endRun() {
        for (const [ctx, n] of taken) {
          const s = seen.get(ctx);
          if (s === undefined) seen.set(ctx, { sum: n, runs: 1 });
          else (s.sum += n), s.runs++;
        }
      },
      report: () => ({ contexts: seen.size }),
    };
  },
};
