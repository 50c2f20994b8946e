// Reduces a failing case until its schedule is 1-minimal: removing any
// single event makes the failure (of that property) vanish. The workload is
// shrunk further first, with the workload arbitrary's own shrinker.
import type { Arbitrary } from "fast-check";
import type { MachineConfig, AnyModel } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { runSchedule } from "./run.ts";

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

/** Schedules up to this long also have every pair of events tried for removal. */
const PAIRS_UP_TO = 60;

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
 * interrupt that does not matter goes whole), then whole runs of equal
 * events and halves of them, then single events, then pairs, until a whole
 * pass removes nothing. The result is 1-minimal.
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

/** Shrinks the workload while the schedule still breaks the property, then minimizes the schedule. */
export function minimize(workloadArb: Arbitrary<unknown>, t: Target, schedule: readonly ScheduleEvent[]): { workload: unknown; schedule: ScheduleEvent[] } {
  let cur = { ...t };
  let sched = minimizeSchedule(cur, schedule);
  const candidates = function* (w: unknown): Generator<unknown> {
    for (const s of structuralShrinks(w)) if (workloadArb.canShrinkWithoutContext(s)) yield s;
    if (workloadArb.canShrinkWithoutContext(w)) for (const s of workloadArb.shrink(w, undefined)) yield s.value;
  };
  for (let improved = true; improved; ) {
    improved = false;
    for (const smaller of candidates(cur.workload)) {
      const cand = { ...cur, workload: smaller };
      const applied = stillFails(cand, sched);
      if (applied !== undefined) {
        cur = cand;
        sched = minimizeSchedule(cur, applied);
        improved = true;
        break;
      }
    }
  }
  return { workload: cur.workload, schedule: sched };
}

/** The indices of events whose removal keeps the failure (none, for a 1-minimal schedule). */
export function removableEvents(t: Target, schedule: readonly ScheduleEvent[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < schedule.length; i++) if (stillFails(t, [...schedule.slice(0, i), ...schedule.slice(i + 1)]) !== undefined) out.push(i);
  return out;
}
