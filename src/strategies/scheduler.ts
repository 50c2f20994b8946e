// A schedule source that decides, run by run and step by step, which enabled
// event comes next (Shuttle's Scheduler: "an oracle that decides the order").
// Whatever it chooses is recorded as the run's schedule, so a failure it
// finds is shrunk, saved and replayed like any other.
import type { ScheduleEvent } from "../sim/events.ts";
import type { Machine } from "../sim/machine.ts";

export interface Scheduler {
  /** Starts the next run: the index of the workload it uses; undefined when there is nothing left to try. */
  newRun(): { workload: number } | undefined;
  /**
   * The next event of this run, among `enabled` (in the machine's fixed
   * order); `machine` may be looked at, not changed (machine.defaultNext()
   * is what the default policy would take). Undefined ends the schedule: the
   * default drain finishes the run.
   */
  next(enabled: readonly ScheduleEvent[], machine: Machine): ScheduleEvent | undefined;
  /** The run has ended. */
  endRun?(failed: boolean): void;
  /** What the strategy has to say about its search so far, for reports. */
  report?(): Record<string, number | string | boolean>;
}

export interface SchedulerOptions {
  seed: number;
  /** PCT: bug depth d. */
  depth: number;
  /** Exhaustive: the highest cost of a schedule it tries. */
  bound: number;
  /** Exhaustive: what a choice other than the default's costs (default: preemption). */
  boundKind?: BoundKind;
  /** Exhaustive: whether workload i is the first of its value (an equal one earlier is not searched again). */
  distinct?: (i: number) => boolean;
  /** Exhaustive: how many workloads to search in full. */
  workloads: number;
  /** This search's part of a hunt split several ways (exhaustive takes every count-th workload). */
  shard: { index: number; count: number };
}

/** How exhaustive search counts a schedule's cost: CHESS's preemptions, delays (Emmi et al.), or any deviation from the default. */
export const BOUND_KINDS = ["preemption", "delay", "deviation"] as const;
export type BoundKind = (typeof BOUND_KINDS)[number];

export interface StrategyDef {
  readonly name: string;
  readonly description: string;
  /** The options it reads, with their meaning. */
  readonly options: readonly ("depth" | "bound" | "workloads")[];
  create(o: SchedulerOptions): Scheduler;
}

/** A context in PCT's sense, and a name for an event's kind of choice: one per CPU, line, thread, source. */
export function contextOf(e: ScheduleEvent): string {
  switch (e.kind) {
    case "step":
      return `step cpu${e.cpu}`;
    case "irq":
      return `irq ${e.line}@cpu${e.cpu}`;
    case "preempt":
      return `preempt cpu${e.cpu}>${e.to}`;
    case "migrate":
      return `migrate ${e.thread}>cpu${e.cpu}`;
    case "env":
      return `env ${e.source} ${e.arg ?? ""}`;
  }
}

export function sameEvent(a: ScheduleEvent | undefined, b: ScheduleEvent | undefined): boolean {
  return a !== undefined && b !== undefined && contextOf(a) === contextOf(b);
}

/** Two 32-bit FNV-1a-style hashes of a string, as a short name for a long one. */
export function hashString(s: string): string {
  let h = 0x811c9dc5;
  let g = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    g = Math.imul(g ^ s.charCodeAt(i), 0x811c9dc5) + i;
  }
  return `${(h >>> 0).toString(36)}.${(g >>> 0).toString(36)}`;
}
