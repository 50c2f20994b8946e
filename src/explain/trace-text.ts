// A counterexample as text: its header, then one column per CPU and one
// row per machine action, the failing row and its property marked.
import type { AnyModel } from "../kernel/model.ts";
import type { TraceEntry } from "../sim/machine.ts";
import type { Counterexample } from "../harness/counterexample.ts";
import { runSchedule } from "../harness/run.ts";

const MAX_COL = 64;
/** A trace longer than this shows its first and last rows only (a saved counterexample has tens). */
const HEAD_ROWS = 400;
const TAIL_ROWS = 100;
/** A message or a list longer than this is cut, saying how much was left out. */
const MAX_TEXT = 2000;
const MAX_LISTED = 10;

const cut = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length - MAX_TEXT} more characters)` : s);

function fit(s: string, width: number): string {
  return s.length > width ? s.slice(0, width - 1) + "…" : s.padEnd(width);
}

export function renderTrace(cx: Counterexample, model: AnyModel): string {
  const run = runSchedule(model, cx.variant, cx.config, cx.workload, cx.schedule, { trace: true, focus: cx.property });
  const f = run.failure;
  const out: string[] = [];
  out.push(`${cx.model} / ${cx.variant}: ${cx.property}`);
  out.push(`  ${cut(cx.failure.message)}`);
  out.push(`config    ${Object.entries(cx.config).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  out.push(`workload  ${cut(JSON.stringify(cx.workload))}`);
  out.push(`schedule  ${cx.schedule.length} event(s), then the default drain (its actions are rows dN)`);
  out.push(`found     ${cx.found.strategy}, seed ${cx.found.seed}, run ${cx.found.runs}, fast-check ${cx.found.fastCheck}, ${cx.found.date}`);
  out.push("");

  const cpus = cx.config.cpus;
  const cell = (e: TraceEntry) => `${"  ".repeat(Math.max(0, e.depth - (e.ctx === "" ? 0 : 1)))}${e.depth > 0 && e.ctx !== "" ? "⚡" : ""}${e.ctx ? `${e.ctx}: ` : ""}${e.text}`;
  const widths = Array.from({ length: cpus }, (_, c) => Math.min(MAX_COL, Math.max(8, ...run.machine.trace.filter((e) => e.cpu === c).map((e) => cell(e).length))));
  const hasMachine = run.machine.trace.some((e) => e.cpu < 0);
  const header = ["  event", ...widths.map((w, c) => fit(`cpu${c}`, w)), ...(hasMachine ? ["machine"] : [])];
  out.push(header.join(" | ").trimEnd());
  out.push(header.map((h, i) => "-".repeat(i === 0 ? 7 : i <= cpus ? widths[i - 1]! : 7)).join("-+-"));
  let lastEvent = -2;
  let lastStep = -1;
  const trace = run.machine.trace;
  const left = trace.length > HEAD_ROWS + TAIL_ROWS ? trace.length - HEAD_ROWS - TAIL_ROWS : 0;
  for (const [i, e] of trace.entries()) {
    if (left > 0 && i >= HEAD_ROWS && i < HEAD_ROWS + left) {
      if (i === HEAD_ROWS) out.push(`  ${"…".padStart(5)} | (${left} rows left out: a trace this long is not one a hunt saves)`);
      continue;
    }
    const failing = f !== undefined && e.step === f.step;
    // A scheduled event's index; in the drain, each action's number (dN), as failure messages name it ("drain action N").
    const label = e.event >= 0 ? (e.event === lastEvent ? "" : String(e.event)) : e.step === lastStep ? "" : `d${e.step}`;
    lastEvent = e.event;
    lastStep = e.step;
    const cols = widths.map((w, c) => fit(e.cpu === c ? cell(e) : "", w));
    if (hasMachine) cols.push(e.cpu < 0 ? cell(e) : "");
    out.push(`${failing ? ">>" : "  "}${label.padStart(5)} | ${cols.join(" | ")}`.trimEnd());
  }
  if (f !== undefined) {
    out.push("");
    out.push(`>> ${f.property} broken at ${f.event < cx.schedule.length ? `event ${f.event}` : "the drain"}${f.contexts.length ? ` (${f.contexts.join(", ")})` : ""}: ${cut(f.message)}`);
  } else {
    out.push("");
    out.push("(this replay breaks no property)");
  }
  if (run.skipped.length > 0) {
    const more = run.skipped.length > MAX_LISTED ? `, and ${run.skipped.length - MAX_LISTED} more` : "";
    out.push(`skipped (not enabled at their turn): events ${run.skipped.slice(0, MAX_LISTED).map((s) => s.index).join(", ")}${more}`);
  }
  return out.join("\n");
}
