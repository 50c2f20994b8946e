// Softirq context: timers and tasklets run as softirqs, which lockdep tells
// from hard interrupts, and which local_bh_disable() holds off.
import { describe, expect, it } from "vitest";
import {
  DEFINE_SPINLOCK,
  defineModel,
  fc,
  hunt,
  in_hardirq,
  in_serving_softirq,
  kthread_run,
  local_bh_disable,
  local_bh_enable,
  mod_timer,
  request_irq,
  spin_lock,
  spin_lock_bh,
  spin_unlock,
  spin_unlock_bh,
  tasklet_kill,
  tasklet_schedule,
  tasklet_setup,
  timer_setup,
  variantConfig,
  violation,
} from "../../src/index.ts";
import type { Gen, tasklet_struct, timer_list } from "../../src/index.ts";

const timerLock = defineModel<number>({
  name: "timer_lock",
  description: "a thread and a timer function share a lock",
  variants: {
    bh: { description: "the thread takes it with spin_lock_bh(), the timer with spin_lock(): ordinary Linux code", correct: true },
    plain: { description: "the thread takes it with spin_lock(): the timer softirq can interrupt it on its own CPU", correct: false },
  },
  properties: { "softirq-context": "the timer function runs in softirq context, not hardirq" },
  defaults: { cpus: 1, maxSteps: 200 },
  workload: () => fc.constant(0),
  setup(variant) {
    const lock = DEFINE_SPINLOCK("dev->lock");
    const timer = timer_setup("dev->timer", function* (_t: timer_list): Gen {
      if (!in_serving_softirq() || in_hardirq()) violation("softirq-context", "the timer function does not run in softirq context");
      yield* spin_lock(lock);
      yield "timer: update the stats";
      yield* spin_unlock(lock);
    });
    kthread_run(function* (): Gen {
      mod_timer(timer);
      yield "mod_timer(&dev->timer)";
      for (let i = 0; i < 2; i++) {
        if (variant === "bh") yield* spin_lock_bh(lock);
        else yield* spin_lock(lock);
        yield "thread: update the stats";
        if (variant === "bh") yield* spin_unlock_bh(lock);
        else yield* spin_unlock(lock);
      }
    }, "T0", { cpu: 0 });
  },
});

describe("softirq context", () => {
  it("a plain spin_lock in a timer function, the thread using spin_lock_bh: no report (it was a false HARDIRQ report before)", () => {
    const r = hunt({ model: timerLock, variant: "bh", config: variantConfig(timerLock, "bh"), runs: 1000, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });

  it("the thread with plain spin_lock: lockdep reports the SOFTIRQ inconsistency", () => {
    const cx = hunt({ model: timerLock, variant: "plain", config: variantConfig(timerLock, "plain"), runs: 1000, seed: 1 }).counterexample!;
    expect(cx.property).toBe("lockdep");
    expect(cx.failure.message).toMatch(/^inconsistent \{(IN-SOFTIRQ-W\} -> \{SOFTIRQ-ON-W|SOFTIRQ-ON-W\} -> \{IN-SOFTIRQ-W)\} usage of dev->lock/);
  });

  it("without lockdep the same bug is the deadlock it is: the timer softirq spins on the lock its own CPU's thread holds", () => {
    const config = variantConfig(timerLock, "plain", { lockdep: 0 });
    const cx = hunt({ model: timerLock, variant: "plain", config, runs: 1000, seed: 1 }).counterexample!;
    expect(cx.property).toBe("deadlock");
    expect(cx.failure.message).toMatch(/timer-softirq#1 on cpu0 spins until dev->lock is released \(held by T0\)/);
  });
});

const bhOff = defineModel<number>({
  name: "bh_off",
  description: "bottom halves disabled around a two-step update a tasklet reads",
  variants: {
    "bh-off": { description: "local_bh_disable() around the update", correct: true },
    "bh-on": { description: "no local_bh_disable()", correct: false },
  },
  properties: { "whole-update": "the tasklet never sees half an update" },
  defaults: { cpus: 1, maxSteps: 200 },
  workload: () => fc.constant(0),
  setup(variant) {
    const s = { a: 0, b: 0 };
    const t = tasklet_setup("rx_tasklet", function* (_t: tasklet_struct): Gen {
      if (s.a !== s.b) violation("whole-update", `the tasklet sees a = ${s.a}, b = ${s.b}`);
      yield "rx_tasklet: read a and b";
    });
    request_irq("nic", function* (): Gen {
      tasklet_schedule(t);
      yield "nic: tasklet_schedule(&rx_tasklet)";
    }, { cpus: [0], count: 1 });
    kthread_run(function* (): Gen {
      if (variant === "bh-off") local_bh_disable();
      s.a = 1;
      yield "a = 1";
      s.b = 1;
      if (variant === "bh-off") local_bh_enable();
      yield "b = 1";
      yield* tasklet_kill(t);
    }, "T0", { cpu: 0 });
  },
});

describe("bottom halves and tasklets", () => {
  it("local_bh_disable() holds the tasklet off: it never sees half an update", () => {
    expect(hunt({ model: bhOff, variant: "bh-off", config: variantConfig(bhOff, "bh-off"), runs: 1000, seed: 1 }).counterexample?.failure.message).toBeUndefined();
  });

  it("without it, the tasklet runs on the way out of the interrupt, between the two stores", () => {
    const cx = hunt({ model: bhOff, variant: "bh-on", config: variantConfig(bhOff, "bh-on"), runs: 1000, seed: 1 }).counterexample!;
    expect(cx.property).toBe("whole-update");
    expect(cx.failure.message).toBe("the tasklet sees a = 1, b = 0");
  });
});

const twoCpuTasklet = defineModel<number>({
  name: "tasklet_two_cpus",
  description: "a tasklet scheduled from interrupts on two CPUs, one that reschedules itself, and tasklet_kill",
  variants: { only: { description: "-", correct: true } },
  properties: { "once-at-a-time": "a tasklet never runs on two CPUs at once" },
  defaults: { cpus: 2, maxSteps: 600 },
  workload: () => fc.constant(0),
  setup() {
    let inside = 0;
    let runs = 0;
    const t = tasklet_setup("rx", function* (self: tasklet_struct): Gen {
      if (++inside > 1) violation("once-at-a-time", "rx runs on two CPUs at once");
      yield "rx runs";
      inside--;
      if (++runs < 3) tasklet_schedule(self); // reschedules itself a few times
    });
    request_irq("nic", function* (): Gen {
      tasklet_schedule(t);
      yield "nic: tasklet_schedule(&rx)";
    }, { cpus: [0, 1], count: 1 });
    kthread_run(function* (): Gen {
      yield "wait a little";
      yield* tasklet_kill(t);
    }, "T0", { cpu: 0 });
  },
});

describe("tasklets on two CPUs", () => {
  it("one running elsewhere runs again later, never twice at once, and tasklet_kill() ends", () => {
    const r = hunt({ model: twoCpuTasklet, variant: "only", config: variantConfig(twoCpuTasklet, "only"), runs: 1000, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});
