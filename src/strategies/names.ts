// Names the strategies give contexts and events, made once and looked up
// after: a strategy names every enabled event at every step, and a new
// string each time (then hashed by the map it keys) was a measurable part of
// a run. Each name is the same string the template would make.
import type { IrqEvent, MigrateEvent, PreemptEvent } from "../sim/events.ts";
import { describeEvent } from "../sim/events.ts";

const byPrefix = new Map<string, Map<string, string>>();

/** `${prefix}${name}`. */
export function prefixed(prefix: string, name: string): string {
  let names = byPrefix.get(prefix);
  if (names === undefined) byPrefix.set(prefix, (names = new Map()));
  let s = names.get(name);
  if (s === undefined) names.set(name, (s = `${prefix}${name}`));
  return s;
}

const lines: Map<string, string>[] = [];

/** An interrupt line on one CPU: "irq <line>@cpu<n>". */
export function lineOnCpu(line: string, cpu: number): string {
  const names = (lines[cpu] ??= new Map());
  let s = names.get(line);
  if (s === undefined) names.set(line, (s = `irq ${line}@cpu${cpu}`));
  return s;
}

const described = new Map<string, Map<string, string>[]>(); // kind -> per CPU, line or thread -> describeEvent()

/** describeEvent() of an interrupt, a preemption or a migration ("irq eth0 on cpu1"). */
export function describedOnCpu(e: IrqEvent | PreemptEvent | MigrateEvent): string {
  let perCpu = described.get(e.kind);
  if (perCpu === undefined) described.set(e.kind, (perCpu = []));
  const names = (perCpu[e.cpu] ??= new Map());
  const what = e.kind === "irq" ? e.line : e.kind === "preempt" ? e.to : e.thread;
  let s = names.get(what);
  if (s === undefined) names.set(what, (s = describeEvent(e)));
  return s;
}
