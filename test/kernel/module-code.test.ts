// A model's own deferred-call machinery runs module code with the same
// unload checks as the kernel's timers and RCU callbacks.
import { describe, expect, it } from "vitest";
import { call_module_function, defineModel, fc, hunt, kthread_run, module, module_function, module_unload, variantConfig } from "../../src/index.ts";
import type { Code, Gen } from "../../src/index.ts";

const deferred = defineModel<number>({
  name: "own_deferred_calls",
  description: "a driver's own list of deferred calls, run by a worker, and the module's exit",
  variants: {
    "drain-first": { description: "exit waits until the list is empty and the worker idle", correct: true },
    "unload-at-once": { description: "exit unloads while a call may still be queued or running", correct: false },
  },
  properties: {},
  defaults: { cpus: 2, maxSteps: 200 },
  workload: () => fc.constant(0),
  setup(variant) {
    const mod = new module("mydrv");
    const queue: Code<[number]>[] = [];
    let busy = false;
    const handler = module_function(mod, "mydrv_handler", function* (n: number): Gen {
      yield `mydrv_handler(${n}): step 1`;
      yield `mydrv_handler(${n}): step 2`;
    });
    queue.push(handler);
    kthread_run(function* worker() {
      while (queue.length > 0) {
        const fn = queue.shift()!;
        busy = true;
        yield "take a call off the list";
        yield* call_module_function(fn, 1);
        busy = false;
      }
      yield "worker idle";
    }, "worker", { cpu: 0 });
    kthread_run(function* exit() {
      if (variant === "drain-first") yield { kind: "wait", until: () => queue.length === 0 && !busy, what: () => "the list is empty and the worker idle", sleep: true } as const;
      module_unload(mod);
      yield "module_unload(mydrv)";
    }, "rmmod", { cpu: 1 });
  },
});

describe("call_module_function", () => {
  it("a call that runs after, or while, its module is unloaded is caught", () => {
    const cx = hunt({ model: deferred, variant: "unload-at-once", config: variantConfig(deferred, "unload-at-once"), runs: 300, seed: 1 }).counterexample!;
    expect(cx.property).toBe("module-unload");
    expect(cx.failure.message).toMatch(/mydrv_handler|module mydrv is unloaded while worker is still running mydrv_handler/);
  });

  it("an exit that waits for the list to drain survives", () => {
    expect(hunt({ model: deferred, variant: "drain-first", config: variantConfig(deferred, "drain-first"), runs: 300, seed: 1 }).counterexample).toBeUndefined();
  });
});
