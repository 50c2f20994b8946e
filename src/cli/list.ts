// list: the models, their variants and properties.
import { MACHINE_PROPERTIES, variantConfig } from "../kernel/model.ts";
import { MODELS } from "../models/index.ts";
import type { Io } from "./common.ts";
import { UsageError, parse } from "./common.ts";
import { modelsFromFiles } from "./models.ts";

export async function cmdList(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("list", args, { json: { type: "boolean" }, "model-file": { type: "string", multiple: true } });
  if (positionals.length > 0) throw new UsageError(`list takes no arguments, got '${positionals[0]}'`);
  const own = await modelsFromFiles((values["model-file"] as string[] | undefined) ?? []);
  const data = [...MODELS, ...own].map((m) => ({
    name: m.name,
    description: m.description,
    variants: Object.entries(m.variants).map(([name, v]) => ({ name, correct: v.correct, description: v.description, config: variantConfig(m, name) })),
    properties: { ...m.properties, ...MACHINE_PROPERTIES },
  }));
  const { out } = io;
  if (values.json) {
    out(JSON.stringify({ models: data }, null, 2));
    return 0;
  }
  for (const m of data) {
    out(`${m.name}: ${m.description}`);
    out("  variants:");
    table(m.variants.map((v) => [v.name, `${v.correct ? "correct" : "buggy  "}  ${v.description}`]), out);
    out("  properties:");
    table(Object.entries(m.properties).filter(([p]) => !(p in MACHINE_PROPERTIES)), out);
  }
  out("every model is also checked for:");
  table(Object.entries(MACHINE_PROPERTIES), out);
  return 0;
}

/** Rows of a name and its text, the texts in one column: each name padded to the longest name of the table, and a space. */
function table(rows: [string, string][], out: (line: string) => void): void {
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  for (const [name, text] of rows) out(`    ${name.padEnd(width)} ${text}`);
}
