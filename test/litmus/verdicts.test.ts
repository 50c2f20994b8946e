// The project's own litmus tests (litmus/), each searched completely under
// every memory mode: no mode may show an outcome LKMM forbids, and each
// mode shows exactly the reorderings it is built to show.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseLitmus } from "../../src/litmus/parse.ts";
import { judge } from "../../src/litmus/verdict.ts";
import { MEMORY_MODELS } from "../../src/sim/memory.ts";
import type { MemoryModel } from "../../src/sim/memory.ts";
import { cli, root } from "../helpers/cli.ts";

const dir = path.join(root, "litmus");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".litmus")).sort();
const tests = files.map((f) => parseLitmus(fs.readFileSync(path.join(dir, f), "utf8")));
const verdicts = new Map(tests.map((t) => [t.name, judge(t, MEMORY_MODELS)]));

// The tests LKMM calls Sometimes whose outcome each mode shows; every other
// Sometimes is Never there (the mode is stronger).
const SHOWN: Record<MemoryModel, string[]> = {
  // sc: only bugs of the program itself, not of ordering.
  sc: ["RCU+nosync+free", "RCU+sync+nolock+free"],
  // tso adds store-to-load reordering (a store waits in the buffer).
  tso: ["RCU+nosync+free", "RCU+sync+nolock+free", "R+poonceonces", "SB+poonceonces", "SB+unlockonce+mbonce", "SB+wmbs"],
  // pso adds store-to-store reordering (without smp_wmb()).
  pso: [
    "RCU+nosync+free", "RCU+sync+nolock+free", "R+poonceonces", "SB+poonceonces", "SB+unlockonce+mbonce", "SB+wmbs",
    "2+2W+poonceonces", "ISA2+once+acquirerelease+acquire", "MP+onceonce+deref", "MP+poonceonce+rmb", "MP+poonceonces", "S+poonceonces",
  ],
  // weak adds load-to-load reordering (without smp_rmb(), an acquire or an address dependency).
  weak: [
    "RCU+nosync+free", "RCU+sync+nolock+free", "R+poonceonces", "SB+poonceonces", "SB+unlockonce+mbonce", "SB+wmbs",
    "2+2W+poonceonces", "ISA2+once+acquirerelease+acquire", "MP+onceonce+deref", "MP+poonceonce+rmb", "MP+poonceonces", "S+poonceonces",
    "IRIW+poonceonces", "MP+wmb+ctrl", "MP+wmb+poonceonce", "WRC+poonceonces", "cmpxchg-fail+po",
  ],
};

describe("the project's litmus tests", () => {
  it("cover the classic shapes, each with and without what forbids its outcome", () => {
    const names = tests.map((t) => t.name);
    for (const shape of ["SB", "MP", "LB", "2+2W", "R", "S", "WRC", "IRIW", "CoRR", "CoWW", "ISA2", "RCU"]) {
      const family = tests.filter((t) => t.name === shape || t.name.startsWith(`${shape}+`) || t.name.startsWith(`${shape}-`));
      expect(family.map((t) => t.result), shape).toContain("Never");
      if (!shape.startsWith("Co")) expect(family.map((t) => t.result), shape).toContain("Sometimes");
    }
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  it.each(tests.map((t) => t.name))("%s: every search complete, the verdict LKMM allows in every mode", (name) => {
    const t = tests.find((x) => x.name === name)!;
    for (const v of verdicts.get(name)!) {
      expect(v.contradicts, `${name} under ${v.mode}: ${v.verdict}, LKMM says ${t.result}`).toBe(false);
      expect(v.deadlocks).toBe(0);
      const shown = SHOWN[v.mode].includes(name);
      expect(v.verdict, `${name} under ${v.mode}`).toBe(t.result === "Never" ? "Never" : shown ? "Sometimes" : "Never");
    }
  });

  it("each mode is at least as strong as the next: whatever a test shows under sc, tso shows, and so on", () => {
    for (const [name, vs] of verdicts) {
      for (let i = 0; i + 1 < vs.length; i++) if (vs[i]!.positive > 0) expect(vs[i + 1]!.positive, `${name}: ${vs[i]!.mode} shows it, ${vs[i + 1]!.mode} not`).toBeGreaterThan(0);
    }
  });

  it("litmus litmus/ prints the table and exits 0: no contradiction", async () => {
    const r = await cli(["litmus", dir]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^test +LKMM +sc +tso +pso +weak$/m);
    expect(r.out).toMatch(/^MP\+wmb\+poonceonce +Sometimes +Never \d+ +Never \d+ +Never \d+ +Sometimes \d+$/m);
    expect(r.out).toMatch(/48 test\(s\) x 4 mode\(s\): 192 complete searches in .* no contradiction$/m);
  });
});
