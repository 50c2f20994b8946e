// One run: a model's world on a fresh machine, events applied one by one,
// then the drain and the final checks.
import { takeLinearized } from "../kernel/linearize.ts";
import { installKernel } from "../kernel/lockdep.ts";
import { failslab_init } from "../kernel/sleep.ts";
import { cpuhp_events_init } from "../kernel/cpu.ts";
import type { AnyModel, MachineConfig } from "../kernel/model.ts";
import { allProperties } from "../kernel/model.ts";
import { setBooting } from "../sim/current.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import type { Failure, Violation } from "../sim/failure.ts";
import { Machine } from "../sim/machine.ts";
import { isMemoryModel, MEMORY_MODELS } from "../sim/memory.ts";
import { RunCoverage } from "../strategies/coverage.ts";

export interface RunOptions {
  trace?: boolean;
  /** The property asked about: other properties' violations do not end the run where it can go on. */
  focus?: string;
  /** Gather the run's reads-from pairs (coverage.ts), for a search steered by them. */
  coverage?: boolean;
}

/**
 * Runs a check; a check that throws is reported as an oops of the model, not
 * as an error of the harness. The kernel API reads the checked machine (ktime_get()).
 */
function guarded(m: Machine, name: string, check: () => Violation | undefined): { property: string; violation: Violation } | undefined {
  setBooting(m);
  try {
    const v = check();
    return v === undefined ? undefined : { property: name, violation: v };
  } catch (err) {
    return { property: "oops", violation: `check ${name} crashed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    setBooting(null);
  }
}

/** Every property a model may check, made once per model (a hunt makes a run thousands of times a second). */
const declaredOf = new WeakMap<AnyModel, Set<string>>();
function declaredProperties(model: AnyModel): Set<string> {
  let s = declaredOf.get(model);
  if (s === undefined) declaredOf.set(model, (s = new Set(allProperties(model))));
  return s;
}

/** A check's name must be one of the model's properties. */
function mustBeDeclared(model: AnyModel, name: string): void {
  if (!declaredProperties(model).has(name))
    throw new Error(`model ${model.name}: its setup() checks '${name}', which is not one of its properties (declared: ${Object.keys(model.properties).join(", ") || "none"})`);
}

export class Run {
  readonly machine: Machine;
  /** The events that were applied, in order: the schedule this run really followed. */
  readonly applied: ScheduleEvent[] = [];
  /** Events offered but not enabled at their turn (replay reports them). */
  readonly skipped: { index: number; event: ScheduleEvent }[] = [];
  /** The run's reads-from pairs, when asked for. */
  readonly coverage: RunCoverage | undefined;
  private offered = 0;
  private finished = false;
  private readonly finals: [string, () => Violation | undefined][];

  constructor(
    readonly model: AnyModel,
    readonly variant: string,
    readonly config: MachineConfig,
    readonly workload: unknown,
    opts: RunOptions = {},
  ) {
    if (model.variants[variant] === undefined) throw new Error(`model ${model.name} has no variant '${variant}'`);
    const memory = config.memory;
    if (memory !== undefined && !isMemoryModel(memory)) throw new Error(`memory must be one of ${MEMORY_MODELS.join(", ")}, got '${memory}'`);
    this.machine = new Machine({ cpus: config.cpus, maxSteps: config.maxSteps, trace: opts.trace ?? false, memory });
    this.machine.focus = opts.focus;
    installKernel(this.machine, { lockdep: config.lockdep !== 0 });
    failslab_init(this.machine, Number(config.failslab ?? 0));
    setBooting(this.machine);
    let instance;
    try {
      instance = model.setup(variant, workload, config);
      cpuhp_events_init(this.machine, Number(config.hotplug ?? 0));
    } finally {
      setBooting(null);
    }
    // A model with no checks of its own (the machine's are enough) returns nothing.
    if (instance === undefined || instance === null) instance = {};
    if (typeof instance !== "object")
      throw new Error(`model ${model.name}: setup() returned ${String(instance)}; it must return nothing or { invariants?, finals?, sequential? }`);
    for (const name of Object.keys(instance.invariants ?? {})) mustBeDeclared(model, name);
    for (const name of Object.keys(instance.finals ?? {})) mustBeDeclared(model, name);
    if (instance.sequential) mustBeDeclared(model, instance.sequential.property);
    const invariants = Object.entries(instance.invariants ?? {});
    const sequential = instance.sequential;
    const m = this.machine;
    m.hooks.afterStep = () => {
      // First the operations this step completed, against the sequential model; then the invariants.
      const ops = takeLinearized(m);
      for (let i = 0; i < ops.length; i++) {
        const v = sequential?.apply(ops[i]);
        if (v !== undefined) return m.fail(sequential!.property, v);
      }
      for (const [name, check] of invariants) {
        const v = guarded(m, name, check);
        if (v !== undefined) return m.fail(v.property, v.violation);
      }
    };
    this.finals = Object.entries(instance.finals ?? {});
    this.coverage = opts.coverage ? new RunCoverage(m) : undefined;
  }


  get failure(): Failure | undefined {
    return this.machine.failure;
  }

  /** Offers the next event of a schedule; applies it if enabled at this point (`known`: the caller has just found it enabled). */
  offer(e: ScheduleEvent, known = false): boolean {
    const index = this.offered++;
    if (this.failure !== undefined) return false;
    if (this.machine.apply(e, index, known)) {
      this.applied.push(e);
      return true;
    }
    this.skipped.push({ index, event: e });
    return false;
  }

  /** Drains with the default policy and runs the final checks. */
  finish(): Failure | undefined {
    if (!this.finished) {
      this.finished = true;
      if (this.failure === undefined) this.machine.drain(this.offered);
      if (this.failure === undefined) {
        for (const [name, check] of this.finals) {
          const v = guarded(this.machine, name, check);
          if (v !== undefined) this.machine.fail(v.property, v.violation);
          if (this.failure !== undefined) break;
        }
      }
    }
    return this.failure;
  }
}

/** Runs a whole schedule and returns the finished run. */
export function runSchedule(model: AnyModel, variant: string, config: MachineConfig, workload: unknown, schedule: readonly ScheduleEvent[], opts: RunOptions = {}): Run {
  const run = new Run(model, variant, config, workload, opts);
  for (const e of schedule) {
    if (run.failure !== undefined) break;
    run.offer(e);
  }
  run.finish();
  return run;
}
