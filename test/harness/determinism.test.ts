// A model that is not deterministic is told so, at the step where two runs
// of the same schedule part, instead of getting a meaningless verdict.
import { describe, expect, it } from "vitest";
import { defineModel, fc, hunt, kthread_run, variantConfig } from "../../src/index.ts";

let leftover = 0; // state that outlives a run: the mistake this test makes on purpose

const flaky = defineModel<number>({
  name: "flaky",
  description: "reads state that is not part of the run",
  variants: {
    leftover: { description: "counts runs in a module variable", correct: false },
    random: { description: "flips a coin with Math.random", correct: false },
    fine: { description: "fails the same way every time", correct: false },
  },
  properties: { broken: "always broken" },
  defaults: { cpus: 1, maxSteps: 50 },
  workload: () => fc.constant(0),
  setup(variant) {
    kthread_run(function* () {
      yield "start";
      if (variant === "leftover") yield `run ${++leftover}`;
      if (variant === "random") yield Math.random() < 0.5 ? "heads" : "tails";
      yield "end";
    }, "T", { cpu: 0 });
    return { finals: { broken: () => "broken" } };
  },
});

describe("nondeterministic models", () => {
  it("state kept from an earlier run: the two runs part at the step that reads it", () => {
    expect(() => hunt({ model: flaky, variant: "leftover", config: variantConfig(flaky, "leftover"), runs: 10, seed: 1 })).toThrow(
      /^model flaky is not deterministic: the same schedule ran two ways at event 1: first T on cpu0: run \d+; then T on cpu0: run \d+ \(does it read Math\.random/,
    );
  });

  it("Math.random: caught the same way (up to the coin)", () => {
    let caught = 0;
    for (let i = 0; i < 20 && caught === 0; i++) {
      try {
        hunt({ model: flaky, variant: "random", config: variantConfig(flaky, "random"), runs: 1, seed: i });
      } catch (e) {
        expect(String(e)).toMatch(/not deterministic: the same schedule ran two ways at (event|drain action) \d+: first T on cpu0: (heads|tails); then T on cpu0: (heads|tails)/);
        caught++;
      }
    }
    expect(caught).toBe(1);
  });

  it("a deterministic model is hunted as before", () => {
    expect(hunt({ model: flaky, variant: "fine", config: variantConfig(flaky, "fine"), runs: 10, seed: 1 }).counterexample?.property).toBe("broken");
  });
});
