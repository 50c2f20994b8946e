// Reduces a failure of a property in a fixed order of objectives, so that
// whatever strategy, seed or worker found it, it ends at the same
// counterexample. It starts from failures of the property that walks on
// sampled workloads find (sampled-failures.ts: seeded by the model, variant,
// settings and property alone), and from the case found only where they find
// none.
// Then: the smallest workload on which the property can still be made to
// fail (walks on a smaller workload look for a failure when the schedule no
// longer fits it), the shortest schedule seeded walks and a search of short
// schedules find on that workload, 1-minimal (removing any single event
// makes the failure vanish), its independent events in one order.
import type { Arbitrary } from "fast-check";
import type { MachineConfig, AnyModel } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { describeEvent } from "../sim/events.ts";
import { canonicalOrder } from "./canonical.ts";
import { Run, runSchedule } from "./run.ts";
import { defaultEventCap } from "./online.ts";
import { propertyKey, sampledFailures } from "./sampled-failures.ts";
import { walkOnce, walkToFailure, walksOn } from "./walks.ts";

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
 * short one. Gives up (undefined) past `budget` runs.
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

/** Walks tried on each smaller workload the schedule no longer fits, and in all while the workload shrinks. */
const WALKS_PER_WORKLOAD = 40;
const WALKS_FOR_WORKLOADS = 1500;
/** How many smaller workloads walks must find a failure on, for the one with the shortest schedule. */
const BEST_OF = 3;
/**
 * How many sampled failures are reduced, for the one with the shortest
 * schedule. On the bench's 84 bugs and properties, each reduced once in one
 * process, against three with no limit on the walks after the first (37 s
 * for all 84): two, with AFTER_FIRST, gave a longer counterexample on 5 of
 * them, by 1 to 7 events (27 s); three, with AFTER_FIRST, on 3 (33 s); one
 * (after 1,000 walks, of at most 200 events), on 14, by up to 12 (16 s).
 */
const SAMPLED = 2;
/** Walks tried for a shorter schedule on the final workload. */
const WALKS_FOR_SHORTER = 300;

/**
 * The events a walk on a smaller workload may schedule: twice the known
 * schedule, and at least the 64 steps PCT draws its change points over (a
 * smaller workload may need a longer schedule than the bigger one did).
 */
function walkCap(t: Target, known: readonly ScheduleEvent[]): number {
  return Math.min(defaultEventCap(t.model, t.config), Math.max(64, 2 * known.length));
}

/** Smaller workloads to try, structural ones first. */
function* smallerWorkloads(workloadArb: Arbitrary<unknown>, w: unknown): Generator<unknown> {
  for (const s of structuralShrinks(w)) if (workloadArb.canShrinkWithoutContext(s)) yield s;
  if (workloadArb.canShrinkWithoutContext(w)) for (const s of workloadArb.shrink(w, undefined)) yield s.value;
}

/** What a reduction ends at: a workload and a schedule that breaks the property on it. */
interface Minimized {
  workload: unknown;
  schedule: ScheduleEvent[];
}

/** A workload and a 1-minimal schedule that breaks the property on it. */
interface Reduced {
  t: Target;
  schedule: ScheduleEvent[];
}

/** 1-minimal schedules that break the property on smaller workloads, found by walks (seeded from each workload): up to BEST_OF of them. */
function walkedFailures(unfit: readonly Target[], sched: ScheduleEvent[], walks: { left: number }): Reduced[] {
  const out: Reduced[] = [];
  for (const cand of unfit) {
    if (walks.left <= 0 || out.length === BEST_OF) break;
    const w = walksOn(cand, Math.min(WALKS_PER_WORKLOAD, walks.left));
    const found = walkToFailure(cand, w, walkCap(cand, sched));
    walks.left -= w.made;
    if (found !== undefined) out.push({ t: cand, schedule: minimizeSchedule(cand, found) });
  }
  return out;
}

