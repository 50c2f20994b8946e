// Reduces a failing case until its schedule is 1-minimal: removing any
// single event makes the failure (of that property) vanish. The workload is
// shrunk further first, with the workload arbitrary's own shrinker; then
// random walks of fewer events look for a shorter way to the same failure,
// so that what different strategies found ends at the same short schedule.
import type { Arbitrary } from "fast-check";
import seedrandom from "seedrandom";
import type { MachineConfig, AnyModel } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { describeEvent } from "../sim/events.ts";
import { canonicalOrder } from "./canonical.ts";
import { Run, runSchedule } from "./run.ts";
import { pct } from "../strategies/pct.ts";
import type { Scheduler } from "../strategies/scheduler.ts";

export interface Target {
  model: AnyModel;
  variant: string;
  config: MachineConfig;
  workload: unknown;
  property: string;
}

/** The events a run of `schedule` really applies, if it still breaks the property; else undefined. */
export function stillFails(t: Target, schedule: readonly ScheduleEvent[]): ScheduleEvent[] | undefined {
  const r = runSchedule(t.model, t.variant, t.config, t.workload, schedule, { focus: t.property });
  return r.failure?.property === t.property ? r.applied : undefined;
}

/** The context each event of a schedule ran (the handler, for an interrupt), by event index. */
function contextsOf(t: Target, schedule: readonly ScheduleEvent[]): Map<string, number[]> {
  const run = runSchedule(t.model, t.variant, t.config, t.workload, schedule, { trace: true, focus: t.property });
  const byCtx = new Map<string, number[]>();
  const seen = new Set<number>();
  for (const e of run.machine.trace) {
    if (e.event < 0 || e.ctx === "" || seen.has(e.event)) continue;
    seen.add(e.event);
    byCtx.set(e.ctx, [...(byCtx.get(e.ctx) ?? []), e.event]);
  }
  return byCtx;
}

/** Schedules up to this long also have every pair of events tried for removal (a 49-event schedule has 1,176 pairs: 3 s of a channel hunt, for no pair ever removed in the committed hunts). */
const PAIRS_UP_TO = 20;

