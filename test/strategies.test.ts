import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { hunt } from "../src/harness/hunt.ts";
import { Workloads } from "../src/harness/online.ts";
import { Run } from "../src/harness/run.ts";
import { replayFile } from "../src/harness/replay.ts";
import { cli } from "./helpers/cli.ts";
import type { ScheduleEvent } from "../src/sim/index.ts";
import { removableEvents } from "../src/harness/minimize.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";
import { first as constant } from "./fixtures/models/two.ts";

const mempool = findModel("mempool")!;
const spinlock = findModel("spinlock")!;

describe("strategies", () => {
  for (const strategy of ["random", "pct", "exhaustive"]) {
    it(`${strategy} finds the allocator's interrupt race, and what it finds is reduced to a 1-minimal schedule`, () => {
      const config = variantConfig(mempool, "preempt-lock");
      const r = hunt({ model: mempool, variant: "preempt-lock", config, runs: 3000, seed: 1, strategy });
      const cx = r.counterexample!;
      expect(cx.found.strategy).toBe(strategy);
      expect(["conservation", "no-double-alloc", "page-accounting", "oops"]).toContain(cx.property);
      expect(removableEvents({ model: mempool, variant: "preempt-lock", config, workload: cx.workload, property: cx.property }, cx.schedule)).toEqual([]);
    });

    it(`${strategy} gives the same counterexample for the same seed`, () => {
      const config = variantConfig(spinlock, "no-preempt-disable");
      const a = hunt({ model: spinlock, variant: "no-preempt-disable", config, runs: 2000, seed: 4, strategy }).counterexample;
      const b = hunt({ model: spinlock, variant: "no-preempt-disable", config, runs: 2000, seed: 4, strategy }).counterexample;
      expect(a).toBeDefined();
      expect({ ...b, found: { ...b!.found, date: "" } }).toEqual({ ...a, found: { ...a!.found, date: "" } });
    });
  }

  it("exhaustive search of irq-preempt-lock on 1 CPU finishes, and says how many schedules it tried", () => {
    const r = hunt({ model: mempool, variant: "irq-preempt-lock", config: variantConfig(mempool, "irq-preempt-lock", { cpus: 1 }), runs: 100000, seed: 1, strategy: "exhaustive" });
    expect(r.counterexample).toBeUndefined();
    expect(r.exhausted).toBe(true);
    expect(r.report).toMatchObject({ bound: 2, workloads: 20, complete: true });
    expect(r.runs).toBe(r.report!.schedules);
    expect(r.runs).toBeGreaterThan(100);
  });

  it("exhaustive shards split the workloads: together they try exactly the schedules of the whole search", () => {
    const config = variantConfig(mempool, "irq-preempt-lock", { cpus: 1 });
    const whole = hunt({ model: mempool, variant: "irq-preempt-lock", config, runs: 100000, seed: 1, strategy: "exhaustive", workloads: 6 });
    const parts = [0, 1, 2].map((index) => hunt({ model: mempool, variant: "irq-preempt-lock", config, runs: 100000, seed: 1, strategy: "exhaustive", workloads: 6, shard: { index, count: 3 } }));
    expect(parts.every((p) => p.exhausted)).toBe(true);
    expect(parts.reduce((sum, p) => sum + p.runs, 0)).toBe(whole.runs);
  });

  it("a bound of 0 deviations tries the default schedule alone, once per distinct workload", () => {
    const r = hunt({ model: mempool, variant: "irq-preempt-lock", config: variantConfig(mempool, "irq-preempt-lock"), runs: 1000, seed: 1, strategy: "exhaustive", bound: 0, boundKind: "deviation", workloads: 7 });
    expect(r.runs).toBe(7);
    expect(r.exhausted).toBe(true);
  });

  it("a constant workload is searched once, however many workloads are asked for", () => {
    const config = variantConfig(constant, "only", { cpus: 2 });
    const r = hunt({ model: constant, variant: "only", config, runs: 1e6, seed: 1, strategy: "exhaustive", bound: 2, workloads: 20 });
    const once = hunt({ model: constant, variant: "only", config, runs: 1e6, seed: 1, strategy: "exhaustive", bound: 2, workloads: 1 });
    expect(r.report).toMatchObject({ workloads: 1, complete: true, levelsComplete: 2 });
    expect(r.runs).toBe(once.runs);
  });

  it("tries every schedule of cost 1 before any of cost 2: a bug one preemption shows is found at bound 1", () => {
    const config = variantConfig(spinlock, "plain-lock-in-irq", { lockdep: 0 });
    const one = hunt({ model: spinlock, variant: "plain-lock-in-irq", config, runs: 1e6, seed: 1, strategy: "exhaustive", bound: 1 });
    const two = hunt({ model: spinlock, variant: "plain-lock-in-irq", config, runs: 1e6, seed: 1, strategy: "exhaustive", bound: 2 });
    expect(one.counterexample).toBeDefined();
    // Searched level by level, a bound of 2 finds it at the same schedule: no schedule of cost 2 comes first.
    expect(two.runs).toBe(one.runs);
    expect(two.report).toMatchObject({ level: 1 });
  });

  it("delay bounding counts skips of the default's choice: its bound 1 tries fewer schedules than one preemption", () => {
    const config = variantConfig(mempool, "irq-preempt-lock");
    const runs = (boundKind: "delay" | "preemption" | "deviation") => hunt({ model: mempool, variant: "irq-preempt-lock", config, runs: 1e6, seed: 1, strategy: "exhaustive", bound: 1, boundKind, workloads: 2 });
    const delay = runs("delay");
    const deviation = runs("deviation");
    expect(delay.exhausted && deviation.exhausted).toBe(true);
    expect(delay.runs).toBeLessThan(deviation.runs);
    expect(delay.report).toMatchObject({ boundKind: "delay" });
  });

  it("PCT reports its guarantee for the failing run over the length its change points were drawn from", () => {
    const r = hunt({ model: spinlock, variant: "no-preempt-disable", config: variantConfig(spinlock, "no-preempt-disable"), runs: 2000, seed: 1, strategy: "pct", depth: 2 });
    expect(r.counterexample).toBeDefined();
    const { n, steps, contexts, bound } = r.report as { n: number; steps: number; contexts: number; bound: number };
    expect(n).toBeGreaterThanOrEqual(64); // never below the length it starts from
    expect(steps).toBeGreaterThan(0);
    expect(bound).toBeCloseTo(1 / (n * contexts), 12);
  });
});

