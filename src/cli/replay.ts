// replay: every counterexample file given must still fail as saved, and
// pass on the model's correct variants.
import * as fs from "node:fs";
import { counterexampleFiles } from "../harness/counterexample.ts";
import type { FileReplay } from "../harness/replay.ts";
import { describeReplay, replayFile } from "../harness/replay.ts";
import type { Io } from "./common.ts";
import { UsageError, parse } from "./common.ts";
import { lookup, modelsFromFiles } from "./models.ts";

export async function cmdReplay(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("replay", args, { "model-file": { type: "string", multiple: true } });
  if (positionals.length === 0) throw new UsageError("replay needs at least one counterexample file or folder");
  for (const p of positionals) if (!fs.existsSync(p)) throw new UsageError(`${p}: no such file or folder`);
  const models = lookup(await modelsFromFiles((values["model-file"] as string[] | undefined) ?? []));
  const files = positionals.flatMap((t) => counterexampleFiles(t));
  if (files.length === 0) throw new UsageError(`no counterexample files (*.json) in ${positionals.join(", ")}`);
  const results: FileReplay[] = [];
  for (const file of files) {
    const m = await models.forFile(file);
    results.push("error" in m ? { file, error: m.error, variants: [], ok: false } : replayFile(file, m.find));
  }
  for (const r of results) {
    if (r.cx === undefined) io.err(`error: ${r.file}: ${r.error}`);
    else for (const l of describeReplay(r)) io.out(l);
  }
  const unreadable = results.filter((r) => r.cx === undefined).length;
  const bad = results.filter((r) => !r.ok).length;
  io.out(`${results.length - bad} as expected, ${bad - unreadable} not as expected, ${unreadable} unreadable`);
  return unreadable > 0 ? 2 : bad > 0 ? 1 : 0;
}
