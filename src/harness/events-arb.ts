// Scheduler events for fast-check. A generated command is a proto event
// whose choices (which line, which thread) are indices resolved against the
// machine when it is played, so every command means something in whatever
// state the run has reached, and shrinks well.
//
// The search generates them cheaply, as codes into a table of protos,
// drawing from fast-check's random source exactly what its command lists
// (fc.commands) would draw: run k of a seed is the same case either way. A
// code is drawn only when it is played (each run draws from a random source
// of its own, so what one run leaves undrawn changes no other), and a run
// whose machine can do nothing more plays no further codes. A failure whose
// case the reduction needs (hunt.ts: shrinkWithFastCheck) is shrunk with
// fast-check's own command lists, regenerated for that run, so it shrinks
// as it always has.
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

type Kind = EventProto["kind"];

/** The environment event at `pick` among every source's enabled ones, without building their concatenation. */
function resolveEnv(m: Machine, pick: number): ScheduleEvent | undefined {
  const lists = m.envSources.map((s) => s.enabled());
  let total = 0;
  for (const l of lists) total += l.length;
  if (total === 0) return undefined;
  let i = pick % total;
  for (const l of lists) {
    if (i < l.length) return l[i];
    i -= l.length;
  }
  return undefined;
}

/** The concrete event a proto stands for now, or undefined when it is not enabled. */
export function resolve(m: Machine, p: EventProto): ScheduleEvent | undefined {
  if (p.kind === "env") return resolveEnv(m, p.pick);
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
      return m.canStep(cpu) ? m.stepEvent(cpu.id) : undefined;
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

/**
 * Plays a proto whose event `first` is enabled: a step or environment proto
 * goes on for up to its count while it stays enabled, so that interrupts and
 * preemptions land at any depth of a run without long command lists. Stops
 * at a failure. The run records every event.
 */
function playFrom(run: Run, p: EventProto, first: ScheduleEvent): void {
  const count = p.kind === "step" || p.kind === "env" ? p.count : 1;
  let e: ScheduleEvent | undefined = first;
  for (let i = 0; e !== undefined; ) {
    run.offer(e, true); // resolve() found it enabled
    if (run.failure !== undefined || ++i >= count) return;
    e = resolve(run.machine, p);
  }
}

/** Each kind's choices, in the order fast-check's record draws them: [name, min, max]. */
function fieldsOf(kind: Kind, cpus: number): [string, number, number][] {
  const cpu: [string, number, number] = ["cpu", 0, cpus - 1];
  const pick: [string, number, number] = ["pick", 0, 7];
  switch (kind) {
    case "step":
      return [cpu, ["count", 1, 8]];
    case "irq":
    case "preempt":
      return [cpu, pick];
    case "migrate":
      return [pick, cpu];
    case "env":
      return [pick, ["count", 1, 4]];
  }
}

/**
 * The kinds of command, weighted by repetition: mostly runs of steps, often
 * an interrupt or (when the model has an environment) a run of environment
 * events, sometimes a preemption or a migration (with two CPUs or more).
 */
function commandKinds(config: MachineConfig, opts: { env: boolean }): Kind[] {
  return ["step", "step", "step", "step", "irq", "irq", "preempt", ...(config.cpus > 1 ? ["migrate" as const] : []), ...(opts.env ? ["env" as const, "env" as const] : [])];
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

/** One command of fast-check's command lists (used to shrink): a proto event, resolved when it runs. */
export class EventCommand implements fc.Command<HuntState, HuntState> {
  constructor(readonly proto: EventProto) {}
  check(s: Readonly<HuntState>): boolean {
    const e = s.run.failure === undefined ? resolve(s.run.machine, this.proto) : undefined;
    (s as HuntState).staged = e;
    return e !== undefined;
  }
  run(_m: HuntState, s: HuntState): void {
    playFrom(s.run, this.proto, s.staged!);
    s.staged = undefined;
    if (s.run.failure !== undefined) throw new RunFailed(s.run.failure);
  }
  toString(): string {
    const p = this.proto;
    return p.kind === "step" ? `${describeEvent(p)} x${p.count}` : `${p.kind}(${Object.values(p).slice(1).join(",")})`;
  }
}

/** The command arbitraries for fc.commands, one per entry of commandKinds. */
export function commandArbitraries(config: MachineConfig, opts: { env: boolean }): fc.Arbitrary<EventCommand>[] {
  return commandKinds(config, opts).map((kind) => {
    const fields = Object.fromEntries(fieldsOf(kind, config.cpus).map(([name, min, max]) => [name, fc.integer({ min, max })]));
    return fc.record({ kind: fc.constant(kind), ...fields }).map((p) => new EventCommand(p as EventProto));
  });
}

/**
 * Every proto each kind can take, in one table, and how a command's draws
 * index it. A kind's protos are listed first choice fastest, so the index
 * of drawn choices c0, c1 is base + (c0 - min0) + (c1 - min1) * size0.
 */
export class CodeTable {
  readonly protos: EventProto[] = [];
  /** Per entry of commandKinds: the kind's first index in `protos` and its fields. */
  readonly slots: { base: number; fields: [string, number, number][] }[];

  constructor(config: MachineConfig, opts: { env: boolean }) {
    const bases = new Map<Kind, number>();
    this.slots = commandKinds(config, opts).map((kind) => {
      const fields = fieldsOf(kind, config.cpus);
      if (!bases.has(kind)) bases.set(kind, this.addProtos(kind, fields));
      return { base: bases.get(kind)!, fields };
    });
  }

  /** Appends every combination of a kind's choices; returns where they start. */
  private addProtos(kind: Kind, fields: [string, number, number][]): number {
    const base = this.protos.length;
    // Each later field varies slower: the first one is fastest.
    let combos: Record<string, number>[] = [{}];
    for (const [name, min, max] of fields) {
      const next: Record<string, number>[] = [];
      for (let v = min; v <= max; v++) for (const c of combos) next.push({ ...c, [name]: v });
      combos = next;
    }
    for (const c of combos) this.protos.push({ kind, ...c } as EventProto);
    return base;
  }

  /** Draws one command as fc.oneof over fc.record arbitraries does (with no bias): the slot, each field, the record's null-prototype flag. */
  draw(mrng: fc.Random): number {
    const slot = this.slots[mrng.nextInt(0, this.slots.length - 1)]!;
    let index = 0;
    let stride = 1;
    for (const [, min, max] of slot.fields) {
      index += (mrng.nextInt(min, max) - min) * stride;
      stride *= max - min + 1;
    }
    mrng.nextInt(0, 1);
    return slot.base + index;
  }
}

/**
 * A code list as fc.commands(commandArbitraries, { maxCommands, size: "max" })
 * draws its command lists: a length uniform in [0, maxCommands], then each
 * command, here drawn when first asked for. A run usually ends (its threads
 * done) long before its list does: most codes are never drawn.
 */
export class Codes {
  private readonly drawn: number[] = [];
  constructor(
    readonly length: number,
    private readonly table: CodeTable,
    private readonly mrng: fc.Random,
  ) {}
  at(i: number): number {
    while (this.drawn.length <= i) this.drawn.push(this.table.draw(this.mrng));
    return this.drawn[i]!;
  }
  /** Every code, drawn now. */
  all(): number[] {
    if (this.length > 0) this.at(this.length - 1);
    return this.drawn.slice();
  }
}

/** Code lists for the search; not shrunk (the search stops at the first failure; the command lists shrink it, where it is shrunk). */
export class CodesArbitrary extends fc.Arbitrary<Codes> {
  constructor(
    private readonly table: CodeTable,
    private readonly maxCommands: number,
  ) {
    super();
  }
  generate(mrng: fc.Random): fc.Value<Codes> {
    // The Random is this run's own (fast-check clones the source for each run), so drawing later draws the same.
    return new fc.Value(new Codes(mrng.nextInt(0, this.maxCommands), this.table, mrng), undefined);
  }
  canShrinkWithoutContext(_value: unknown): _value is Codes {
    return false;
  }
  shrink(): fc.Stream<fc.Value<Codes>> {
    return fc.Stream.nil();
  }
}

/**
 * Plays codes on a run as fc.modelRun plays their commands: a code whose
 * event is not enabled is passed over. Once nothing at all is enabled, no
 * later code can be (only an event changes the machine), so the rest are
 * neither drawn nor tried.
 */
export function play(run: Run, table: CodeTable, codes: Codes): void {
  for (let i = 0; i < codes.length && run.failure === undefined; i++) {
    const p = table.protos[codes.at(i)]!;
    const e = resolve(run.machine, p);
    if (e !== undefined) playFrom(run, p, e);
    else if (!run.machine.anyEnabled()) return;
  }
}
