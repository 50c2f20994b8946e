// The package as a user gets it: the `krh` command, and a model file kept
// outside any project that imports the package and fast-check. (Packing and
// installing the tarball is `npm run check-package`, which CI runs.)
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { root, tmp } from "./helpers/cli.ts";

const krh = path.join(root, "bin", "krh.mjs");
const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: "utf8" });

/** examples/irq-counter.ts as a user would write it, importing the package by name, saved as `name` in a folder of its own. */
function userModel(name: string): string {
  const dir = tmp();
  const text = fs.readFileSync(path.join(root, "examples", "irq-counter.ts"), "utf8").replaceAll('"../src/index.ts"', '"kernel-race-harness"');
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

describe("the krh command", () => {
  it("prints its help under its own name", () => {
    const r = run("node", [krh, "--help"], tmp());
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage:\n  krh list /);
  });

  it("hunts a model file kept outside any project: the file finds the package and fast-check through the copy running it", () => {
    const model = userModel("irq-counter.mts");
    const out = path.join(path.dirname(model), "cx");
    const r = run("node", [krh, "hunt", "--model-file", model, "--variant", "plain", "--runs", "200", "--out", out, "--quiet"], path.dirname(model));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^  saved .*plain--exact-count--\w+\.json$/m);
  });

  it("says in one line what a .ts model outside an ES module package needs", () => {
    const model = userModel("irq-counter.ts");
    const r = run("node", [krh, "list", "--model-file", model], path.dirname(model));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([`error: --model-file ${model}: cannot load it as CommonJS, which Node takes it for: make it an ES module (name it .mts, or put it in a folder whose package.json says "type": "module")`]);
  });
});
