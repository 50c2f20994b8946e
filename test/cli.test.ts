import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cli as runCli, escape, fixture, jsonFiles, root, tmp } from "./helpers/cli.ts";

const cli = (...args: string[]) => runCli(args);

describe("list", () => {
  it("--json names the model, its variants with correctness, and its properties", async () => {
    const r = await cli("list", "--json");
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out).models.find((x: { name: string }) => x.name === "mempool");
    expect(m.variants.map((v: { name: string; correct: boolean }) => [v.name, v.correct])).toEqual([
      ["preempt-lock", false],
      ["irq-preempt-lock", true],
      ["no-preempt-lock", false],
      ["delegate-queue", false],
      ["mpsc-queue", true],
    ]);
    expect(Object.keys(m.properties)).toEqual(expect.arrayContaining(["conservation", "no-double-alloc", "page-accounting", "no-stranded", "deadlock", "hang"]));
    const s = JSON.parse(r.out).models.find((x: { name: string }) => x.name === "spinlock");
    expect(s.variants.map((v: { name: string; correct: boolean }) => [v.name, v.correct])).toEqual([
      ["irqsave", true],
      ["plain-lock-in-irq", false],
      ["unlock-irq-nested", false],
      ["shared-flags", false],
      ["sleep-under-lock", false],
      ["no-preempt-disable", false],
      ["threaded-spin-lock", true],
    ]);
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(["tx-accounting", "lockdep", "irq-state", "sleep-in-atomic", "mutual-exclusion"]));
  });

  it("as text, each table's texts start in one column, past its longest name", async () => {
    const r = await cli("list");
    expect(r.code).toBe(0);
    // A table is a run of indented rows under a heading.
    const tables: string[][] = [];
    for (const line of r.out.split("\n")) {
      if (line.startsWith("    ")) tables[tables.length - 1]!.push(line);
      else tables.push([]);
    }
    const filled = tables.filter((t) => t.length > 0);
    expect(filled.length).toBeGreaterThan(4);
    for (const t of filled) expect(new Set(t.map((row) => /^ {4}\S+ +/.exec(row)![0].length)).size, t.join("\n")).toBe(1);
    expect(r.out).toMatch(/^ {4}synchronize-instead buggy {4}exit: /m);
    expect(r.out).toMatch(/^ {4}barrier-unload {6}correct {2}exit: /m);
  });
});

