// A model of one's own on the command line: hunt --model-file saves a
// counterexample that records the model's file, and replay and show find the
// model through it; parallel hunts load the file in every worker.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MODELS } from "../src/models/index.ts";
import { cli, fixture, jsonFiles, root, tmp } from "./helpers/cli.ts";

const ticketLock = path.join(root, "examples", "ticket-lock.ts");
const rel = (p: string) => path.relative(root, p);

describe("hunt --model-file", () => {
  it("saves a counterexample naming its model file; replay and show find the model through it", async () => {
    const dir = tmp();
    const h = await cli(["hunt", "--model-file", rel(ticketLock), "--variant", "irqs-on", "--set", "lockdep=0", "--out", dir]);
    expect(h.code).toBe(1);
    expect(h.out).toMatch(/^hunting ticket-lock \(examples\/ticket-lock\.ts\) with portfolio, seed 1, 1000 runs per variant$/m);
    const [name] = jsonFiles(dir);
    const file = path.join(dir, name!);
    expect(name).toMatch(/^ticket-lock\/irqs-on--deadlock--[0-9a-f]{8}\.json$/);
    const cx = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(cx.model).toBe("ticket-lock");
    expect(cx.config.lockdep).toBe(0);
    expect(path.resolve(path.dirname(file), cx.found.modelFile)).toBe(ticketLock);
    const r = await cli(["replay", file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("ok  irqsave: must break nothing");
    const s = await cli(["show", file]);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^>> deadlock broken at the drain \(nic#1, T0\): deadlock: nic#1 on cpu0 spins until tx_lock serves ticket 1 \(serving 0, held by T0\)/m);
  });

  it("a counterexample moved away from its model file replays with --model-file", async () => {
    const dir = tmp();
    await cli(["hunt", "--model-file", ticketLock, "--variant", "racy-ticket", "--out", dir]);
    const moved = path.join(tmp(), "a", "b", "c.json");
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.renameSync(path.join(dir, jsonFiles(dir)[0]!), moved);
    const lost = await cli(["replay", moved]);
    expect(lost.code).toBe(2);
    expect(lost.err).toMatch(/ticket-lock\.ts: no such file \(the model file its found\.modelFile names\); give ticket-lock's file with --model-file$/);
    const found = await cli(["replay", moved, "--model-file", ticketLock]);
    expect(found.code, found.err).toBe(0);
  });

  it("a module with several models: the name picks one; list shows the file's models with the built-in ones", async () => {
    const h = await cli(["hunt", "second-fixture", "--model-file", fixture("two.ts"), "--runs", "5", "--out", tmp()]);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^second-fixture\/only \(cpus=1 maxSteps=100 lockdep=1\): passed 5 runs/m);
    const l = await cli(["list", "--json", "--model-file", ticketLock]);
    expect(JSON.parse(l.out).models.map((m: { name: string }) => m.name)).toEqual([...MODELS.map((m) => m.name), "ticket-lock"]);
  });

  it("--workers loads the model file in every worker", async () => {
    const dir = tmp();
    const h = await cli(["hunt", "--model-file", ticketLock, "--variant", "irqs-on", "--workers", "2", "--out", dir]);
    expect(h.code, h.err).toBe(1);
    const cx = JSON.parse(fs.readFileSync(path.join(dir, jsonFiles(dir)[0]!), "utf8"));
    expect(cx.property).toBe("lockdep");
    expect(cx.found.shard).toMatch(/^[12]\/2$/);
    expect(cx.found.modelFile).toMatch(/ticket-lock\.ts$/);
  });
});

describe("a model in a project of its own, which installs the package", () => {
  /** A project outside the package: the package installed as a link, and the ticket lock as its model. */
  function project(): string {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "mine", private: true }));
    fs.mkdirSync(path.join(dir, "node_modules"));
    fs.symlinkSync(root, path.join(dir, "node_modules", "kernel-race-harness"));
    for (const name of ["my-lock.mts", "my-lock.ts"]) fs.copyFileSync(ticketLock, path.join(dir, name));
    return dir;
  }

  it("an ES module imports the package by name and is hunted", async () => {
    const dir = project();
    const h = await cli(["hunt", "--model-file", path.join(dir, "my-lock.mts"), "--variant", "irqs-on", "--out", path.join(dir, "counterexamples")]);
    expect(h.code, h.err).toBe(1);
    const cx = JSON.parse(fs.readFileSync(path.join(dir, "counterexamples", jsonFiles(path.join(dir, "counterexamples"))[0]!), "utf8"));
    expect(cx.found.modelFile).toBe("../../my-lock.mts");
  });

  it("one loaded as CommonJS (a package without type: module) is refused in one line, not run against a second copy of the API", () => {
    const dir = project();
    const r = spawnSync(path.join(root, "node_modules", ".bin", "tsx"), ["src/cli.ts", "list", "--model-file", path.join(dir, "my-lock.ts")], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      `error: --model-file ${path.join(dir, "my-lock.ts")}: it was loaded as CommonJS, with a copy of the kernel API of its own that no simulated machine runs; make it an ES module (name it .mts, or put it in a folder whose package.json says "type": "module")`,
    );
  });
});

describe("--memory", () => {
  it("sets the model's memory setting, and the counterexample records it", async () => {
    const dir = tmp();
    const h = await cli(["hunt", "--model-file", fixture("memory.ts"), "--memory", "tso", "--out", dir]);
    expect(h.code).toBe(1);
    expect(h.out).toContain("memory-fixture/always (cpus=1 maxSteps=100 memory=tso lockdep=1): never-fails broken after 1 run(s)");
    const file = path.join(dir, jsonFiles(dir)[0]!);
    const cx = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(cx.config.memory).toBe("tso");
    expect(cx.failure.message).toBe("ran under tso");
    expect((await cli(["replay", file])).code).toBe(0);
  });
});

describe("a workload made with .map()", () => {
  it("hunts, saves, replays and shows: the values are taken as they are, setting the model up is the check", async () => {
    const out = tmp();
    const model = fixture("mapped.ts");
    const h = await cli(["hunt", "--model-file", model, "--out", out, "--quiet"]);
    expect(h.code, h.err).toBe(1);
    expect(h.out).toMatch(/^  saved .*racy--no-lost-update--\w+\.json$/m);
    const r = await cli(["replay", out, "--model-file", model]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/1 as expected, 0 not as expected, 0 unreadable/);
    const file = jsonFiles(out).map((f) => path.join(out, f))[0]!;
    const s = await cli(["show", file, "--model-file", model]);
    expect(s.code, s.err).toBe(0);
    expect(s.out).toMatch(/^workload +{"rounds":\d}$/m);
    // A workload the model cannot set up is still bad input.
    const cx = JSON.parse(fs.readFileSync(file, "utf8"));
    fs.writeFileSync(file, JSON.stringify({ ...cx, workload: null }));
    const bad = await cli(["replay", file, "--model-file", model]);
    expect(bad.code).toBe(2);
    expect(bad.out + bad.err).toMatch(/model mapped-workload cannot set up this workload/);
  });
});
