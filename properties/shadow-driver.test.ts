// The shadow-driver model hunted with fixed seeds: each broken recovery is
// caught by the property it breaks, what is found replays as found, and the
// correct shadow survives.
import { describe, expect, it } from "vitest";
import { hunt } from "../src/harness/hunt.ts";
import { replayCounterexample } from "../src/harness/replay.ts";
import { variantConfig } from "../src/kernel/model.ts";
import model from "../src/models/shadow-driver/index.ts";

describe("shadow-driver: broken recoveries are caught", () => {
  const cases: { variant: string; property: string; message: RegExp }[] = [
    { variant: "stale-completion", property: "exactly-once", message: /^T\d\.r\d completed 2 times$/ },
    { variant: "irq-unmasked", property: "no-irq-after-teardown", message: /^the handler of driver #1 runs on its torn-down state/ },
    { variant: "no-queue", property: "no-io-during-restart", message: /^T\d\.r\d reaches driver #1 \(\w+\) while the shadow is recovering it$/ },
  ];
  for (const c of cases) {
    it(`${c.variant}: ${c.property}`, () => {
      const cx = hunt({ model, variant: c.variant, config: variantConfig(model, c.variant), runs: 300, seed: 1 }).counterexample;
      expect(cx?.property).toBe(c.property);
      expect(cx!.failure.message).toMatch(c.message);
      // The failure needs the driver to fail: the fault is in the schedule.
      expect(cx!.schedule.some((e) => e.kind === "env" && e.source === "fault")).toBe(true);
      // It replays as found, and the correct shadow passes the same schedule.
      expect(replayCounterexample(cx!, model).every((v) => v.ok)).toBe(true);
    });
  }
});

describe("shadow-driver: the correct shadow survives", () => {
  it("correct, 1000 runs", () => {
    const r = hunt({ model, variant: "correct", config: variantConfig(model, "correct"), runs: 1000, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
    expect(r.runs).toBe(1000);
  });
});
