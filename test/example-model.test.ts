// The own-model example: it lives in examples/, docs/writing-models.md shows
// it verbatim (the README points to both), and the hunt treats it as it
// treats the built-in models.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import counter from "../examples/irq-counter.ts";
import { hunt, removableEvents, variantConfig } from "../src/index.ts";

const root = path.join(import.meta.dirname, "..");

describe("examples/irq-counter.ts", () => {
  it("is shown in docs/writing-models.md as it is, and the README points to both", () => {
    const page = fs.readFileSync(path.join(root, "docs", "writing-models.md"), "utf8");
    const source = fs.readFileSync(path.join(root, "examples", "irq-counter.ts"), "utf8");
    expect(page).toContain(source.trim());
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    expect(readme).toContain("examples/irq-counter.ts");
    expect(readme).toContain("(docs/writing-models.md)");
  });

  it("plain: the lost update is caught and shrunk to one interrupt between load and store", () => {
    const model = counter;
    const config = variantConfig(model, "plain");
    const cx = hunt({ model, variant: "plain", config, runs: 500, seed: 1 }).counterexample!;
    expect(cx.property).toBe("exact-count");
    expect(cx.failure.message).toMatch(/^count is \d+ after \d+ packets$/);
    expect(cx.schedule).toEqual([
      { kind: "step", cpu: 0 },
      { kind: "irq", cpu: 0, line: "nic" },
    ]);
    expect(removableEvents({ model, variant: "plain", config, workload: cx.workload, property: cx.property }, cx.schedule)).toEqual([]);
  });

  it("irqsave: survives", () => {
    const model = counter;
    const r = hunt({ model, variant: "irqsave", config: variantConfig(model, "irqsave"), runs: 1000, seed: 1 });
    expect(r.counterexample).toBeUndefined();
  });
});
