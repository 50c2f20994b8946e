// The package as a user installs it: npm pack's tarball installed into a
// scratch project, where `npx krh` must print its help, hunt a model file
// written as examples/irq-counter.ts is (importing the package by name) and
// replay what it saved. Exits non-zero, saying which step failed, if any does.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.join(import.meta.dirname, "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "krh-pack-"));
const project = path.join(dir, "project");

function step(what, cmd, args, cwd, ok = (r) => r.status === 0) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (!ok(r)) {
    console.error(`check-package: ${what} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  console.log(`ok  ${what}`);
  return r;
}

const packed = step("npm pack", "npm", ["pack", "--pack-destination", dir, "--silent"], root);
const tarball = path.join(dir, packed.stdout.trim().split("\n").at(-1));
fs.mkdirSync(project);
fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
step("npm install of the tarball", "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], project);
step("npx krh --help", "npx", ["krh", "--help"], project, (r) => r.status === 0 && /^usage:\n  krh list /.test(r.stdout));
const model = fs.readFileSync(path.join(root, "examples", "irq-counter.ts"), "utf8").replaceAll('"../src/index.ts"', '"kernel-race-harness"');
fs.writeFileSync(path.join(project, "model.ts"), model);
step("npx krh hunt --model-file model.ts", "npx", ["krh", "hunt", "--model-file", "model.ts", "--variant", "plain", "--runs", "200", "--out", "cx", "--quiet"], project, (r) => r.status === 1 && /^  saved /m.test(r.stdout));
step("npx krh replay cx", "npx", ["krh", "replay", "cx"], project, (r) => r.status === 0 && /1 as expected, 0 not as expected, 0 unreadable/.test(r.stdout));
fs.rmSync(dir, { recursive: true, force: true });
