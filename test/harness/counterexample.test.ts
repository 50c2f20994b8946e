import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Counterexample } from "../../src/harness/counterexample.ts";
import { counterexampleFiles, readCounterexampleFile, relativePath, writeCounterexample } from "../../src/harness/counterexample.ts";
import { hunt } from "../../src/harness/hunt.ts";
import { replayFile } from "../../src/harness/replay.ts";
import { variantConfig } from "../../src/kernel/model.ts";
import { findModel } from "../../src/models/index.ts";

const model = findModel("mempool")!;
let cx: Counterexample;

beforeAll(() => {
  const r = hunt({ model, variant: "preempt-lock", config: variantConfig(model, "preempt-lock"), runs: 500, seed: 1 });
  cx = r.counterexample!;
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "krh-"));

describe("counterexample files", () => {
  it("are named model/variant--property--hash.json and read back equal", () => {
    const dir = tmp();
    const saved = writeCounterexample(dir, cx);
    expect(saved.created).toBe(true);
    expect(path.relative(dir, saved.path)).toBe(`mempool/preempt-lock--${cx.property}--${path.basename(saved.path).split("--")[2]}`);
    expect(path.basename(saved.path)).toMatch(/^preempt-lock--[a-z-]+--[0-9a-f]{8}\.json$/);
    const back = readCounterexampleFile(saved.path, findModel);
    expect("cx" in back && back.cx).toEqual(cx);
    expect(fs.readdirSync(path.dirname(saved.path))).toEqual([path.basename(saved.path)]); // no temporary file left
  });

  it("do not depend on `found`: the same counterexample found again is recognised, not rewritten", () => {
    const dir = tmp();
    const first = writeCounterexample(dir, cx);
    const before = fs.readFileSync(first.path, "utf8");
    const again = writeCounterexample(dir, { ...cx, found: { ...cx.found, date: "2030-01-01T00:00:00.000Z", runs: 9 } });
    expect(again).toEqual({ path: first.path, created: false });
    expect(fs.readFileSync(first.path, "utf8")).toBe(before);
  });

  it("never overwrite a different file that holds the name", () => {
    const dir = tmp();
    const file = path.join(dir, relativePath(cx));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "precious\n");
    expect(() => writeCounterexample(dir, cx)).toThrow(/holds a different counterexample; not overwriting/);
    expect(fs.readFileSync(file, "utf8")).toBe("precious\n");
  });

  it("are found recursively and in order", () => {
    const dir = tmp();
    const a = writeCounterexample(dir, cx).path;
    fs.writeFileSync(path.join(dir, "notes.txt"), "not a counterexample");
    expect(counterexampleFiles(dir)).toEqual([a]);
    expect(counterexampleFiles(a)).toEqual([a]);
    expect(counterexampleFiles(path.join(dir, "missing"))).toEqual([]);
  });
});

describe("reading bad files gives one line naming what is wrong", () => {
  const cases: [string, (c: Record<string, unknown>) => unknown, RegExp][] = [
    ["an unknown format version", (c) => ({ ...c, format: "krh-counterexample/99" }), /^unknown format "krh-counterexample\/99"/],
    ["an unknown model", (c) => ({ ...c, model: "nosuch" }), /^unknown model 'nosuch'/],
    ["an unknown variant", (c) => ({ ...c, variant: "nosuch" }), /^model mempool has no variant 'nosuch' \(known: preempt-lock,/],
    ["an unknown property", (c) => ({ ...c, property: "nosuch" }), /^model mempool has no property 'nosuch'/],
    ["an event of an unknown kind", (c) => ({ ...c, schedule: [{ kind: "step", cpu: 0 }, { kind: "teleport", cpu: 0 }] }), /^schedule event 1 has unknown kind 'teleport'/],
    ["an event without its cpu", (c) => ({ ...c, schedule: [{ kind: "irq", line: "virtio" }] }), /^schedule event 0 needs a cpu number/],
    ["a workload the model cannot run", (c) => ({ ...c, workload: { threads: "many" } }), /^the workload does not fit model mempool/],
    ["a bad config", (c) => ({ ...c, config: { cpus: 0, maxSteps: 10 } }), /^config\.cpus must be a whole number/],
    ["no failure", (c) => ({ ...c, failure: undefined }), /^failure must hold/],
    ["a setting the model does not have", (c) => ({ ...c, config: { ...(c.config as object), colour: "red" } }), /^config\.colour is not a setting of model mempool \(known: lockdep, cpus, maxSteps, signalThreshold, failslab, hotplug\)$/],
    ["a setting of the wrong type", (c) => ({ ...c, config: { ...(c.config as object), signalThreshold: "lots" } }), /^config\.signalThreshold must be a number$/],
    ["an event on a CPU the machine lacks", (c) => ({ ...c, schedule: [{ kind: "step", cpu: 5 }] }), /^schedule event 0 names cpu5, but the machine has 1 cpu\(s\)$/],
    ["an incomplete found", (c) => ({ ...c, found: {} }), /^found must hold strategy, seed, runs, fastCheck and date$/],
  ];
  for (const [what, mutate, expected] of cases) {
    it(`rejects ${what}`, () => {
      const dir = tmp();
      const file = path.join(dir, "bad.json");
      fs.writeFileSync(file, JSON.stringify(mutate(JSON.parse(JSON.stringify(cx)))));
      const r = readCounterexampleFile(file, findModel);
      expect("error" in r && r.error).toMatch(expected);
      expect("error" in r && r.error.includes("\n")).toBe(false);
    });
  }

  it("rejects a NaN (which JSON does not have) in one line", () => {
    const file = path.join(tmp(), "nan.json");
    fs.writeFileSync(file, JSON.stringify(cx, null, 2).replace(/"cpus": \d+/, '"cpus": NaN'));
    const r = readCounterexampleFile(file, findModel);
    expect("error" in r && r.error).toMatch(/^not JSON: .*NaN/);
    expect("error" in r && r.error.includes("\n")).toBe(false);
  });

  it("gives a setting the file lacks its default", () => {
    const file = path.join(tmp(), "old.json");
    const { signalThreshold: _s, ...config } = cx.config;
    fs.writeFileSync(file, JSON.stringify({ ...cx, config }));
    const r = readCounterexampleFile(file, findModel);
    expect("cx" in r && r.cx.config.signalThreshold).toBe(0);
  });

  it("rejects a file that is not JSON", () => {
    const file = path.join(tmp(), "bad.json");
    fs.writeFileSync(file, "{ nope");
    const r = readCounterexampleFile(file, findModel);
    expect("error" in r && r.error).toMatch(/^not JSON: /);
  });

  it("replays the good files of a folder even when one is bad", () => {
    const dir = tmp();
    writeCounterexample(dir, cx);
    fs.writeFileSync(path.join(dir, "mempool", "broken.json"), "[]");
    const results = counterexampleFiles(dir).map((f) => replayFile(f, findModel));
    expect(results.map((r) => [path.basename(r.file), r.ok, r.error ?? null])).toEqual([
      ["broken.json", false, "not a JSON object"],
      [path.basename(relativePath(cx)), true, null],
    ]);
  });
});
