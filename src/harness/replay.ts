// Replaying a saved counterexample: it must still break its property on the
// variant it was found on, and must not break anything on the model's
// correct variants.
import type { AnyModel } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import type { Failure } from "../sim/failure.ts";
import type { Counterexample } from "./counterexample.ts";
import { counterexampleFiles, readCounterexampleFile } from "./counterexample.ts";
import { runSchedule } from "./run.ts";

export interface VariantReplay {
  variant: string;
  /** "fail": must break the file's property; "pass": must break nothing. */
  expect: "fail" | "pass";
  failure?: Failure;
  skipped: { index: number; event: ScheduleEvent }[];
  /** For a correct variant: the event the failure happened at was not enabled here, so it was not put to the test. */
  decisiveSkipped?: boolean;
  ok: boolean;
}

export interface FileReplay {
  file: string;
  /** Set when the file could not be read or validated. */
  error?: string;
  cx?: Counterexample;
  variants: VariantReplay[];
  ok: boolean;
}

export function replayCounterexample(cx: Counterexample, model: AnyModel): VariantReplay[] {
  const out: VariantReplay[] = [];
  const one = (variant: string, expect: "fail" | "pass") => {
    // On its own variant the file's property is the one asked about (as a hunt with --property found it).
    const r = runSchedule(model, variant, cx.config, cx.workload, cx.schedule, expect === "fail" ? { focus: cx.property } : {});
    const ok = expect === "fail" ? r.failure?.property === cx.property : r.failure === undefined;
    const decisiveSkipped = expect === "pass" && r.skipped.some((s) => s.index === cx.failure.event);
    out.push({ variant, expect, failure: r.failure, skipped: r.skipped, decisiveSkipped, ok });
  };
  one(cx.variant, "fail");
  for (const [name, v] of Object.entries(model.variants)) if (v.correct && name !== cx.variant) one(name, "pass");
  return out;
}

/**
 * An event that names what the model's run never has (an interrupt line, a
 * thread, a CPU, an environment source) is a mistake in the file, not an
 * event that happened not to be enabled: the first such, as one line.
 */
export function unknownInSchedule(cx: Counterexample, model: AnyModel): string | undefined {
  const m = runSchedule(model, cx.variant, cx.config, cx.workload, cx.schedule, { focus: cx.property }).machine;
  const problems: string[] = [];
  const cpu = (n: number) => (Number.isInteger(n) && n >= 0 && n < m.cpus.length ? undefined : `cpu${n}, but the machine has ${m.cpus.length} CPU(s)`);
  cx.schedule.forEach((e, i) => {
    let why: string | undefined;
    if (e.kind === "env") why = m.envSources.some((s) => s.name === e.source) ? undefined : `environment source '${e.source}', which the model's run never has`;
    else if (e.kind === "migrate") why = cpu(e.cpu) ?? (m.thread(e.thread) === undefined ? `thread '${e.thread}', which the model never creates` : undefined);
    else {
      why = cpu(e.cpu);
      if (why === undefined && e.kind === "irq" && !m.hasIrqLine(e.line)) why = `interrupt line '${e.line}', which the model never registers`;
      if (why === undefined && e.kind === "preempt" && m.thread(e.to) === undefined) why = `thread '${e.to}', which the model never creates`;
    }
    if (why !== undefined) problems.push(`event ${i} names ${why}`);
  });
  if (problems.length === 0) return undefined;
  return problems[0]! + (problems.length > 1 ? ` (and ${problems.length - 1} more)` : "");
}

export function replayFile(file: string, findModel: (name: string) => AnyModel | undefined): FileReplay {
  const r = readCounterexampleFile(file, findModel);
  if ("error" in r) return { file, error: r.error, variants: [], ok: false };
  const unknown = unknownInSchedule(r.cx, r.model);
  if (unknown !== undefined) return { file, error: unknown, variants: [], ok: false };
  const variants = replayCounterexample(r.cx, r.model);
  const declaredCorrect = r.model.variants[r.cx.variant]!.correct;
  return {
    file,
    cx: r.cx,
    variants,
    error: declaredCorrect ? `it fails variant ${r.cx.variant}, which the model declares correct` : undefined,
    ok: !declaredCorrect && variants.every((v) => v.ok),
  };
}

/** Replays every counterexample file found under the given files and folders. */
export function replayAll(targets: string[], findModel: (name: string) => AnyModel | undefined): FileReplay[] {
  return targets.flatMap((t) => counterexampleFiles(t)).map((f) => replayFile(f, findModel));
}

/** How many skipped events a replay names before it only counts the rest. */
const SKIPPED_SHOWN = 10;

/** One line per variant replayed, for the terminal. */
export function describeReplay(r: FileReplay): string[] {
  if (r.cx === undefined) return [`${r.file}: ${r.error}`];
  const lines = [`${r.file}: ${r.ok ? "as expected" : "NOT as expected"}`];
  if (r.error) lines.push(`  ${r.error}`);
  for (const v of r.variants) {
    const at = (e: number) => (e >= r.cx!.schedule.length ? "in the drain" : `at event ${e}`);
    const got = v.failure ? `breaks ${v.failure.property} ${at(v.failure.event)}: ${v.failure.message}` : "breaks nothing";
    const want = v.expect === "fail" ? `must break ${r.cx.property}` : "must break nothing";
    const shown = v.skipped.slice(0, SKIPPED_SHOWN).map((s) => s.index);
    const more = v.skipped.length > SKIPPED_SHOWN ? `, and ${v.skipped.length - SKIPPED_SHOWN} more` : "";
    const skipped = v.skipped.length > 0 ? ` (${v.skipped.length} event(s) not enabled, skipped: ${shown.join(", ")}${more})` : "";
    const note = v.decisiveSkipped ? `; note: event ${r.cx.failure.event}, where the failure happened, cannot happen here` : "";
    lines.push(`  ${v.ok ? "ok " : "BAD"} ${v.variant}: ${want}; ${got}${skipped}${note}`);
  }
  return lines;
}
