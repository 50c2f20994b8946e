// Progress of a hunt: a live line on a terminal, throttled; one closing line
// elsewhere; nothing with --quiet; and never a different hunt.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { huntParallel } from "../src/harness/parallel.ts";
import { HuntProgress, formatElapsed, inCI } from "../src/harness/progress.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { BUILTIN_MODELS_MODULE, findModel } from "../src/models/index.ts";
import { cli, fakeStream, jsonFiles, tmp } from "./helpers/cli.ts";

const SUMMARY = /^hunted 1 variant of spinlock: \d+ runs in \d+\.\d s, \d+ runs\/s, 0 failures found$/;

describe("HuntProgress", () => {
  function setup(live: boolean) {
    let t = 0;
    const stream = fakeStream(true);
    const lines: string[] = [];
    const p = new HuntProgress({ stream, live, line: (s) => lines.push(s), what: "m", variants: 2, budget: 100, now: () => t, everyMs: 250 });
    return { p, stream, lines, advance: (ms: number) => (t += ms) };
  }

  it("draws at once when a variant begins, then at most every 250 ms, and ends with the closing line in its place", () => {
    const { p, stream, lines, advance } = setup(true);
    p.begin("m/a");
    expect(stream.writes).toEqual(["\rm/a [1/2]: 0/200 runs, 0 runs/s, 0 failures found, 0.0 s\x1b[K"]);
    advance(100);
    p.runs(10);
    expect(stream.writes).toHaveLength(1);
    advance(150);
    p.runs(50);
    expect(stream.writes.at(-1)).toBe("\rm/a [1/2]: 50/200 runs, 200 runs/s, 0 failures found, 0.3 s\x1b[K");
    p.found("exact-count");
    expect(stream.writes.at(-1)).toBe("\rm/a [1/2]: 50/200 runs, 200 runs/s, 1 failure found, 0.3 s; exact-count broken, shrinking\x1b[K");
    p.end(50);
    p.begin("m/b");
    advance(250);
    p.runs(100);
    expect(stream.writes.at(-1)).toBe("\rm/b [2/2]: 150/200 runs, 300 runs/s, 1 failure found, 0.5 s\x1b[K");
    p.end(100);
    p.finish();
    expect(stream.writes.slice(-2)).toEqual(["\r\x1b[K", "hunted 2 variants of m: 150 runs in 0.5 s, 300 runs/s, 1 failure found\n"]);
    expect(lines).toEqual([]);
  });

  it("without a live line writes nothing to the terminal and prints one closing line", () => {
    const { p, stream, lines, advance } = setup(false);
    p.begin("m/a");
    advance(1000);
    p.runs(40);
    p.end(40);
    p.finish();
    expect(stream.writes).toEqual([]);
    expect(lines).toEqual(["hunted 1 variant of m: 40 runs in 1.0 s, 40 runs/s, 0 failures found"]);
  });

  it("counts CI as set unless it is empty, false or 0; prints long times as m:ss", () => {
    expect([inCI({ CI: "true" }), inCI({ CI: "1" }), inCI({}), inCI({ CI: "" }), inCI({ CI: "false" }), inCI({ CI: "0" })]).toEqual([true, true, false, false, false, false]);
    expect([formatElapsed(59_940), formatElapsed(61_000), formatElapsed(3_725_000)]).toEqual(["59.9 s", "1:01", "1:02:05"]);
  });
});

describe("hunt's progress on the command line", () => {
  afterEach(() => void vi.unstubAllEnvs());
  const args = (dir: string, ...more: string[]) => ["hunt", "spinlock", "--variant", "irqsave", "--runs", "300", "--out", dir, ...more];

  it("not on a terminal: exactly one line, at the end, on standard error", async () => {
    const r = await cli(args(tmp()));
    expect(r.code).toBe(0);
    expect(r.errLines).toHaveLength(1);
    expect(r.err).toMatch(SUMMARY);
    expect(r.err).toContain(": 300 runs in ");
  });

  it("on a terminal: a live line rewritten in place, then the closing line", async () => {
    vi.stubEnv("CI", "");
    const tty = fakeStream(true);
    const r = await cli(args(tmp()), tty);
    expect(r.errLines).toEqual([]);
    const live = tty.writes.filter((w) => /^\rspinlock\/irqsave: \d+\/300 runs, \d+ runs\/s, 0 failures found, \d+\.\d s\x1b\[K$/.test(w));
    expect(live.length).toBeGreaterThanOrEqual(1);
    expect(tty.writes.at(-1)).toMatch(/^hunted 1 variant of spinlock: 300 runs in \d+\.\d s, \d+ runs\/s, 0 failures found\n$/);
  });

  it("on a terminal in CI, or with --quiet: no live line", async () => {
    vi.stubEnv("CI", "true");
    const ci = fakeStream(true);
    const r = await cli(args(tmp()), ci);
    expect(ci.writes).toEqual([]);
    expect(r.err).toMatch(SUMMARY);
    vi.stubEnv("CI", "");
    const quiet = fakeStream(true);
    const q = await cli(args(tmp(), "--quiet"), quiet);
    expect(quiet.writes).toEqual([]);
    expect(q.err).toBe("");
  });

  it("--workers: a parallel hunt passes the runs its workers have made as they go (what the live line shows)", async () => {
    const model = findModel("spinlock")!;
    const seen: number[] = [];
    const opts = { model, variant: "irqsave", config: variantConfig(model, "irqsave"), runs: 1000, seed: 1, onRun: (n: number) => void seen.push(n) };
    const r = await huntParallel(opts, 1, { pollMs: 5, builtins: BUILTIN_MODELS_MODULE });
    expect(r.runs).toBe(1000);
    expect(seen.some((n) => n > 0 && n < 1000)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("the same hunt with and without progress finds the same counterexample", async () => {
    vi.stubEnv("CI", "");
    const [a, b] = [tmp(), tmp()];
    const hunt = (dir: string) => ["hunt", "spinlock", "--variant", "no-preempt-disable", "--seed", "4", "--out", dir];
    await cli([...hunt(a), "--quiet"]);
    await cli(hunt(b), fakeStream(true));
    const [fa] = jsonFiles(a);
    expect(jsonFiles(b)).toEqual([fa]);
    const strip = (d: string) => ({ ...JSON.parse(fs.readFileSync(path.join(d, fa!), "utf8")), found: undefined });
    expect(strip(b)).toEqual(strip(a));
  });
});