describe("hunt, replay, show", () => {
  it("hunt of a buggy variant exits 1 and saves one file; replay of it exits 0; show draws it", async () => {
    const dir = tmp();
    const h = await cli("hunt", "mempool", "--variant", "preempt-lock", "--strategy", "fast-check", "--runs", "2000", "--seed", "22", "--out", dir);
    expect(h.code).toBe(1);
    const files = jsonFiles(dir);
    expect(files).toHaveLength(1);
    const file = path.join(dir, files[0]!);
    expect(h.out).toContain(`saved ${file}`);
    const r = await cli("replay", file);
    expect(r.code).toBe(0);
    expect(r.out).toContain("as expected");
    const s = await cli("show", file);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^>> +(d?\d+ )?\| /m);
    expect(s.out).toContain(">> page-accounting broken at the drain (T0): pg1 has free objects but is on no page list");
    expect(s.out).toMatch(/^ +7 \| ⚡virtio#1: interrupt virtio taken$/m);
  });

  it("removing any one event of a saved schedule makes replay exit 1", async () => {
    const dir = tmp();
    await cli("hunt", "mempool", "--variant", "preempt-lock", "--runs", "2000", "--seed", "1", "--out", dir);
    const file = path.join(dir, jsonFiles(dir)[0]!);
    const cx = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(cx.schedule.length).toBeGreaterThan(1);
    for (let i = 0; i < cx.schedule.length; i++) {
      const cut = path.join(dir, `cut-${i}.json`);
      fs.writeFileSync(cut, JSON.stringify({ ...cx, schedule: cx.schedule.filter((_: unknown, j: number) => j !== i) }));
      expect((await cli("replay", cut)).code, `without event ${i}`).toBe(1);
    }
  });

  it("the same hunt twice writes the same file, `found` aside", async () => {
    const a = tmp();
    const b = tmp();
    for (const dir of [a, b]) await cli("hunt", "mempool", "--variant", "no-preempt-lock", "--seed", "4", "--out", dir);
    const [fa] = jsonFiles(a);
    expect(jsonFiles(b)).toEqual([fa]);
    const strip = (d: string) => {
      const { found: _f, ...rest } = JSON.parse(fs.readFileSync(path.join(d, fa!), "utf8"));
      return rest;
    };
    expect(strip(b)).toEqual(strip(a));
    // Hunting again into the same folder keeps the file and says so.
    const again = await cli("hunt", "mempool", "--variant", "no-preempt-lock", "--seed", "4", "--out", a);
    expect(again.out).toContain("already saved as");
    expect(jsonFiles(a)).toEqual([fa]);
  });

  it("--variant may be given more than once; --correct hunts the correct variants", async () => {
    const two = await cli("hunt", "spinlock", "--variant", "irqsave", "--variant", "threaded-spin-lock", "--runs", "20", "--out", tmp());
    expect(two.out.match(/^spinlock\/[\w-]+ .*: passed 20 runs/gm)?.map((l) => l.split(" ")[0])).toEqual(["spinlock/irqsave", "spinlock/threaded-spin-lock"]);
    const correct = await cli("hunt", "mempool", "--correct", "--runs", "20", "--out", tmp());
    expect(correct.out.match(/^mempool\/[\w-]+/gm)).toEqual(["mempool/irq-preempt-lock", "mempool/mpsc-queue"]);
  });

  it("hunt of a correct variant that survives exits 0 and saves nothing", async () => {
    const dir = tmp();
    const h = await cli("hunt", "mempool", "--variant", "mpsc-queue", "--runs", "200", "--out", dir);
    expect(h.code).toBe(0);
    expect(h.out).toContain("passed 200 runs");
    expect(fs.existsSync(path.join(dir, "mempool"))).toBe(false);
  });

  it("replay of an unreadable file exits 2 naming it, and still replays the others", async () => {
    const dir = tmp();
    await cli("hunt", "mempool", "--variant", "preempt-lock", "--seed", "1", "--out", dir);
    const bad = path.join(dir, "mempool", "zz-bad.json");
    fs.writeFileSync(bad, "{ not json");
    const r = await cli("replay", dir);
    expect(r.code).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^error: ${escape(bad)}: not JSON`));
    expect(r.out).toContain("1 as expected, 0 not as expected, 1 unreadable");
  });
});

describe("strategies on the command line", () => {
  it("exhaustive search of irq-preempt-lock on 1 CPU finishes and says so, with its schedule count", async () => {
    const r = await cli("hunt", "mempool", "--variant", "irq-preempt-lock", "--cpus", "1", "--strategy", "exhaustive", "--out", tmp());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: no failure with up to 2 preemptions: \d+ schedules over 20 distinct workload\(s\), all tried, in [\d.]+ s$/m);
  });

  it("exhaustive search says how many schedules its reduction left out, on a model that shares state only in memory", async () => {
    const r = await cli("hunt", "--model-file", fixture("store-buffering.ts"), "--strategy", "exhaustive", "--bound", "3", "--quiet", "--out", tmp());
    expect(r.code).toBe(0);
    const m = /: no failure with up to 3 preemptions: \d+ schedules \(and at least (\d+) more left out by the reduction as orders of independent steps\) over 1 distinct workload\(s\), all tried, in [\d.]+ s$/m.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
  });

  it("exhaustive search whose runs reached the event cap does not claim every schedule was tried", async () => {
    const r = await cli("hunt", "--model-file", fixture("long.ts"), "--strategy", "exhaustive", "--bound", "0", "--event-cap", "20", "--quiet", "--out", tmp());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: no failure with up to 0 preemptions: 1 schedules over 1 distinct workload\(s\), all tried up to the event cap of 20 events, in [\d.]+ s; 1 run\(s\) reached the event cap of 20 events/m);
  });

  it("a shard hunt records its part, and the same seed and shard repeat it", async () => {
    const a = tmp();
    const b = tmp();
    for (const dir of [a, b]) await cli("hunt", "spinlock", "--variant", "no-preempt-disable", "--strategy", "random", "--shard", "2/3", "--seed", "5", "--out", dir);
    const [fa] = jsonFiles(a);
    expect(jsonFiles(b)).toEqual([fa]);
    const cx = JSON.parse(fs.readFileSync(path.join(a, fa!), "utf8"));
    expect(cx.found).toMatchObject({ strategy: "random", seed: 5, shard: "2/3" });
  });
});

describe("show", () => {
  it("marks the last step taken when the run ends in a deadlock", async () => {
    const dir = tmp();
    await cli("hunt", "spinlock", "--variant", "plain-lock-in-irq", "--set", "lockdep=0", "--seed", "1", "--out", dir);
    const file = path.join(dir, jsonFiles(dir)[0]!);
    const s = await cli("show", file);
    const marked = s.out.split("\n").filter((l) => l.startsWith(">>"));
    expect(marked).toHaveLength(2); // the step, and the summary line
    expect(marked[0]).toContain("nic#1: spins until priv->lock is released (held by T0)");
    expect(marked[1]).toMatch(/^>> deadlock broken at the drain \(nic#1, T0\): deadlock: /);
  });
});

describe("the real command", () => {
  it("runs under tsx and exits with the contract's codes", async () => {
    const tsx = path.join(root, "node_modules", ".bin", "tsx");
    const bad = spawnSync(tsx, ["src/cli.ts", "hunt", "nosuch"], { cwd: root, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("error: unknown model 'nosuch' (known: mempool, spinlock, rcu, channel, netback-pool, shadow-driver, xen-busdma, virtio-evtchn; a model of your own: --model-file FILE.ts)");
    const list = spawnSync(tsx, ["src/cli.ts", "list"], { cwd: root, encoding: "utf8" });
    expect(list.status).toBe(0);
    expect(list.stdout).toContain("preempt-lock");
    expect(list.stdout).toContain("every model is also checked for:");
  });

  it("prints the same trace in a fresh process as in this one", async () => {
    const file = path.join(root, "counterexamples", "mempool", fs.readdirSync(path.join(root, "counterexamples", "mempool"))[0]!);
    // node with tsx's loader: one process, where the tsx command starts two (the command itself is run above).
    const fresh = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "show", file], { cwd: root, encoding: "utf8" });
    expect(fresh.status).toBe(0);
    expect(fresh.stdout.trimEnd()).toBe((await cli("show", file)).out.trimEnd());
  });
});
