// litmus FILE|DIR... [--memory M]...: every litmus test (the kernel's C
// format) under every memory mode, each searched completely, in a table
// beside the Result the file states for the Linux kernel memory model.
// Exit 1 on a contradiction, 2 if a file could not be read (the others still run).
import * as fs from "node:fs";
import * as path from "node:path";
import { LitmusError } from "../litmus/lexer.ts";
import { LitmusRunError } from "../litmus/explore.ts";
import { parseLitmus } from "../litmus/parse.ts";
import type { ModeVerdict } from "../litmus/verdict.ts";
import { judge } from "../litmus/verdict.ts";
import { MEMORY_MODELS, isMemoryModel } from "../sim/memory.ts";
import type { MemoryModel } from "../sim/memory.ts";
import type { Io } from "./common.ts";
import { UsageError, oneOf, parse } from "./common.ts";

/** Every .litmus file under the paths given, in order (a folder's files sorted by name). */
function litmusFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e), false);
    } else if (top || p.endsWith(".litmus")) out.push(p);
  };
  for (const p of paths) walk(p, true);
  return out;
}

export interface LitmusRow {
  file: string;
  name: string;
  result: string | undefined;
  verdicts: ModeVerdict[];
}

const cell = (v: ModeVerdict) => `${v.verdict}${v.contradicts ? "!" : ""} ${v.states}${v.deadlocks ? ` dl${v.deadlocks}` : ""}`;

export async function cmdLitmus(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("litmus", args, { memory: { type: "string", multiple: true } });
  if (positionals.length === 0) throw new UsageError("litmus needs a litmus file or a folder of them");
  const modes: MemoryModel[] = [];
  for (const m of (values.memory as string[] | undefined) ?? MEMORY_MODELS) {
    if (!isMemoryModel(m)) throw new UsageError(`--memory takes ${oneOf(MEMORY_MODELS)}, got '${m}'`);
    if (!modes.includes(m)) modes.push(m);
  }
  const files = litmusFiles(positionals);
  if (files.length === 0) throw new UsageError(`no .litmus file in ${positionals.join(", ")}`);
  const rows: LitmusRow[] = [];
  let unreadable = 0;
  const t0 = performance.now();
  for (const file of files) {
    try {
      const f = parseLitmus(fs.readFileSync(file, "utf8"));
      rows.push({ file, name: f.name, result: f.result, verdicts: judge(f, modes) });
    } catch (e) {
      if (!(e instanceof LitmusError || e instanceof LitmusRunError)) throw e;
      unreadable++;
      io.err(`${file}: ${e.message}`);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const width = Math.max(4, ...rows.map((r) => r.name.length));
  const col = Math.max(16, ...rows.flatMap((r) => r.verdicts.map((v) => cell(v).length + 2)));
  io.out(`${"test".padEnd(width)}  ${"LKMM".padEnd(10)}${modes.map((m) => m.padEnd(col)).join("")}`.trimEnd());
  for (const r of rows) io.out(`${r.name.padEnd(width)}  ${(r.result ?? "-").padEnd(10)}${r.verdicts.map((v) => cell(v).padEnd(col)).join("")}`.trimEnd());
  const bad = rows.filter((r) => r.verdicts.some((v) => v.contradicts));
  const runs = rows.length * modes.length;
  io.out(
    `${rows.length} test(s) x ${modes.length} mode(s): ${runs} complete searches in ${secs.toFixed(2)} s (${(rows.length / Math.max(secs, 1e-9)).toFixed(0)} tests/s); ` +
      `verdict and states visited per mode${bad.length ? "; ! contradicts LKMM" : ""}; ${bad.length === 0 ? "no contradiction" : `${bad.length} contradiction(s): ${bad.map((r) => r.name).join(", ")}`}` +
      (unreadable ? `; ${unreadable} file(s) not read` : ""),
  );
  return unreadable > 0 ? 2 : bad.length > 0 ? 1 : 0;
}