describe("hunting on several workers", () => {
  it("hunt --workers 2 finds, reduces and saves once, recording the winning part; that part alone repeats it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "krh-workers-"));
    const r = await cli(["hunt", "mempool", "--variant", "preempt-lock", "--workers", "2", "--out", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("2 workers");
    const files = fs.readdirSync(path.join(dir, "mempool"));
    expect(files).toHaveLength(1);
    const cx = JSON.parse(fs.readFileSync(path.join(dir, "mempool", files[0]!), "utf8"));
    expect(cx.found.seed).toBe(1);
    expect(cx.found.shard).toMatch(/^[12]\/2$/);
    expect(replayFile(path.join(dir, "mempool", files[0]!), findModel).ok).toBe(true);
    // The recipe in docs/strategies.md: the same seed and that shard, on one worker, find the same file.
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), "krh-shard-"));
    await cli(["hunt", "mempool", "--variant", "preempt-lock", "--seed", "1", "--shard", cx.found.shard, "--out", alone, "--quiet"]);
    expect(fs.readdirSync(path.join(alone, "mempool"))).toEqual(files);
    // Whichever worker is quicker, the same hunt keeps the same failure: the same file, the same report.
    const again = fs.mkdtempSync(path.join(os.tmpdir(), "krh-workers-"));
    const r2 = await cli(["hunt", "mempool", "--variant", "preempt-lock", "--workers", "2", "--out", again]);
    expect(fs.readdirSync(path.join(again, "mempool"))).toEqual(files);
    const undated = (f: string) => fs.readFileSync(f, "utf8").replace(/"date": ".*"/, "");
    expect(undated(path.join(again, "mempool", files[0]!))).toBe(undated(path.join(dir, "mempool", files[0]!)));
    const broken = (out: string) => out.match(/broken after \d+ run\(s\)/)?.[0];
    expect(broken(r2.out)).toBe(broken(r.out));
  });
});

describe("exhaustive search, checked by brute force", () => {
  /**
   * Counts, independently of the strategy's code, the schedules that deviate
   * from the default policy at most k times: follow the default from a given
   * prefix, and at every point after it branch on every other enabled event.
   */
  function bruteForce(variant: string, workload: unknown, k: number, limit: number): number {
    const config = variantConfig(mempool, variant, { cpus: 1 });
    let count = 0;
    const explore = (prefix: ScheduleEvent[], deviations: number) => {
      count++;
      const run = new Run(mempool, variant, config, structuredClone(workload));
      for (const e of prefix) run.offer(e);
      const path = [...prefix];
      while (run.failure === undefined && path.length < limit) {
        const enabled = run.machine.enabledEvents();
        const byDefault = run.machine.defaultNext();
        if (deviations < k) for (const e of enabled) if (JSON.stringify(e) !== JSON.stringify(byDefault)) explore([...path, e], deviations + 1);
        if (byDefault === undefined) break;
        run.offer(byDefault);
        path.push(byDefault);
      }
    };
    explore([], 0);
    return count;
  }

  it("tries exactly the schedules with at most k deviations, each once", () => {
    const workloads = new Workloads(mempool.workload(variantConfig(mempool, "irq-preempt-lock", { cpus: 1 })), 1);
    const limit = 4 * mempool.maxEvents!;
    let expected = 0;
    for (let w = 0; w < 8; w++) expected += bruteForce("irq-preempt-lock", workloads.at(w), 2, limit);
    expect(expected).toBeGreaterThan(100);
    const r = hunt({ model: mempool, variant: "irq-preempt-lock", config: variantConfig(mempool, "irq-preempt-lock", { cpus: 1 }), runs: 1e6, seed: 1, strategy: "exhaustive", boundKind: "deviation", workloads: 8 });
    expect(r.exhausted).toBe(true);
    expect(r.runs).toBe(expected);
  });
});
