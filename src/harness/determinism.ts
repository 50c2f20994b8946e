// A model must be deterministic: the same schedule must give the same run,
// or no verdict means anything (a model that reads Math.random, the date,
// real timers, or state left over from an earlier run). As Shuttle does, a
// failing schedule is run twice and the two traces compared; the first
// difference names the step and the context.
import type { AnyModel, MachineConfig } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import type { TraceEntry } from "../sim/machine.ts";
import { runSchedule } from "./run.ts";

/** A model whose runs differ on the same schedule. */
export class NondeterminismError extends Error {}

const show = (e: TraceEntry | undefined) => (e === undefined ? "the run ended" : `${e.ctx || "the machine"} on cpu${e.cpu}: ${e.text}`);

/** Runs the schedule twice; throws NondeterminismError at the first step where the runs differ. */
export function checkDeterministic(model: AnyModel, variant: string, config: MachineConfig, workload: unknown, schedule: readonly ScheduleEvent[], focus?: string): void {
  const runs = [0, 1].map(() => runSchedule(model, variant, config, workload, schedule, { trace: true, focus }));
  const [a, b] = runs.map((r) => r.machine.trace) as [TraceEntry[], TraceEntry[]];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && x.ctx === y.ctx && x.cpu === y.cpu && x.text === y.text) continue;
    const at = (x ?? y)!;
    const where = at.event >= 0 ? `event ${at.event}` : `drain action ${at.step}`;
    throw new NondeterminismError(
      `model ${model.name} is not deterministic: the same schedule ran two ways at ${where}: first ${show(x)}; then ${show(y)} ` +
        "(does it read Math.random, the date, a real timer, or state kept from an earlier run?)",
    );
  }
  const [fa, fb] = runs.map((r) => r.failure?.message);
  if (fa !== fb) throw new NondeterminismError(`model ${model.name} is not deterministic: the same schedule failed with '${fa}', then with '${fb}'`);
}
