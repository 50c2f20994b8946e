// Reduces a failing case until its schedule is 1-minimal: removing any
// single event makes the failure (of that property) vanish. The workload is
// shrunk further first, with the workload arbitrary's own shrinker.
import type { Arbitrary } from "fast-check";
import type { MachineConfig, ModelDefinition } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { runSchedule } from "./run.ts";

export interface Target {
  model: ModelDefinition<unknown>;
  variant: string;
  config: MachineConfig;
  workload: unknown;
  property: string;
}

/** The events a run of `schedule` really applies, if it still breaks the property; else undefined. */
export function stillFails(t: Target, schedule: readonly ScheduleEvent[]): ScheduleEvent[] | undefined {
  const r = runSchedule(t.model, t.variant, t.config, t.workload, schedule);
  return r.failure?.property === t.property ? r.applied : undefined;
}

/** Removes events, chunks first, then one at a time until no single event can go. */
export function minimizeSchedule(t: Target, schedule: readonly ScheduleEvent[]): ScheduleEvent[] {
  let cur = stillFails(t, schedule);
  if (cur === undefined) throw new Error(`the schedule to minimize does not break ${t.property}`);
  for (let size = Math.floor(cur.length / 2); size > 1; size = Math.floor(size / 2)) {
    for (let i = 0; i + size <= cur.length; ) {
      const smaller = stillFails(t, [...cur.slice(0, i), ...cur.slice(i + size)]);
      if (smaller !== undefined) cur = smaller;
      else i += size;
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < cur.length; ) {
      const smaller = stillFails(t, [...cur.slice(0, i), ...cur.slice(i + 1)]);
      if (smaller !== undefined) {
        cur = smaller;
        changed = true;
      } else i++;
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
