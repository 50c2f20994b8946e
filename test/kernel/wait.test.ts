// Wait queues: a sleeper registers, tests, sleeps; a waker sets the
// condition and wakes the queue. Written in the wrong order, the wake-up is
// lost and the sleeper never wakes: the run ends in `lost-wakeup`.
import { describe, expect, it } from "vitest";
import {
  DEFINE_SPINLOCK,
  spin_lock,
  spin_unlock,
  DECLARE_WAIT_QUEUE_HEAD,
  DEFINE_WAIT,
  TASK_UNINTERRUPTIBLE,
  defineModel,
  fc,
  finish_wait,
  hunt,
  kthread_run,
  ktime_get,
  prepare_to_wait,
  schedule,
  timekeeping_init,
  variantConfig,
  wait_event,
  wait_event_timeout,
  wake_up,
  wake_up_interruptible,
} from "../../src/index.ts";
import type { Gen } from "../../src/index.ts";

const sleeper = defineModel<number>({
  name: "wait_queue",
  description: "a consumer waits on a queue for a flag a producer sets",
  variants: {
    "wait-event": { description: "yield* wait_event(wq, () => ready)", correct: true },
    "open-coded": { description: "prepare_to_wait, test, schedule, finish_wait: the order Linux requires", correct: true },
    "test-then-register": { description: "tests the flag before it is on the queue, then sleeps: a wake-up in between is lost", correct: false },
    "yield-not-yield-star": { description: "yield wait_event(wq, cond): the call is never driven", correct: false },
  },
  properties: {},
  defaults: { cpus: 2, maxSteps: 200 },
  workload: () => fc.constant(0),
  setup(variant) {
    const wq = DECLARE_WAIT_QUEUE_HEAD("dev->wq");
    const dev = { ready: false };
    kthread_run(function* producer() {
      dev.ready = true;
      yield "dev->ready = 1";
      wake_up(wq);
      yield "wake_up(&dev->wq)";
    }, "producer", { cpu: 0 });
    kthread_run(function* consumer(): Gen {
      if (variant === "wait-event") {
        yield* wait_event(wq, () => dev.ready);
      } else if (variant === "open-coded") {
        const wait = DEFINE_WAIT();
        for (;;) {
          prepare_to_wait(wq, wait, TASK_UNINTERRUPTIBLE);
          yield "prepare_to_wait(&dev->wq, &wait, TASK_UNINTERRUPTIBLE)";
          if (dev.ready) break;
          yield* schedule();
        }
        finish_wait(wq, wait);
        yield "finish_wait(&dev->wq, &wait)";
      } else if (variant === "test-then-register") {
        const wait = DEFINE_WAIT();
        while (!dev.ready) {
          yield "dev->ready == 0";
          prepare_to_wait(wq, wait, TASK_UNINTERRUPTIBLE);
          yield "prepare_to_wait(&dev->wq, &wait, TASK_UNINTERRUPTIBLE)";
          yield* schedule();
        }
        finish_wait(wq, wait);
        yield "finish_wait(&dev->wq, &wait)";
      } else {
        yield wait_event(wq, () => dev.ready) as unknown as string;
      }
      yield "consume";
    }, "consumer", { cpu: 1 });
  },
});

