// PCT for weak memory: a bug that needs one reordering of memory is found in
// fewer runs than PCT takes at the same depth, under sc it makes PCT's own
// runs, and correct variants under pso and weak are not reported.
import { describe, expect, it } from "vitest";
import { hunt, search } from "../src/harness/hunt.ts";
import { searchOnline } from "../src/harness/online.ts";
import type { AnyModel } from "../src/kernel/model.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";
import { findStrategy } from "../src/strategies/index.ts";
import { expectSound } from "./helpers/caught.ts";
import { messagePassing, storeBuffering } from "./helpers/litmus-models.ts";

const channel = findModel("channel")!;
const mempool = findModel("mempool")!;
const mp = messagePassing as AnyModel;
const sb = storeBuffering as AnyModel;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};

/** Runs to the first failure on each seed (Infinity where none was found within the budget). */
function runsToFailure(model: AnyModel, variant: string, strategy: string, depth: number, seeds: number, runs: number, memory?: string): number[] {
  const config = variantConfig(model, variant, memory === undefined ? {} : { memory });
  return Array.from({ length: seeds }, (_, i) => {
    const r = search({ model, variant, config, runs, seed: i + 1, strategy, depth });
    return r.found === undefined ? Infinity : r.runs;
  });
}

describe("pctwm", () => {
  it("is registered, and a fresh scheduler repeats the same runs for the same seed", () => {
    const def = findStrategy("pctwm")!;
    expect(def.options).toEqual(["depth"]);
    const config = variantConfig(channel, "no-wmb");
    const schedules = () => {
      const events: string[] = [];
      const s = def.create({ seed: 9, depth: 3, bound: 2, workloads: 20, shard: { index: 0, count: 1 } });
      const recording = { ...s, next: (...a: Parameters<typeof s.next>) => { const e = s.next(...a); events.push(JSON.stringify(e)); return e; } };
      searchOnline({ model: channel, variant: "correct", config, runs: 10, seed: 9 }, recording);
      return events;
    };
    const a = schedules();
    expect(a.some((e) => e.includes('"memory"'))).toBe(true);
    expect(schedules()).toEqual(a);
  });

  it("finds message passing without smp_wmb() under pso in fewer runs than pct, at depth 2 and 3", () => {
    for (const depth of [2, 3]) {
      const wm = runsToFailure(mp, "no-wmb", "pctwm", depth, 100, 500);
      const plain = runsToFailure(mp, "no-wmb", "pct", depth, 100, 500);
      expect(Math.max(...wm), `pctwm at depth ${depth}`).toBeLessThanOrEqual(40);
      expect(median(wm), `depth ${depth}: pctwm against pct`).toBeLessThan(median(plain));
    }
  });

  it("finds message passing without smp_rmb() under weak in fewer runs than pct", () => {
    expect(median(runsToFailure(mp, "no-rmb", "pctwm", 2, 100, 500))).toBeLessThan(median(runsToFailure(mp, "no-rmb", "pct", 2, 100, 500)));
  });

  it("finds store buffering without smp_mb() under tso in its first run, which keeps every store buffered", () => {
    const runs = runsToFailure(sb, "no-mb", "pctwm", 3, 20, 500);
    expect(runs.filter((r) => r === 1).length).toBeGreaterThanOrEqual(18);
    expect(median(runs)).toBeLessThan(median(runsToFailure(sb, "no-mb", "pct", 3, 20, 500)));
  });

  it("finds the channel's missing write barriers under pso (channel no-wmb) in fewer runs than pct", () => {
    const wm = runsToFailure(channel, "no-wmb", "pctwm", 3, 10, 500);
    const plain = runsToFailure(channel, "no-wmb", "pct", 3, 10, 500);
    expect(wm.every((r) => r <= 20), `pctwm: ${wm}`).toBe(true);
    expect(median(wm), `pctwm ${wm} against pct ${plain}`).toBeLessThan(median(plain));
  });

  it("gives a counterexample that replays as found and is 1-minimal", () => {
    const config = variantConfig(mp, "no-wmb");
    const r = hunt({ model: mp, variant: "no-wmb", config, runs: 100, seed: 1, strategy: "pctwm" });
    expect(r.counterexample?.found.strategy).toBe("pctwm");
    expectSound(mp, r.counterexample, { variant: "no-wmb", memory: "pso", expect: "message-passing" });
  });

  it("makes pct's own runs under sc, where the memory has no events", () => {
    const config = variantConfig(mempool, "preempt-lock");
    expect(config.memory ?? "sc").toBe("sc");
    for (const seed of [1, 2, 3]) {
      const [a, b] = ["pct", "pctwm"].map((strategy) => search({ model: mempool, variant: "preempt-lock", config, runs: 500, seed, strategy }));
      expect(a!.found).toBeDefined();
      expect(b!.runs).toBe(a!.runs);
      expect(b!.found).toEqual(a!.found);
    }
  });

  for (const [model, variant, memory, runs] of [
    [channel, "correct", "pso", 300],
    [channel, "correct", "weak", 300],
    [mp, "correct", "weak", 300],
    [sb, "correct", "tso", 300],
  ] as const) {
    it(`passes the correct ${model.name} under ${memory}`, () => {
      const r = hunt({ model, variant, config: variantConfig(model, variant, { memory }), runs, seed: 1, strategy: "pctwm" });
      expect(r.counterexample).toBeUndefined();
      expect(r.runs).toBe(runs);
      expect(r.report?.communication, "the memory had events to delay").toBeGreaterThan(0);
    });
  }
});
