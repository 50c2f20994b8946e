// One order for events that do not depend on each other. Two strategies
// that found the same failure by runs differing only in the order of steps
// that touch nothing in common (cpu1's store to y before or after cpu0's
// store to x) hold the same interleaving in the sense of Mazurkiewicz
// traces; putting the events of each in one fixed order (the least by
// name among those whose predecessors are placed) makes their files one.
//
// Only for a model that shares state only in memory words and spinlocks
// (shared_state_in_memory_only()): elsewhere every step is opaque, and
// every event depends on every other.
import type { ScheduleEvent } from "../sim/events.ts";
import { describeEvent } from "../sim/events.ts";
import type { Footprint } from "../sim/footprint.ts";
import { dependent } from "../strategies/independence.ts";
import type { Target } from "./minimize.ts";
import { Run } from "./run.ts";

/** The footprint of each event as `schedule` runs; undefined if an event is not enabled at its turn or the run ends first. */
function footprints(t: Target, schedule: readonly ScheduleEvent[]): Footprint[] | undefined {
  const run = new Run(t.model, t.variant, t.config, structuredClone(t.workload), { focus: t.property });
  const m = run.machine;
  if (!m.sharesOnlyMemory) return undefined;
  m.recordFootprints();
  const out: Footprint[] = [];
  for (const e of schedule) {
    if (run.failure !== undefined || !run.offer(e)) return undefined;
    out.push(m.footprint()!);
  }
  return out;
}

/**
 * The schedule's events, each after every earlier event it depends on, and
 * otherwise in the order of their names; the schedule itself where the
 * machine cannot tell its events apart. The caller checks the result still
 * fails as the schedule did.
 */
export function canonicalOrder(t: Target, schedule: readonly ScheduleEvent[]): ScheduleEvent[] {
  const prints = footprints(t, schedule);
  if (prints === undefined) return [...schedule];
  const n = schedule.length;
  const names = schedule.map(describeEvent);
  // before[j]: the earlier events j depends on, all of which must be placed first.
  const before = schedule.map((_, j) => Array.from({ length: j }, (_, i) => i).filter((i) => dependent(prints[i]!, prints[j]!)));
  const placed = new Array<boolean>(n).fill(false);
  const out: ScheduleEvent[] = [];
  while (out.length < n) {
    let next = -1;
    for (let j = 0; j < n; j++) {
      if (placed[j] || !before[j]!.every((i) => placed[i])) continue;
      if (next < 0 || names[j]! < names[next]!) next = j;
    }
    placed[next] = true;
    out.push(schedule[next]!);
  }
  return out;
}
