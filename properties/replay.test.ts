// Every committed counterexample still breaks its property on the variant
// it was found on, breaks nothing on the model's correct variants, and stays
// 1-minimal. A file that cannot be read fails its own test, naming it. A
// counterexample of a model of one's own finds it through the model file it
// records.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { counterexampleFiles } from "../src/harness/counterexample.ts";
import { removableEvents } from "../src/harness/minimize.ts";
import { ModelLookup } from "../src/harness/model-lookup.ts";
import { describeReplay, replayFile } from "../src/harness/replay.ts";
import { MODELS } from "../src/models/index.ts";

const dir = path.join(import.meta.dirname, "..", "counterexamples");
const files = counterexampleFiles(dir);
const models = new ModelLookup(MODELS);

describe("saved counterexamples replay as expected", () => {
  it("there is one for every buggy variant of every model", () => {
    const have = new Set(files.map((f) => path.relative(dir, f).split(path.sep).slice(0, 2).join("/").replace(/--.*$/, "")));
    const missing = MODELS.flatMap((m) => Object.entries(m.variants).filter(([, v]) => !v.correct).map(([name]) => `${m.name}/${name}`)).filter((k) => !have.has(k));
    expect(missing).toEqual([]);
  });

  for (const file of files) {
    it(path.relative(dir, file), async () => {
      const m = await models.forFile(file);
      if ("error" in m) expect.fail(m.error);
      const r = replayFile(file, m.find);
      expect(r.ok, describeReplay(r).join("\n")).toBe(true);
      const cx = r.cx!;
      const model = m.find(cx.model)!;
      expect(removableEvents({ model, variant: cx.variant, config: cx.config, workload: cx.workload, property: cx.property }, cx.schedule)).toEqual([]);
    });
  }
});