/** Index ranges [start, end) of maximal runs of equal consecutive events ("step cpu0" x 9). */
function blocks(schedule: readonly ScheduleEvent[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < schedule.length; ) {
    let j = i + 1;
    while (j < schedule.length && JSON.stringify(schedule[j]) === JSON.stringify(schedule[i])) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

/**
 * Removes events while the failure stays: everything one context did (an
 * interrupt that does not matter goes whole), then halves, quarters, ... of
 * the schedule, then whole runs of equal events and halves of them, then
 * single events, then pairs, until a whole pass removes nothing. The result
 * is 1-minimal.
 */
export function minimizeSchedule(t: Target, schedule: readonly ScheduleEvent[]): ScheduleEvent[] {
  let cur = stillFails(t, schedule);
  if (cur === undefined) throw new Error(`the schedule to minimize does not break ${t.property}`);
  const without = (drop: Set<number>) => stillFails(t, cur!.filter((_, i) => !drop.has(i)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const indices of contextsOf(t, cur).values()) {
      const smaller = without(new Set(indices));
      if (smaller !== undefined) {
        cur = smaller;
        changed = true;
        break;
      }
    }
    if (changed) continue;
    // Chunks of the schedule, halves first, then quarters, ... (delta
    // debugging): a long schedule loses its irrelevant stretches in a few
    // runs rather than one event at a time.
    for (let size = Math.floor(cur.length / 2); size >= 2 && !changed; size = Math.floor(size / 2)) {
      for (let a = 0; a + size <= cur.length && !changed; a += size) {
        const smaller = stillFails(t, [...cur.slice(0, a), ...cur.slice(a + size)]);
        if (smaller !== undefined) {
          cur = smaller;
          changed = true;
        }
      }
    }
    if (changed) continue;
    const ranges = blocks(cur).flatMap(([a, b]) => {
      const half = Math.floor((b - a) / 2);
      return half >= 1 ? [[a, b], [a, a + half], [b - half, b]] : [[a, b]];
    });
    for (const [a, b] of ranges) {
      const smaller = stillFails(t, [...cur.slice(0, a!), ...cur.slice(b!)]);
      if (smaller !== undefined) {
        cur = smaller;
        changed = true;
        break;
      }
    }
    if (changed) continue;
    for (let i = 0; i < cur.length && !changed; i++) {
      const smaller = stillFails(t, [...cur.slice(0, i), ...cur.slice(i + 1)]);
      if (smaller !== undefined) {
        cur = smaller;
        changed = true;
      }
    }
    // Two events that only matter together (a preemption and the step it
    // displaced) go as a pair; short schedules only, the pairs are many.
    if (changed || cur.length > PAIRS_UP_TO) continue;
    for (let i = 0; i < cur.length && !changed; i++) {
      for (let j = i + 1; j < cur.length && !changed; j++) {
        const smaller = without(new Set([i, j]));
        if (smaller !== undefined) {
          cur = smaller;
          changed = true;
        }
      }
    }
  }
  return cur;
}

/**
 * Smaller JSON values: each array without one of its elements (last first),
 * each whole number one less and zero, each part of a structure so shrunk.
 * fast-check's own shrinker, used without context, only drops leading
 * elements of arrays; this completes it.
 */
export function* structuralShrinks(v: unknown): Generator<unknown> {
  if (Array.isArray(v)) {
    for (let i = v.length - 1; i >= 0; i--) yield [...v.slice(0, i), ...v.slice(i + 1)];
    for (let i = 0; i < v.length; i++) for (const s of structuralShrinks(v[i])) yield v.map((x, j) => (j === i ? s : x));
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) for (const s of structuralShrinks(x)) yield { ...v, [k]: s };
  } else if (Number.isInteger(v) && (v as number) > 0) {
    if ((v as number) > 1) yield 0;
    yield (v as number) - 1;
  }
}

/** The longest schedule the search for a shorter one tries, and the runs it may spend. */
const SHORTER_UP_TO = 5;
const SHORTER_RUNS = 2000;
/** What the first look for a short schedule may spend, before the failing run is reduced event by event. */
const QUICK_RUNS = 300;

/**
 * A shorter schedule of the same failure than the 1-minimal `known`, if one
 * is made of the events `known` uses: every such schedule of length 0, then
 * 1, 2, ... (each event one the machine has enabled at its turn, in the
 * order of their names); the first that fails. A 1-minimal
 * schedule can be long where a few well-placed events would do (a thread
 * preempted at just the right step among a hundred threads' steps), and
 * strategies that found the same bug by different ways end at the same
 * short one. Gives up (undefined) past SHORTER_RUNS runs.
 */
export function shorterSchedule(t: Target, known: readonly ScheduleEvent[], budget = SHORTER_RUNS): ScheduleEvent[] | undefined {
  // In the order of their names, not of the schedule's: two schedules of the same events give the same answer.
  const alphabet: ScheduleEvent[] = [];
  for (const e of known) if (!alphabet.some((a) => describeEvent(a) === describeEvent(e))) alphabet.push(e);
  alphabet.sort((a, b) => (describeEvent(a) < describeEvent(b) ? -1 : 1));
  let runs = 0;
  const enabledAfter = (prefix: readonly ScheduleEvent[]): Set<string> | undefined => {
    runs++;
    const r = new Run(t.model, t.variant, t.config, structuredClone(t.workload), { focus: t.property });
    for (const e of prefix) if (!r.offer(e)) return undefined;
    return r.failure === undefined ? new Set(r.machine.enabledEvents().map(describeEvent)) : undefined;
  };
  const search = (prefix: ScheduleEvent[], left: number): ScheduleEvent[] | undefined => {
    if (left === 0) {
      runs++;
      return stillFails(t, prefix) !== undefined ? prefix : undefined;
    }
    const enabled = enabledAfter(prefix);
    for (const e of alphabet) {
      if (runs > budget) return undefined;
      if (!enabled?.has(describeEvent(e))) continue;
      const found = search([...prefix, e], left - 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  for (let length = 0; length < Math.min(known.length, SHORTER_UP_TO + 1); length++) {
    const found = search([], length);
    if (found !== undefined) return found;
    if (runs > budget) return undefined;
  }
  return undefined;
}

/** The random walks of a reduction: how many it may still make, its random stream, and its PCT scheduler. */
interface Walks {
  left: number;
  readonly rng: () => number;
  /**
   * PCT's change points are drawn over the 64 steps it takes a run to have,
   * so in a walk shorter than that most PCT walks run by fixed priorities
   * alone (a context starved for the whole walk), some with a change point.
   */
  readonly pct: Scheduler;
}

/** Random walks tried for each look for a shorter schedule; per reduction, for smaller workloads, and then for the final schedule. */
const WALKS = 40;
const WALKS_FOR_WORKLOADS = 750;
const WALKS_FOR_SHORTER = 750;

/**
 * Random walks of at most `cap` events (the default drain finishing each
 * run), on the target's workload: the first whose failure of the property
 * reduces (1-minimal) to fewer than `cap` events, reduced, if one does. A
 * strategy that found the bug by a long way (PCT's runs, exhaustive's, a
 * big workload's) is so brought to a short schedule that another strategy
 * would have found too.
 */
function walkShorter(t: Target, cap: number, walks: Walks): ScheduleEvent[] | undefined {
  for (let i = 0; i < WALKS && walks.left > 0; i++) {
    walks.left--;
    const run = new Run(t.model, t.variant, t.config, structuredClone(t.workload), { focus: t.property });
    // Every other walk is PCT's (a context starved for a long stretch); the others keep to the default
    // policy with their own odds (a thread run far and then interrupted is as likely as a busy interleaving).
    const usePct = i % 2 === 1 && walks.pct.newRun() !== undefined;
    const keep = walks.rng();
    for (let k = 0; k < cap && run.failure === undefined; k++) {
      const m = run.machine;
      const enabled = m.enabledEvents();
      if (enabled.length === 0) break;
      const byDefault = m.defaultNext();
      const e = usePct ? walks.pct.next(enabled, byDefault, m) : byDefault !== undefined && walks.rng() < keep ? byDefault : enabled[Math.floor(walks.rng() * enabled.length)];
      if (e === undefined) break;
      run.offer(e);
    }
    if (run.finish()?.property === t.property) {
      const found = minimizeSchedule(t, run.applied);
      if (found.length < cap) return found;
    }
  }
  return undefined;
}

/** Shrinks the workload while the schedule still breaks the property, then minimizes the schedule. */
export function minimize(workloadArb: Arbitrary<unknown>, t: Target, schedule: readonly ScheduleEvent[]): { workload: unknown; schedule: ScheduleEvent[] } {
  let cur = { ...t };
  // A few well-placed events often do (the search is cheap then); else remove events one by one.
  let sched = shorterSchedule(cur, schedule, QUICK_RUNS) ?? minimizeSchedule(cur, schedule);
  const candidates = function* (w: unknown): Generator<unknown> {
    for (const s of structuralShrinks(w)) if (workloadArb.canShrinkWithoutContext(s)) yield s;
    if (workloadArb.canShrinkWithoutContext(w)) for (const s of workloadArb.shrink(w, undefined)) yield s.value;
  };
  // Two shrinkers may disagree on what is smaller (one takes 65535 to 0, the other 0 to 65535): a workload already had is never taken again.
  const had = new Set([JSON.stringify(cur.workload)]);
  const rng = seedrandom(`shorter:${JSON.stringify(t.workload)}:${sched.length}`);
  const walks: Walks = { left: WALKS_FOR_WORKLOADS, rng, pct: pct.create({ seed: Math.floor(rng() * 2 ** 31), depth: 3, bound: 0, workloads: 0, shard: { index: 0, count: 1 } }) };
  for (let improved = true; improved; ) {
    improved = false;
    for (const smaller of candidates(cur.workload)) {
      const key = JSON.stringify(smaller);
      if (had.has(key)) continue;
      had.add(key);
      const cand = { ...cur, workload: smaller };
      const applied = stillFails(cand, sched);
      if (applied !== undefined) {
        cur = cand;
        sched = minimizeSchedule(cur, applied);
        improved = true;
        break;
      }
      // The schedule no longer fits the smaller workload: another one, no longer, may.
      const walked = walkShorter(cand, sched.length + 1, walks);
      if (walked !== undefined) {
        cur = cand;
        sched = walked;
        improved = true;
        break;
      }
    }
  }
  // 1-minimal is not shortest: random walks of fewer events, while they find one (with a budget of their own).
  walks.left = WALKS_FOR_SHORTER;
  for (let walked; sched.length > 1 && (walked = walkShorter(cur, sched.length, walks)) !== undefined; ) sched = walked;
  // A shorter schedule of the same failure, made of the same events, if there is one.
  const shorter = sched.length > 1 ? shorterSchedule(cur, sched) : undefined;
  if (shorter !== undefined) sched = shorter;
  // Independent events in one order (a model that shares state only in memory); reduced again if that lets an event go.
  for (let k = 0; k < 3; k++) {
    const ordered = canonicalOrder(cur, sched);
    if (ordered.every((e, i) => e === sched[i]) || stillFails(cur, ordered) === undefined) break;
    sched = minimizeSchedule(cur, ordered);
  }
  return { workload: cur.workload, schedule: sched };
}

/** The indices of events whose removal keeps the failure (none, for a 1-minimal schedule). */
export function removableEvents(t: Target, schedule: readonly ScheduleEvent[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < schedule.length; i++) if (stillFails(t, [...schedule.slice(0, i), ...schedule.slice(i + 1)]) !== undefined) out.push(i);
  return out;
}
