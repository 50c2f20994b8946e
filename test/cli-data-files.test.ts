// A counterexample file is data: the model file it records is loaded only
// from inside the project the command runs in (here, this one), so a JSON
// file from elsewhere never runs code.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, tmp } from "./helpers/cli.ts";

/** A project holding a counterexample whose found.modelFile is `recorded`, and a module outside it that leaves a marker when imported. */
function world(recorded: (outside: string) => string, opts: { link?: boolean; project?: boolean } = {}) {
  const top = tmp();
  const project = path.join(top, "project");
  const outside = path.join(top, "outside");
  fs.mkdirSync(path.join(project, "counterexamples"), { recursive: true });
  fs.mkdirSync(outside);
  if (opts.project !== false) fs.writeFileSync(path.join(project, "package.json"), "{}\n");
  const marker = path.join(top, "ran");
  fs.writeFileSync(path.join(outside, "evil.ts"), `import * as fs from "node:fs";\nfs.writeFileSync(${JSON.stringify(marker)}, "ran");\nexport default {};\n`);
  if (opts.link) fs.symlinkSync(path.join(outside, "evil.ts"), path.join(project, "model.ts"));
  const cx = {
    format: "krh-counterexample/1",
    model: "mine",
    variant: "v",
    property: "p",
    config: { cpus: 1, maxSteps: 10 },
    workload: 0,
    schedule: [],
    failure: { message: "m", event: 0, contexts: [] },
    found: { strategy: "fast-check", seed: 1, runs: 1, fastCheck: "4.10.2", date: "2026-01-01T00:00:00.000Z", modelFile: recorded(outside) },
  };
  const file = path.join(project, "counterexamples", "mine.json");
  fs.writeFileSync(file, JSON.stringify(cx));
  return { file, marker };
}

