// Reads-from guided search: it sees what each load read from, keeps the runs
// that show a new pair and asks for their pairs the other way; the same seed
// makes the same search; it finds communication bugs sooner than a blind
// walk; it reports no correct variant.
import { describe, expect, it } from "vitest";
import { hunt, search } from "../src/harness/hunt.ts";
import { searchOnline } from "../src/harness/online.ts";
import type { AnyModel } from "../src/kernel/model.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { findModel } from "../src/models/index.ts";
import { findStrategy } from "../src/strategies/index.ts";
import { expectSound } from "./helpers/caught.ts";
import { messagePassing } from "./helpers/litmus-models.ts";

const mp = messagePassing as AnyModel;
const channel = findModel("channel")!;
const virtio = findModel("virtio-evtchn")!;
const create = (seed: number) => findStrategy("rff")!.create({ seed, depth: 3, bound: 2, workloads: 20, shard: { index: 0, count: 1 } });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};

describe("rff", () => {
  it("is registered, and a fresh scheduler repeats the same runs for the same seed", () => {
    const config = variantConfig(channel, "correct");
    const schedules = () => {
      const events: string[] = [];
      const s = create(9);
      const recording = { ...s, next: (...a: Parameters<typeof s.next>) => { const e = s.next(...a); events.push(JSON.stringify(e)); return e; } };
      searchOnline({ model: channel, variant: "correct", config, runs: 30, seed: 9 }, recording);
      return events;
    };
    const a = schedules();
    expect(a.length).toBeGreaterThan(100);
    expect(schedules()).toEqual(a);
  });

  it("sees reads-from pairs, keeps the runs that show new ones, and steers later runs by asking for them the other way", () => {
    const s = create(1);
    searchOnline({ model: channel, variant: "correct", config: variantConfig(channel, "correct"), runs: 200, seed: 1 }, s);
    const r = s.report!();
    expect(r.seen, "pairs and classes seen").toBeGreaterThan(20);
    expect(r.kept, "runs kept for a new pair").toBeGreaterThan(5);
    expect(r.asksHeld, "events held back to keep an ask").toBeGreaterThan(0);
  });

  it("keeps a run only for what is new: message passing with both barriers has four pairs and three classes, and keeps three runs", () => {
    const s = create(1);
    searchOnline({ model: mp, variant: "correct", config: variantConfig(mp, "correct"), runs: 200, seed: 1 }, s);
    // flag from init or from the writer, data from init or from the writer; with the barriers, never flag new and data old.
    expect(s.report!()).toMatchObject({ kept: 3, corpus: 3, seen: 4 + 3 });
  });

  it("finds the reader that sees the flag before the data (message passing, pso) and reduces it to a sound 1-minimal counterexample", () => {
    const r = hunt({ model: mp, variant: "no-wmb", config: variantConfig(mp, "no-wmb"), runs: 200, seed: 1, strategy: "rff" });
    expect(r.counterexample?.found.strategy).toBe("rff");
    expectSound(mp, r.counterexample, { variant: "no-wmb", memory: "pso", expect: "message-passing" });
  });

  // Message passing needs the reader to see the flag's store and miss the data's: a reads-from class a
  // kept run is one turn away from. A blind walk finds it rarely (the reader must land between two flushes;
  // a seed that finds nothing within the 1,000 runs counts as more).
  for (const [variant, within] of [
    ["no-wmb", 200],
    ["no-rmb", 1000],
  ] as const) {
    it(`finds message passing's ${variant} on every seed within ${within} runs, sooner than a random walk`, () => {
      const runs = (strategy: string) =>
        Array.from({ length: 10 }, (_, i) => {
          const r = search({ model: mp, variant, config: variantConfig(mp, variant), runs: 1000, seed: i + 1, strategy });
          return r.found === undefined ? Infinity : r.runs;
        });
      const guided = runs("rff");
      const blind = runs("random");
      expect(guided.every((n) => n <= within), `rff: ${guided}`).toBe(true);
      expect(median(guided) * 3, `rff ${guided} against random ${blind}`).toBeLessThan(median(blind));
    });
  }

  for (const [model, variant, memory] of [
    [channel, "correct", "pso"],
    [virtio, "correct", "weak"],
  ] as const) {
    it(`passes the correct ${model.name} under ${memory}`, () => {
      const r = hunt({ model, variant, config: variantConfig(model, variant, { memory }), runs: 150, seed: 1, strategy: "rff" });
      expect(r.counterexample).toBeUndefined();
      expect(r.runs).toBe(150);
    });
  }
});
