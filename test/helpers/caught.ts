// A model's buggy variants as the property tests hunt them: each hunted once
// (fixed seed) and shared by the tests that read it, and each counterexample
// checked as a saved one would be.
import { expect } from "vitest";
import type { Counterexample } from "../../src/harness/counterexample.ts";
import { hunt } from "../../src/harness/hunt.ts";
import { removableEvents } from "../../src/harness/minimize.ts";
import { replayCounterexample } from "../../src/harness/replay.ts";
import type { AnyModel } from "../../src/kernel/model.ts";
import { variantConfig } from "../../src/kernel/model.ts";

/** `caught(variant, memory?, strategy?)`: what a fixed-seed hunt of that many runs finds, hunted once. */
export function huntOnce(model: AnyModel, runs: number): (variant: string, memory?: string, strategy?: string) => Counterexample | undefined {
  const found = new Map<string, Counterexample | undefined>();
  return (variant, memory, strategy) => {
    const key = `${variant}/${memory ?? "default"}/${strategy ?? "fast-check"}`;
    if (!found.has(key)) {
      const config = variantConfig(model, variant, memory === undefined ? {} : { memory });
      found.set(key, hunt({ model, variant, config, runs, seed: 1, strategy }).counterexample);
    }
    return found.get(key);
  };
}

/** The counterexample breaks the property expected, in the memory mode asked, replays on every variant as it should, and is 1-minimal. */
export function expectSound(model: AnyModel, cx: Counterexample | undefined, c: { variant: string; memory: string; expect: string }): void {
  expect(cx?.property).toBe(c.expect);
  expect(cx!.config.memory).toBe(c.memory);
  expect(replayCounterexample(cx!, model).every((v) => v.ok)).toBe(true);
  const config = variantConfig(model, c.variant, { memory: c.memory });
  expect(removableEvents({ model, variant: c.variant, config, workload: cx!.workload, property: cx!.property }, cx!.schedule)).toEqual([]);
}
