// The example driver written with the kernel API alone: every variant hunted,
// the correct one surviving, each broken one caught as what it is.
import { describe, expect, it } from "vitest";
import driver from "../examples/refcounted-driver.ts";
import { hunt, replayCounterexample, variantConfig } from "../src/index.ts";

describe("examples/refcounted-driver.ts", () => {
  it("correct survives", () => {
    const r = hunt({ model: driver, variant: "correct", config: variantConfig(driver, "correct"), runs: 1500, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });

  it.each([
    ["cancel-leaks-ref", ["no-leak"]],
    ["no-timer-shutdown", ["module-unload"]],
    ["stats-without-bh", ["lockdep"]],
    ["irq-without-get", ["refcount", "use-after-free"]],
  ] as const)("%s is caught", (variant, props) => {
    const cx = hunt({ model: driver, variant, config: variantConfig(driver, variant), runs: 1500, seed: 1 }).counterexample!;
    expect(props).toContain(cx.property);
    expect(replayCounterexample(cx, driver).every((v) => v.ok)).toBe(true);
  });
});
