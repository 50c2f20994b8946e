// Every command the README and the docs pages show runs as shown: no usage
// error, exit 0 or 1. What a command would write goes to a scratch folder,
// and long hunts are cut to a few runs. Placeholders (<model>, path/to/...)
// and the walkthrough's own files (its test runs those) are left out.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, root, tmp } from "./helpers/cli.ts";

const PROG = "npx tsx src/cli.ts ";
const pages = ["README.md", ...fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The command lines in a page's code blocks, comments cut off. */
function commands(page: string): string[] {
  const text = fs.readFileSync(path.join(root, page), "utf8");
  const out: string[] = [];
  let inBlock = false;
  for (const line of text.split("\n")) {
    if (line.trim().startsWith("```")) inBlock = !inBlock;
    else if (inBlock && line.trim().startsWith(PROG)) out.push(line.trim().slice(PROG.length).replace(/\s+#.*$/, "").trim());
  }
  return out;
}

const placeholder = (c: string) => /[<>]|path\/to|counterexamples\/ticket-lock/.test(c);

/** The command as run here: its files in `dir`, at most 100 runs. */
function scratch(args: string[], dir: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--out" || a === "--html" || a === "--svg") {
      out.push(a, path.join(dir, path.basename(args[++i]!)));
    } else if (a === "--runs") {
      out.push(a, String(Math.min(100, Number(args[++i]))));
    } else out.push(a);
  }
  if (out[0] === "hunt" && !out.includes("--out")) out.push("--out", path.join(dir, "counterexamples"));
  if (out[0] === "hunt" && !out.includes("--runs")) out.push("--runs", "100");
  return out;
}

describe("the commands the docs show", () => {
  const all = [...new Set(pages.flatMap(commands))];

  it("are found (the pages do show commands)", () => {
    expect(all.length).toBeGreaterThan(8);
  });

  for (const command of all.filter((c) => !placeholder(c))) {
    it(command, async () => {
      const r = await cli(scratch(command.split(/\s+/), tmp()));
      expect(r.err, r.err).not.toMatch(/^error:/m);
      expect([0, 1], `exit ${r.code}: ${r.err}`).toContain(r.code);
    });
  }
});
