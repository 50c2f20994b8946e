// Scheduler events as fast-check commands. A generated command is a proto
// event whose choices (which line, which thread) are indices resolved
// against the machine when the command runs, so every generated command
// means something in whatever state the run has reached, and shrinks well.
import fc from "fast-check";
import type { MachineConfig } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { describeEvent } from "../sim/events.ts";
import type { Failure } from "../sim/failure.ts";
import type { Machine } from "../sim/machine.ts";
import type { Run } from "./run.ts";

export type EventProto =
  | { kind: "step"; cpu: number; count: number }
  | { kind: "irq"; cpu: number; pick: number }
  | { kind: "preempt"; cpu: number; pick: number }
  | { kind: "migrate"; pick: number; cpu: number }
  | { kind: "env"; pick: number; count: number };

/** The concrete event a proto stands for now, or undefined when it is not enabled. */
export function resolve(m: Machine, p: EventProto): ScheduleEvent | undefined {
  if (p.kind === "env") {
    const all = m.envSources.flatMap((s) => s.enabled());
    return all.length === 0 ? undefined : all[p.pick % all.length];
  }
  if (p.kind === "migrate") {
    const threads = m.migratable();
    if (threads.length === 0 || m.cpus.length < 2) return undefined;
    const t = threads[p.pick % threads.length]!;
    const others = m.migrationTargets(t);
    return { kind: "migrate", thread: t.name, cpu: others[p.cpu % others.length]!.id };
  }
  const cpu = m.cpus[p.cpu];
  if (cpu === undefined) return undefined;
  switch (p.kind) {
    case "step":
      return m.canStep(cpu) ? { kind: "step", cpu: cpu.id } : undefined;
    case "irq": {
      const lines = m.deliverableLines(cpu);
      return lines.length === 0 ? undefined : { kind: "irq", cpu: cpu.id, line: lines[p.pick % lines.length]! };
    }
    case "preempt": {
      const ts = m.preemptTargets(cpu);
      return ts.length === 0 ? undefined : { kind: "preempt", cpu: cpu.id, to: ts[p.pick % ts.length]!.name };
    }
  }
}

/** Thrown out of fc.modelRun when an event broke a property. */
export class RunFailed extends Error {
  constructor(readonly failure: Failure) {
    super(`${failure.property}: ${failure.message}`);
  }
}

/** What fast-check's model and real system are here: the run, and the event a check resolved. */
export interface HuntState {
  readonly run: Run;
  staged: ScheduleEvent | undefined;
}

/**
 * One command: a proto event, resolved when it runs. A step proto carries a
 * count and runs that CPU for up to that many steps, so that interrupts and
 * preemptions land at any depth of a run without long command lists; an
 * environment proto likewise takes up to that many environment events in a
 * row (a whole grace period, say). The schedule still records every event.
 */
export class EventCommand implements fc.Command<HuntState, HuntState> {
  constructor(readonly proto: EventProto) {}
  check(s: Readonly<HuntState>): boolean {
    const e = s.run.failure === undefined ? resolve(s.run.machine, this.proto) : undefined;
    (s as HuntState).staged = e;
    return e !== undefined;
  }
  run(_m: HuntState, s: HuntState): void {
    const count = this.proto.kind === "step" || this.proto.kind === "env" ? this.proto.count : 1;
    for (let i = 0; i < count && s.staged !== undefined; i++) {
      s.run.offer(s.staged);
      if (s.run.failure !== undefined) throw new RunFailed(s.run.failure);
      s.staged = i + 1 < count ? resolve(s.run.machine, this.proto) : undefined;
    }
  }
  toString(): string {
    const p = this.proto;
    return p.kind === "step" ? `${describeEvent(p)} x${p.count}` : `${p.kind}(${Object.values(p).slice(1).join(",")})`;
  }
}

/**
 * The command arbitraries, weighted by repetition: mostly runs of steps,
 * often an interrupt or (when the model has an environment) a run of
 * environment events, sometimes a preemption or a migration (with two CPUs
 * or more).
 */
export function commandArbitraries(config: MachineConfig, opts: { env: boolean }): fc.Arbitrary<EventCommand>[] {
  const cpu = fc.nat(config.cpus - 1);
  const pick = fc.nat(7);
  const step = fc.record({ kind: fc.constant("step" as const), cpu, count: fc.integer({ min: 1, max: 8 }) }).map((p) => new EventCommand(p));
  const irq = fc.record({ kind: fc.constant("irq" as const), cpu, pick }).map((p) => new EventCommand(p));
  const preempt = fc.record({ kind: fc.constant("preempt" as const), cpu, pick }).map((p) => new EventCommand(p));
  const migrate = fc.record({ kind: fc.constant("migrate" as const), pick, cpu }).map((p) => new EventCommand(p));
  const env = fc.record({ kind: fc.constant("env" as const), pick, count: fc.integer({ min: 1, max: 4 }) }).map((p) => new EventCommand(p));
  return [step, step, step, step, irq, irq, preempt, ...(config.cpus > 1 ? [migrate] : []), ...(opts.env ? [env, env] : [])];
}