describe("a counterexample file never runs code from outside the project", () => {
  it.each([
    ["a relative path leading out", () => world(() => "../../outside/evil.ts"), /leads outside the project/],
    ["an absolute path", () => world((o) => path.join(o, "evil.ts")), /leads outside the project/],
    ["a link inside the project leading out", () => world(() => "../model.ts", { link: true }), /leads outside the project/],
    ["a counterexample outside any project", () => world(() => "../../outside/evil.ts", { project: false }), /leads outside the project/],
  ])("%s: refused in one line, nothing imported", async (_what, make, reason) => {
    const { file, marker } = make();
    for (const cmd of ["replay", "show"]) {
      const r = await cli([cmd, file]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(reason);
      expect(r.err).toMatch(/give the file with --model-file/);
      expect(r.err.split("\n").filter((l) => l.includes("found.modelFile"))).toHaveLength(1);
      expect(fs.existsSync(marker)).toBe(false);
    }
  });
});

describe("refuseRecordedModelFile", () => {
  it("outside any project nothing a file records is loaded", async () => {
    const { refuseRecordedModelFile } = await import("../src/harness/model-lookup.ts");
    const { file } = world(() => "model.ts");
    const nowhere = fs.mkdtempSync("/tmp/krh-noproject-");
    expect(refuseRecordedModelFile(file, "model.ts", nowhere)).toMatch(/^found\.modelFile 'model\.ts' cannot be loaded: the command does not run inside a project/);
    const repo = path.join(import.meta.dirname, "..");
    const inside = path.relative(path.dirname(file), path.join(repo, "examples", "irq-counter.ts"));
    expect(fs.existsSync(path.resolve(path.dirname(file), inside))).toBe(true);
    expect(refuseRecordedModelFile(file, inside, repo)).toBeUndefined();
    expect(refuseRecordedModelFile(file, inside, nowhere)).toMatch(/cannot be loaded/);
  });
});

describe("what a file holds reaches the terminal escaped", () => {
  it("an escape sequence in failure.message is printed as \\x1b, never as the control character", async () => {
    const src = path.join(import.meta.dirname, "..", "counterexamples", "mempool");
    const name = fs.readdirSync(src).find((f) => f.endsWith(".json"))!;
    const cx = JSON.parse(fs.readFileSync(path.join(src, name), "utf8"));
    cx.failure.message = "\u001b[2J\u001b]0;owned\u0007 cleared your screen";
    const file = path.join(tmp(), "hostile.json");
    fs.writeFileSync(file, JSON.stringify(cx));
    const r = await cli(["show", file]);
    const all = r.out + r.err;
    expect(all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(all).toContain("\\x1b[2J\\x1b]0;owned\\x07 cleared your screen");
  });
});

describe("files of every kind", () => {
  it("a FIFO named .json is refused at once, a BOM is dropped, an oversized file is refused", async () => {
    const { execFileSync } = await import("node:child_process");
    const dir = tmp();
    const fifo = path.join(dir, "pipe.json");
    execFileSync("mkfifo", [fifo]);
    const r = await cli(["replay", fifo]);
    expect(r.code).toBe(2);
    expect(r.err + r.out).toMatch(/pipe\.json: not a regular file/);

    const src = path.join(import.meta.dirname, "..", "counterexamples", "mempool");
    const name = fs.readdirSync(src).find((f) => f.endsWith(".json"))!;
    const bom = path.join(tmp(), "bom.json");
    fs.writeFileSync(bom, "\uFEFF" + fs.readFileSync(path.join(src, name), "utf8"));
    expect((await cli(["replay", bom])).code).toBe(0);

    const big = path.join(tmp(), "big.json");
    fs.writeFileSync(big, " ".repeat((1 << 20) + 1));
    const b = await cli(["replay", big]);
    expect(b.code).toBe(2);
    expect(b.err + b.out).toMatch(/big\.json: 1048577 bytes, more than a counterexample file may hold \(1048576\)/);
  });
});

describe("a hand-edited schedule", () => {
  it("an event naming an interrupt line or a thread the model never has is bad input (exit 2), not an event skipped", async () => {
    const src = path.join(import.meta.dirname, "..", "counterexamples", "mempool");
    const name = fs.readdirSync(src).find((f) => f.endsWith(".json"))!;
    const cx = JSON.parse(fs.readFileSync(path.join(src, name), "utf8"));
    cx.schedule.unshift({ kind: "irq", cpu: 0, line: "no-such-line" }, { kind: "preempt", cpu: 0, to: "nobody" });
    const file = path.join(tmp(), "edited.json");
    fs.writeFileSync(file, JSON.stringify(cx));
    const r = await cli(["replay", file]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: ${file}: event 0 names interrupt line 'no-such-line', which the model never registers (and 1 more)`);
  });

  it("a long schedule's skipped events are summarised, and one longer than a file may hold is refused", async () => {
    const src = path.join(import.meta.dirname, "..", "counterexamples", "mempool");
    const name = fs.readdirSync(src).find((f) => f.endsWith(".json"))!;
    const cx = JSON.parse(fs.readFileSync(path.join(src, name), "utf8"));
    cx.schedule.push(...Array.from({ length: 500 }, () => ({ kind: "step", cpu: 0 })));
    const file = path.join(tmp(), "long.json");
    fs.writeFileSync(file, JSON.stringify(cx));
    const r = await cli(["replay", file]);
    expect(r.out).toMatch(/event\(s\) not enabled, skipped: (\d+, ){9}\d+, and \d+ more\)/);
    expect(Math.max(...r.out.split("\n").map((l) => l.length))).toBeLessThan(600);
    cx.schedule.push(...Array.from({ length: 10_000 }, () => ({ kind: "step", cpu: 0 })));
    fs.writeFileSync(file, JSON.stringify(cx));
    const long = await cli(["replay", file]);
    expect(long.code).toBe(2);
    expect(long.err + long.out).toMatch(/long\.json: schedule has \d+ events, more than a counterexample may hold \(10000\)/);
  });

  it("show cuts a long trace, a long message and a long list of skipped events, saying how much it left out", async () => {
    const src = path.join(import.meta.dirname, "..", "counterexamples", "mempool");
    const name = fs.readdirSync(src).find((f) => f.endsWith(".json"))!;
    const cx = JSON.parse(fs.readFileSync(path.join(src, name), "utf8"));
    cx.failure.message = "x".repeat(50_000);
    cx.schedule.push(...Array.from({ length: 3000 }, () => ({ kind: "step", cpu: 0 })));
    cx.config.maxSteps = 100_000;
    const file = path.join(tmp(), "long.json");
    fs.writeFileSync(file, JSON.stringify(cx));
    const r = await cli(["show", file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/x… \(48000 more characters\)/);
    expect(r.out).toMatch(/events (\d+, ){9}\d+, and \d+ more$/m);
    expect(r.out.length).toBeLessThan(100_000);
  });

  it("show cuts a long trace to its first and last rows", async () => {
    const out = tmp();
    const model = path.join(import.meta.dirname, "fixtures", "models", "mapped.ts");
    await cli(["hunt", "--model-file", model, "--out", out, "--quiet"]);
    const dir = path.join(out, "mapped-workload");
    const file = path.join(dir, fs.readdirSync(dir)[0]!);
    const cx = JSON.parse(fs.readFileSync(file, "utf8"));
    fs.writeFileSync(file, JSON.stringify({ ...cx, workload: { rounds: 1000 }, config: { ...cx.config, maxSteps: 10_000 } }));
    const r = await cli(["show", file, "--model-file", model]);
    expect(r.out).toMatch(/\(\d+ rows left out: a trace this long is not one a hunt saves\)/);
    expect(r.out.split("\n").length).toBeLessThan(600);
  });
});
