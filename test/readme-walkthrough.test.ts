// The walkthrough in docs/writing-models.md is true: it shows the ticket
// lock and its test file as they are, and the output of its commands as
// they print it (the times aside).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { renderHtml } from "../src/explain/picture-html.ts";
import { cli, jsonFiles, root, tmp } from "./helpers/cli.ts";
import { readSaved } from "./helpers/saved.ts";

const page = fs.readFileSync(path.join(root, "docs", "writing-models.md"), "utf8");
const walkthrough = page.slice(page.indexOf("## Walkthrough: a ticket lock"), page.indexOf("## The vitest helper"));
/** The output block that follows the block showing `command`: what the walkthrough says it prints. */
const outputAfter = (command: string) => {
  const at = walkthrough.indexOf(`\n${command}\n\`\`\`\n`);
  expect(at, command).toBeGreaterThan(0);
  const start = walkthrough.indexOf("```\n", at + command.length + 6) + 4;
  return walkthrough.slice(start, walkthrough.indexOf("\n```", start));
};
const untimed = (s: string) => s.replace(/\d+\.\d s/g, "T s").replace(/\d+ runs\/s/g, "R runs/s").replace(/\d+ms$/gm, "").trimEnd();

describe("the ticket-lock walkthrough (docs/writing-models.md)", () => {
  it("is on its page, before the vitest helper", () => {
    expect(page.indexOf("## Walkthrough: a ticket lock")).toBeGreaterThan(0);
    expect(page.indexOf("## The vitest helper")).toBeGreaterThan(page.indexOf("## Walkthrough: a ticket lock"));
  });

  it("shows examples/ticket-lock.ts and examples/ticket-lock.test.ts as they are", () => {
    for (const f of ["ticket-lock.ts", "ticket-lock.test.ts"]) expect(walkthrough).toContain(fs.readFileSync(path.join(root, "examples", f), "utf8").trim());
  });

  it("shows what hunt, show and replay print", async () => {
    const dir = tmp();
    const h = await cli(["hunt", "--model-file", "examples/ticket-lock.ts", "--variant", "irqs-on", "--set", "lockdep=0", "--out", dir]);
    const printed = [h.out, h.err].join("\n").replaceAll(dir, "counterexamples");
    expect(untimed(printed)).toBe(untimed(outputAfter("npx tsx src/cli.ts hunt --model-file examples/ticket-lock.ts --variant irqs-on --set lockdep=0")));
    const file = path.join(dir, jsonFiles(dir)[0]!);
    const shown = (await cli(["show", file])).out;
    expect(shown).toContain(outputAfter("npx tsx src/cli.ts show counterexamples/ticket-lock/irqs-on--deadlock--73f3624b.json"));
    const replayed = (await cli(["replay", path.join(dir, "ticket-lock")])).out.replaceAll(dir, "counterexamples");
    expect(replayed).toBe(outputAfter("npx tsx src/cli.ts replay counterexamples/ticket-lock/"));
    // Committed as the walkthrough says, the file is read by the suite's readers as by the command line.
    const [item] = await readSaved(dir);
    expect(item!.error).toBeUndefined();
    expect(item!.model!.name).toBe("ticket-lock");
    expect(renderHtml(item!.cx!, item!.model!)).toMatch(/^<!DOCTYPE html>/);
  });
});