/**
 * The smallest workload on which the property can still be made to fail,
 * with a 1-minimal schedule that fails it there: a smaller workload comes
 * first, a shorter schedule second, so that cases found on different
 * workloads shrink to the same one. Of the smaller workloads one step away,
 * the first on which the schedule still breaks the property is taken (its
 * schedule can only get shorter); when there is none, walks on each (seeded
 * from it alone) look for any run that does, however long, and the one with
 * the shortest schedule is taken (the first, among equals): of two
 * workloads neither of which shrinks to the other (two objects a page and
 * one thread, one object a page and two threads), the one the shorter way
 * shows.
 */
function smallestWorkload(workloadArb: Arbitrary<unknown>, t: Target, schedule: ScheduleEvent[]): Reduced {
  let cur = t;
  let sched = schedule;
  const walks = { left: WALKS_FOR_WORKLOADS };
  // Two shrinkers may disagree on what is smaller (one takes 65535 to 0, the other 0 to 65535): a workload already had is never taken again.
  const had = new Set([JSON.stringify(cur.workload)]);
  const take = (next: Target, found: ScheduleEvent[]) => {
    cur = next;
    sched = found;
    had.add(JSON.stringify(next.workload));
  };
  for (let improved = true; improved; ) {
    improved = false;
    const unfit: Target[] = [];
    const tried = new Set(had);
    for (const smaller of smallerWorkloads(workloadArb, cur.workload)) {
      const key = JSON.stringify(smaller);
      if (tried.has(key)) continue;
      tried.add(key);
      const cand = { ...cur, workload: smaller };
      const applied = stillFails(cand, sched);
      if (applied === undefined) unfit.push(cand);
      else {
        take(cand, minimizeSchedule(cand, applied));
        improved = true;
        break;
      }
    }
    if (improved) continue;
    const walked = walkedFailures(unfit, sched, walks);
    const best = walked.reduce<Reduced | undefined>((b, f) => (b === undefined || f.schedule.length < b.schedule.length ? f : b), undefined);
    if (best !== undefined) {
      take(best.t, best.schedule);
      improved = true;
    }
  }
  return { t: cur, schedule: sched };
}

/**
 * The shortest schedule a fixed number of walks on the workload reach: each
 * walk of fewer events than the best schedule so far that breaks the
 * property is reduced, and kept if it is shorter. The walks are the same
 * whatever schedule the reduction started from (walksOn), and all of them
 * are made, not only until one finds nothing shorter: two cases on the same
 * workload end at the shortest of the same walks.
 */
function walkShorter(t: Target, sched: ScheduleEvent[]): ScheduleEvent[] {
  const walks = walksOn(t, WALKS_FOR_SHORTER);
  while (sched.length > 1 && walks.left > 0) {
    const found = walkOnce(t, walks, sched.length);
    if (found === undefined) continue;
    const reduced = minimizeSchedule(t, found);
    if (reduced.length < sched.length) sched = reduced;
  }
  return sched;
}

/** The shortest schedule the searches find on the workload: walks of fewer events, then every short one made of the events it uses. */
function shortestSchedule(t: Target, sched: ScheduleEvent[]): ScheduleEvent[] {
  sched = walkShorter(t, sched);
  return (sched.length > 1 ? shorterSchedule(t, sched) : undefined) ?? sched;
}

/** The smallest workload a failure can be had on from `f`, and the shortest schedule the searches find there. */
function reduceFrom(workloadArb: Arbitrary<unknown>, f: Reduced): Reduced {
  const smallest = smallestWorkload(workloadArb, f.t, f.schedule);
  return { t: smallest.t, schedule: shortestSchedule(smallest.t, smallest.schedule) };
}

