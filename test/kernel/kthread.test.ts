// Threads that make threads, and stopping them as Linux does.
import { describe, expect, it } from "vitest";
import {
  TASK_INTERRUPTIBLE,
  __set_current_state,
  defineModel,
  fc,
  hunt,
  kthread_create,
  kthread_run,
  kthread_should_stop,
  kthread_stop,
  schedule,
  set_current_state,
  variantConfig,
  wake_up_process,
} from "../../src/index.ts";
import type { Gen } from "../../src/index.ts";

const manager = defineModel<number>({
  name: "kthread_manager",
  description: "a thread starts a worker, lets it run, then stops it",
  variants: {
    correct: { description: "the worker sets its state before it tests kthread_should_stop()", correct: true },
    "test-then-sleep": { description: "the worker tests kthread_should_stop(), then sets its state and sleeps: kthread_stop()'s wake-up can come in between", correct: false },
    created: { description: "kthread_create() then wake_up_process()", correct: true },
  },
  properties: {},
  defaults: { cpus: 2, maxSteps: 300 },
  workload: () => fc.constant(0),
  setup(variant) {
    function* worker(): Gen {
      for (;;) {
        if (variant === "test-then-sleep") {
          if (kthread_should_stop()) break;
          yield "kthread_should_stop() == false";
          set_current_state(TASK_INTERRUPTIBLE);
          yield "set_current_state(TASK_INTERRUPTIBLE)";
        } else {
          set_current_state(TASK_INTERRUPTIBLE);
          yield "set_current_state(TASK_INTERRUPTIBLE)";
          if (kthread_should_stop()) {
            __set_current_state(0);
            break;
          }
        }
        yield* schedule();
      }
      yield "worker exits";
    }
    kthread_run(function* (): Gen {
      const w = variant === "created" ? kthread_create(worker, "worker", { cpu: 1 }) : kthread_run(worker, "worker", { cpu: 1 });
      yield variant === "created" ? "kthread_create(worker)" : "kthread_run(worker)";
      if (variant === "created") {
        wake_up_process(w);
        yield "wake_up_process(worker)";
      }
      yield* kthread_stop(w);
    }, "manager", { cpu: 0 });
  },
});

describe("kthreads", () => {
  it.each(["correct", "created"])("%s: the worker is made by a running thread and stopped with kthread_stop()", (variant) => {
    const r = hunt({ model: manager, variant, config: variantConfig(manager, variant), runs: 500, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });

  it("a worker that tests kthread_should_stop() before it sets its state misses the stop: it sleeps for ever", () => {
    const cx = hunt({ model: manager, variant: "test-then-sleep", config: variantConfig(manager, "test-then-sleep"), runs: 500, seed: 1 }).counterexample!;
    expect(["lost-wakeup", "deadlock"]).toContain(cx.property);
    expect(cx.failure.message).toMatch(/worker on cpu\d sleeps until woken by wake_up_process\(\)/);
    expect(cx.failure.message).toMatch(/manager on cpu\d sleeps until worker has exited/);
  });
});