describe("wait queues", () => {
  it.each(["wait-event", "open-coded"])("%s never loses the wake-up", (variant) => {
    const r = hunt({ model: sleeper, variant, config: variantConfig(sleeper, variant), runs: 500, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });

  it("testing the condition before registering loses the wake-up: the consumer sleeps for ever on the queue it names", () => {
    const cx = hunt({ model: sleeper, variant: "test-then-register", config: variantConfig(sleeper, "test-then-register"), runs: 500, seed: 1 }).counterexample!;
    expect(cx.property).toBe("lost-wakeup");
    expect(cx.failure.message).toMatch(/^nothing can make progress: consumer on cpu\d sleeps until woken on wait queue dev->wq$/);
    // The wake-up came between the test and the registration.
    expect(cx.schedule.length).toBeGreaterThan(0);
  });

  it("yield instead of yield* is an oops that says so", () => {
    const cx = hunt({ model: sleeper, variant: "yield-not-yield-star", config: variantConfig(sleeper, "yield-not-yield-star"), runs: 10, seed: 1 }).counterexample!;
    expect(cx.property).toBe("oops");
    expect(cx.failure.message).toBe("consumer on cpu1 yielded a kernel call's generator: drive it with yield*, not yield");
  });

  it("wait_event_timeout() returns 0 when nobody wakes it, after the timeout on the virtual clock", () => {
    const lonely = defineModel<number>({
      name: "wait_timeout",
      description: "a wait nobody ends",
      variants: { only: { description: "-", correct: true } },
      properties: { "times-out": "the wait returns 0 at its deadline" },
      defaults: { cpus: 1, maxSteps: 100 },
      workload: () => fc.constant(0),
      setup() {
        timekeeping_init();
        const wq = DECLARE_WAIT_QUEUE_HEAD("wq");
        let got = -1;
        let at = -1;
        kthread_run(function* () {
          got = yield* wait_event_timeout(wq, () => false, 250);
          at = ktime_get();
        }, "waiter", { cpu: 0 });
        return { finals: { "times-out": () => (got === 0 && at === 250 ? undefined : `returned ${got} at ${at} us`) } };
      },
    });
    const r = hunt({ model: lonely, variant: "only", config: variantConfig(lonely, "only"), runs: 20, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});

describe("a waiting kernel call never driven", () => {
  const forgot = defineModel<number>({
    name: "forgot_yield_star",
    description: "spin_unlock(lock); where yield* spin_unlock(lock); belongs",
    variants: { forgot: { description: "the unlock is called, not driven", correct: false } },
    properties: {},
    defaults: { cpus: 1, maxSteps: 50 },
    workload: () => fc.constant(0),
    setup() {
      const lock = DEFINE_SPINLOCK("l");
      kthread_run(function* (): Gen {
        yield* spin_lock(lock);
        spin_unlock(lock);
        yield "unlock (or so it seems)";
      }, "T0", { cpu: 0 });
    },
  });
  it("is an oops at the step that made it, naming the call", () => {
    const cx = hunt({ model: forgot, variant: "forgot", config: variantConfig(forgot, "forgot"), runs: 5, seed: 1 }).counterexample!;
    expect(cx.property).toBe("oops");
    expect(cx.failure.message).toBe("T0 called spin_unlock() without yield*: it never ran");
  });
});

describe("wake_up_interruptible", () => {
  const uninterruptible = defineModel<number>({
    name: "wrong_wake",
    description: "an uninterruptible sleeper woken with wake_up_interruptible()",
    variants: { wrong: { description: "wake_up_interruptible() never wakes TASK_UNINTERRUPTIBLE", correct: false }, right: { description: "wake_up()", correct: true } },
    properties: {},
    defaults: { cpus: 2, maxSteps: 200 },
    workload: () => fc.constant(0),
    setup(variant) {
      const wq = DECLARE_WAIT_QUEUE_HEAD("wq");
      const s = { ready: false };
      kthread_run(function* (): Gen {
        yield* wait_event(wq, () => s.ready);
      }, "sleeper", { cpu: 0 });
      kthread_run(function* (): Gen {
        s.ready = true;
        if (variant === "wrong") wake_up_interruptible(wq);
        else wake_up(wq);
        yield "wake";
      }, "waker", { cpu: 1 });
    },
  });
  it("does not wake a TASK_UNINTERRUPTIBLE sleeper (a hang Linux has too); wake_up() does", () => {
    const cx = hunt({ model: uninterruptible, variant: "wrong", config: variantConfig(uninterruptible, "wrong"), runs: 300, seed: 1 }).counterexample!;
    expect(cx.property).toBe("lost-wakeup");
    expect(hunt({ model: uninterruptible, variant: "right", config: variantConfig(uninterruptible, "right"), runs: 300, seed: 1 }).counterexample).toBeUndefined();
  });
});