/**
 * Reduces a failing case: the smallest workload on which the property can
 * still be made to fail, then the shortest schedule the searches find on it,
 * 1-minimal, its independent events in one order. It starts from failures of
 * the property that walks on sampled workloads find (sampled-failures.ts),
 * not from the case: they are the same whatever strategy, seed or worker
 * found the case, and so is the counterexample. Of the first SAMPLED, the
 * one that reduces to the fewest events is taken (the first, among equals).
 * Only a property those walks cannot break (a rare failure) is reduced from
 * the case itself (reduceCase), and there the case decides where it ends:
 * the case as `shrunk` makes it, if given (fast-check's shrinking of the
 * case it found, done only then).
 */
export function minimize(t: Target, schedule: readonly ScheduleEvent[], shrunk?: () => { workload: unknown; schedule: ScheduleEvent[] }): Minimized {
  const key = propertyKey(t);
  let byModel = fromSampled.get(t.model);
  if (byModel === undefined) fromSampled.set(t.model, (byModel = new Map()));
  if (!byModel.has(key)) {
    const workloadArb = t.model.workload(t.config);
    const sampled = sampledFailures(workloadArb, t, SAMPLED).map((f) => ({ t: f.t, schedule: firstCut(f.t, f.schedule) }));
    byModel.set(key, sampled.length > 0 ? finish(shortestOf(workloadArb, sampled)) : null);
  }
  const reduced = byModel.get(key);
  if (reduced !== null && reduced !== undefined) return structuredClone(reduced);
  if (shrunk === undefined) return reduceCase(t, schedule);
  const c = shrunk();
  return reduceCase({ ...t, workload: c.workload }, c.schedule);
}

/** The case itself reduced, as minimize() reduces a failure the sampled walks do not find: from its workload and schedule. */
export function reduceCase(t: Target, schedule: readonly ScheduleEvent[]): Minimized {
  return finish(shortestOf(t.model.workload(t.config), [{ t, schedule: firstCut(t, schedule) }]));
}

/** A few well-placed events often do (the search is cheap then); else remove events one by one. */
function firstCut(t: Target, schedule: readonly ScheduleEvent[]): ScheduleEvent[] {
  return shorterSchedule(t, schedule, QUICK_RUNS) ?? minimizeSchedule(t, schedule);
}

/**
 * What minimize() made of the sampled failures of a property, per model and
 * propertyKey() (the variant, the settings and the property), or null where
 * they found none: made from the model's own workload arbitrary for those
 * settings, it depends on nothing else, so a process that reduces another
 * case of the same property (a test file's hunts, the bench's) takes it
 * from here.
 */
let fromSampled = new WeakMap<AnyModel, Map<string, Minimized | null>>();

/**
 * Runs `f` with no reduction of sampled failures remembered, and forgets
 * what it made (for a test of the reduction itself). What the process had
 * is kept: the other tests of a worker still take their reductions from it.
 */
export function withFreshReductions<T>(f: () => T): T {
  const kept = fromSampled;
  fromSampled = new WeakMap();
  try {
    return f();
  } finally {
    fromSampled = kept;
  }
}

/** Of the starts, the one that reduces to the fewest events (the first, among equals). */
function shortestOf(workloadArb: Arbitrary<unknown>, starts: readonly Reduced[]): Reduced {
  return starts.map((f) => reduceFrom(workloadArb, f)).reduce((b, f) => (f.schedule.length < b.schedule.length ? f : b));
}

/** Independent events in one order (a model that shares state only in memory); reduced again if that lets an event go. */
function finish(r: Reduced): Minimized {
  let sched = r.schedule;
  for (let k = 0; k < 3; k++) {
    const ordered = canonicalOrder(r.t, sched);
    if (ordered.every((e, i) => e === sched[i]) || stillFails(r.t, ordered) === undefined) break;
    sched = minimizeSchedule(r.t, ordered);
  }
  return { workload: r.t.workload, schedule: sched };
}

/** The indices of events whose removal keeps the failure (none, for a 1-minimal schedule). */
export function removableEvents(t: Target, schedule: readonly ScheduleEvent[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < schedule.length; i++) if (stillFails(t, [...schedule.slice(0, i), ...schedule.slice(i + 1)]) !== undefined) out.push(i);
  return out;
}
