// Workqueues: work runs in a worker thread; a module's exit must cancel or
// flush its work before it goes; delayed work rides a timer on the clock.
import { describe, expect, it } from "vitest";
import {
  INIT_DELAYED_WORK,
  INIT_WORK,
  alloc_workqueue,
  cancel_delayed_work_sync,
  cancel_work_sync,
  clock_stalls,
  DEFINE_MUTEX,
  mutex_lock,
  mutex_unlock,
  work_busy,
  defineModel,
  destroy_workqueue,
  fc,
  flush_work,
  hunt,
  kthread_run,
  ktime_get,
  mod_timer,
  module,
  module_function,
  module_unload,
  msleep,
  queue_delayed_work,
  queue_work,
  timekeeping_init,
  timer_setup,
  variantConfig,
  violation,
} from "../../src/index.ts";
import type { Gen, timer_list, work_struct } from "../../src/index.ts";

const driver = defineModel<number>({
  name: "wq_driver",
  description: "a driver queues work from its thread, and its module exits",
  variants: {
    "cancel-then-unload": { description: "cancel_work_sync(), destroy_workqueue(), then unload", correct: true },
    "unload-with-work-queued": { description: "unloads without cancelling: the work may run after the module is gone", correct: false },
    "queue-after-destroy": { description: "the thread queues again after the workqueue was destroyed", correct: false },
  },
  properties: { "work-ran": "flush_work() returns only once the work queued before it has run" },
  defaults: { cpus: 2, maxSteps: 400 },
  workload: () => fc.constant(0),
  setup(variant) {
    const mod = new module("mydrv");
    const wq = alloc_workqueue("mydrv_wq");
    let runs = 0;
    const work = INIT_WORK(
      "mydrv_work",
      module_function(mod, "mydrv_work_fn", function* (_w: work_struct): Gen {
        yield "mydrv_work_fn: step 1";
        runs++;
        yield "mydrv_work_fn: step 2";
      }),
    );
    kthread_run(function* (): Gen {
      queue_work(wq, work);
      yield "queue_work(mydrv_wq, &mydrv_work)";
      yield* flush_work(work);
      if (runs === 0) violation("work-ran", "flush_work() returned before the work ran");
      queue_work(wq, work);
      yield "queue_work(mydrv_wq, &mydrv_work) again";
      if (variant !== "unload-with-work-queued") {
        yield* cancel_work_sync(work);
        yield* destroy_workqueue(wq);
      }
      if (variant === "queue-after-destroy") {
        queue_work(wq, work);
        yield "queue_work() on the destroyed workqueue";
      }
      module_unload(mod);
      yield "module_unload(mydrv)";
    }, "mydrv_exit", { cpu: 0 });
  },
});

describe("workqueues", () => {
  it("a module that cancels its work and destroys its workqueue before it goes survives; flush_work waits for the work", () => {
    const r = hunt({ model: driver, variant: "cancel-then-unload", config: variantConfig(driver, "cancel-then-unload"), runs: 1000, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });

  it("unloading with work still queued: the work runs after its module is gone, or is running when it goes", () => {
    const cx = hunt({ model: driver, variant: "unload-with-work-queued", config: variantConfig(driver, "unload-with-work-queued"), runs: 1000, seed: 1 }).counterexample!;
    expect(cx.property).toBe("module-unload");
    expect(cx.failure.message).toMatch(/mydrv_work_fn/);
  });

  it("queueing on a destroyed workqueue is reported", () => {
    const cx = hunt({ model: driver, variant: "queue-after-destroy", config: variantConfig(driver, "queue-after-destroy"), runs: 200, seed: 1 }).counterexample!;
    expect(cx.property).toBe("workqueue");
    expect(cx.failure.message).toBe("mydrv_work is queued on mydrv_wq, which was destroyed");
  });
});

const clocked = defineModel<number>({
  name: "timed_work",
  description: "a timer and a delayed work item on the virtual clock",
  variants: { only: { description: "-", correct: true } },
  properties: { "on-time": "nothing runs before its time, and the cancelled work never runs" },
  defaults: { cpus: 1, maxSteps: 300 },
  workload: () => fc.constant(0),
  setup() {
    timekeeping_init();
    const wq = alloc_workqueue("events_slow");
    let timerAt = -1;
    let cancelledRan = false;
    const timer = timer_setup("poll_timer", function* (_t: timer_list): Gen {
      timerAt = ktime_get();
      yield "poll_timer fires";
    });
    const later = INIT_DELAYED_WORK("later", function* (): Gen {
      cancelledRan = true;
      yield "later runs";
    });
    kthread_run(function* (): Gen {
      mod_timer(timer, 500);
      queue_delayed_work(wq, later, 2000);
      yield "mod_timer(500 us), queue_delayed_work(2000 us)";
      yield* msleep(1);
      yield* cancel_delayed_work_sync(later);
    }, "T0", { cpu: 0 });
    return {
      finals: {
        // The schedule may move the clock past 2000 us while T0 could already run (a stall): then the work may run first.
        "on-time": () => (timerAt < 500 ? `poll_timer fired at ${timerAt} us` : cancelledRan && clock_stalls() === 0 ? "the cancelled work ran" : undefined),
      },
    };
  },
});

describe("timers and delayed work on the clock", () => {
  it("mod_timer(t, expires) fires at its expiry or later; cancel_delayed_work_sync() before the delay keeps the work from running", () => {
    const r = hunt({ model: clocked, variant: "only", config: variantConfig(clocked, "only"), runs: 500, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});

const pool = defineModel<number>({
  name: "wq_pool",
  description: "work items that sleep, re-queue themselves, and are queued from two CPUs",
  variants: { only: { description: "-", correct: true } },
  properties: { "once-at-a-time": "a work item never runs twice at once", cancelled: "after cancel_work_sync() the item is neither pending nor running" },
  defaults: { cpus: 2, maxSteps: 800 },
  workload: () => fc.constant(0),
  setup() {
    const wq = alloc_workqueue("pool_wq");
    const m = DEFINE_MUTEX("dev->mutex");
    let inside = 0;
    let rounds = 0;
    const a = INIT_WORK("a", function* (): Gen {
      yield* mutex_lock(m); // sleeps while the thread holds it: b must still run
      yield* mutex_unlock(m);
    });
    const b = INIT_WORK("b", function* (): Gen {
      yield "b runs";
    });
    const again = INIT_WORK("again", function* (w: work_struct): Gen {
      if (++inside > 1) violation("once-at-a-time", "again runs twice at once");
      yield "again runs";
      inside--;
      if (++rounds < 3) queue_work(wq, w); // re-queues itself
      yield "again done";
    });
    kthread_run(function* (): Gen {
      yield* mutex_lock(m);
      queue_work(wq, a);
      queue_work(wq, b);
      yield "queue a and b";
      yield* flush_work(b);
      yield* mutex_unlock(m);
      queue_work(wq, again);
      yield "queue again";
      yield* cancel_work_sync(again);
      if (work_busy(again)) violation("cancelled", "again is still pending or running after cancel_work_sync()");
      yield "cancelled";
    }, "T0", { cpu: 0 });
    kthread_run(function* (): Gen {
      queue_work(wq, again); // from the other CPU, maybe while it runs
      yield "queue again from cpu1";
    }, "T1", { cpu: 1 });
  },
});

describe("worker pools", () => {
  it("a sleeping item does not hold up the next; an item never runs twice at once; cancel_work_sync() stops a self-requeueing item", () => {
    const r = hunt({ model: pool, variant: "only", config: variantConfig(pool, "only"), runs: 800, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});
