import { describe, expect, it } from "vitest";
import { walkOnce, walksOn, walkToFailure } from "../../src/harness/walks.ts";
import { variantConfig } from "../../src/kernel/model.ts";
import { findModel } from "../../src/models/index.ts";
import { stillFails } from "../../src/harness/minimize.ts";

const model = findModel("mempool")!;
const variant = "preempt-lock";
const config = variantConfig(model, variant);
const workload = { objectsPerPage: 2, threads: [{ cpu: 0, ops: ["alloc"] }], irq: { cpus: [0], count: 1 } };
const t = { model, variant, config, workload, property: "no-double-alloc" };

describe("the minimizer's walks", () => {
  it("walk the same way on the same workload and property, whatever was reduced before", () => {
    const first = walksOn(t, 100);
    const again = walksOn(t, 100);
    const runs = (w: ReturnType<typeof walksOn>) => Array.from({ length: 20 }, () => JSON.stringify(walkOnce(t, w, 64) ?? null));
    expect(runs(first)).toEqual(runs(again));
    // Another workload walks otherwise: the stream is the workload's.
    const other = { ...t, workload: { ...workload, objectsPerPage: 3 } };
    expect(walksOn(other, 1).rng()).not.toBe(walksOn(t, 1).rng());
  });

  it("find a run that breaks the property, within their budget", () => {
    const walks = walksOn(t, 200);
    const found = walkToFailure(t, walks, 64);
    expect(found).toBeDefined();
    expect(stillFails(t, found!)).toEqual(found);
    expect(walks.left).toBeGreaterThanOrEqual(0);
    const none = walksOn(t, 0);
    expect(walkToFailure(t, none, 64)).toBeUndefined();
  });
});
