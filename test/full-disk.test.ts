// A write that fails part way (a full disk, here a file size limit) leaves
// what was there before and no temporary file behind.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { root, tmp } from "./helpers/cli.ts";

/** Runs the CLI in a shell whose files may not grow beyond `kib` KiB. */
function cliLimited(kib: number, args: string[]) {
  const cmd = `ulimit -f ${kib}; exec node --import tsx src/cli.ts ${args.map((a) => `'${a}'`).join(" ")}`;
  return spawnSync("bash", ["-c", cmd], { cwd: root, encoding: "utf8" });
}

const files = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String);

describe("a write that fails part way", () => {
  it("show --html keeps the page that was there, and leaves no temporary file", () => {
    const dir = tmp();
    const page = path.join(dir, "page.html");
    fs.writeFileSync(page, "the old page\n");
    const r = cliLimited(2, ["show", "counterexamples/spinlock/shared-flags--irq-state--b63811c5.json", "--html", page]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: --html .*page\.html: EFBIG/);
    expect(fs.readFileSync(page, "utf8")).toBe("the old page\n");
    expect(files(dir)).toEqual(["page.html"]);
  });

  it("hunt --out leaves neither a counterexample nor a temporary file", () => {
    const dir = tmp();
    const r = cliLimited(1, ["hunt", "mempool", "--variant", "preempt-lock", "--seed", "22", "--out", dir, "--quiet"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/EFBIG/);
    expect(files(dir).filter((f) => f.endsWith(".json") || f.endsWith(".tmp"))).toEqual([]);
  });
});
