// Parallel hunts keep their workers for the next hunt, and never keep one
// that failed (it may still be searching the part it was given).
import { describe, expect, it } from "vitest";
import { huntParallel, workersKept, workersStarted } from "../src/harness/parallel.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { BUILTIN_MODELS_MODULE, findModel } from "../src/models/index.ts";

const mempool = findModel("mempool")!;
const correct = { model: mempool, variant: "irq-preempt-lock", config: variantConfig(mempool, "irq-preempt-lock"), runs: 200, seed: 1 };

describe("the workers of parallel hunts", () => {
  it("are started once and kept for the next hunt", async () => {
    const before = workersStarted();
    const first = await huntParallel(correct, 2, { builtins: BUILTIN_MODELS_MODULE });
    const afterFirst = workersStarted();
    const second = await huntParallel({ ...correct, seed: 2 }, 2, { builtins: BUILTIN_MODELS_MODULE });
    expect(afterFirst - before).toBeLessThanOrEqual(2);
    expect(workersStarted()).toBe(afterFirst);
    expect([first.runs, second.runs]).toEqual([200, 200]);
  });

  it("are not kept when one fails, and the next hunt still has two", async () => {
    await huntParallel(correct, 2, { builtins: BUILTIN_MODELS_MODULE });
    const kept = workersKept();
    expect(kept).toBeGreaterThanOrEqual(2);
    // A model the built-in models' module does not know: every worker fails to find it.
    const unknown = { ...correct, model: { ...mempool, name: "no-such-model" } };
    await expect(huntParallel(unknown, 2, { builtins: BUILTIN_MODELS_MODULE })).rejects.toThrow(/cannot find model 'no-such-model'/);
    expect(workersKept()).toBe(kept - 2);
    const r = await huntParallel(correct, 2, { builtins: BUILTIN_MODELS_MODULE });
    expect(r.runs).toBe(200);
  });
});
