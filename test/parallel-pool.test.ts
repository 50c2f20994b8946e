// Parallel hunts keep their workers for the next hunt, never keep one that
// failed (it may still be searching the part it was given), and a worker
// that fails while idle is dropped without taking the process down.
import { describe, expect, it } from "vitest";
import { huntParallel, workersKept, workersStarted } from "../src/harness/parallel.ts";
import type { HuntOptions } from "../src/harness/hunt.ts";
import type { AnyModel } from "../src/kernel/model.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { BUILTIN_MODELS_MODULE, findModel } from "../src/models/index.ts";
import { fixture } from "./helpers/cli.ts";

const mempool = findModel("mempool")!;
const correct = { model: mempool, variant: "irq-preempt-lock", config: variantConfig(mempool, "irq-preempt-lock"), runs: 200, seed: 1 };
const builtins = { builtins: BUILTIN_MODELS_MODULE };

describe("the workers of parallel hunts", () => {
  it("are started once and kept for the next hunt, which finds what a hunt on fresh workers finds", async () => {
    const buggy = { ...correct, variant: "preempt-lock", config: variantConfig(mempool, "preempt-lock"), runs: 400 };
    const before = workersStarted();
    const first = await huntParallel(buggy, 2, builtins);
    const afterFirst = workersStarted();
    const second = await huntParallel(buggy, 2, builtins);
    expect(afterFirst - before).toBeLessThanOrEqual(2);
    expect(workersStarted()).toBe(afterFirst);
    expect(second.runs).toBe(first.runs);
    expect(second.counterexample?.schedule).toEqual(first.counterexample?.schedule);
    expect(first.counterexample).toBeDefined();
  });

  it("are not kept when one fails, and the next hunt still has two", async () => {
    await huntParallel(correct, 2, builtins);
    const kept = workersKept();
    expect(kept).toBeGreaterThanOrEqual(2);
    // A model the built-in models' module does not know: every worker fails to find it.
    const unknown = { ...correct, model: { ...mempool, name: "no-such-model" } };
    await expect(huntParallel(unknown, 2, builtins)).rejects.toThrow(/cannot find model 'no-such-model'/);
    expect(workersKept()).toBe(kept - 2);
    const r = await huntParallel(correct, 2, builtins);
    expect(r.runs).toBe(200);
  });

  it("refuses a hunt whose options cannot be handed to a thread, and leaves no worker waiting", async () => {
    await huntParallel(correct, 2, builtins);
    const kept = workersKept();
    expect(kept).toBeGreaterThanOrEqual(2);
    const odd = { ...correct, extra: () => 1 } as HuntOptions;
    await expect(huntParallel(odd, 2, builtins)).rejects.toThrow(/hunt worker 1 of 2 cannot be given its part/);
    // The two it took were ended, not given back with a part they never got.
    expect(workersKept()).toBe(kept - 2);
  });

  it("drop a worker that fails while idle, and the process goes on", async () => {
    // Loaded in the workers only: here it would throw in this process.
    const model = { name: "fails-later" } as AnyModel;
    const r = await huntParallel({ model, variant: "only", config: { cpus: 1, maxSteps: 100 }, runs: 20, seed: 1 }, 2, { modelFile: fixture("fails-later.ts") });
    expect(r.runs).toBe(20);
    const kept = workersKept();
    // The module's timer throws in both idle workers about 300 ms after they loaded it.
    for (let waited = 0; workersKept() > kept - 2 && waited < 5000; waited += 50) await new Promise((done) => setTimeout(done, 50));
    expect(workersKept()).toBe(kept - 2);
  });
});
