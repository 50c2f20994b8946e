// examples/hundred-threads.ts: a bug that needs one thread to run between
// two steps of another, among a hundred threads. POS and the portfolio find
// it, and the counterexample is the few events that matter, whatever found it.
import { describe, expect, it } from "vitest";
import { hunt } from "../src/harness/hunt.ts";
import { variantConfig } from "../src/kernel/model.ts";
import model from "../examples/hundred-threads.ts";

const config = variantConfig(model, "unlocked");

describe("a hundred threads", () => {
  it.each([
    ["pos", 1],
    ["portfolio", 3],
  ] as const)("%s finds the reader inside the reset, shrunk to three events", (strategy, seed) => {
    const cx = hunt({ model, variant: "unlocked", config, runs: 10_000, seed, strategy }).counterexample!;
    expect(cx.property).toBe("no-half-reset");
    expect(cx.schedule).toHaveLength(3);
  });

  it("the reader under the device lock passes", () => {
    expect(hunt({ model, variant: "locked", config: variantConfig(model, "locked"), runs: 10, seed: 1, strategy: "pos" }).counterexample).toBeUndefined();
  });
});
