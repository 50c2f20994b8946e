// A model's own environment events: a device that finishes a DMA when the
// schedule says, raising its interrupt.
import { describe, expect, it } from "vitest";
import { add_env_source, defineModel, fc, hunt, ktime_get, kthread_run, raise_irq, request_irq, runSchedule, timekeeping_init, variantConfig } from "../../src/index.ts";
import type { EnvEvent, Gen } from "../../src/index.ts";

const dma = defineModel<number>({
  name: "dma_device",
  description: "a driver reads a buffer its device fills by DMA",
  variants: {
    "waits-for-irq": { description: "reads once the completion interrupt has come", correct: true },
    "reads-early": { description: "reads as soon as it has started the transfer", correct: false },
  },
  properties: { "read-filled": "the driver reads the buffer only after the device filled it" },
  defaults: { cpus: 1, maxSteps: 100 },
  workload: () => fc.constant(0),
  setup(variant) {
    const dev = { started: false, filled: false, irqSeen: false, readEmpty: false };
    add_env_source({
      name: "dma",
      enabled: (): EnvEvent[] => (dev.started && !dev.filled ? [{ kind: "env", source: "dma", arg: "done" }] : []),
      apply: () => {
        dev.filled = true;
        raise_irq(0, "dma-irq");
        return "the device has filled the buffer and raises dma-irq";
      },
      drainMove: () => (dev.started && !dev.filled ? { kind: "env", source: "dma", arg: "done" } : undefined),
    });
    request_irq("dma-irq", function* (): Gen {
      dev.irqSeen = true;
      yield "dma-irq: transfer complete";
    }, { cpus: [0], count: 0 });
    kthread_run(function* () {
      dev.started = true;
      yield "start the transfer";
      if (variant === "waits-for-irq") yield { kind: "wait", until: () => dev.irqSeen, what: () => "dma-irq has come", sleep: true } as const;
      if (!dev.filled) dev.readEmpty = true;
      yield "read the buffer";
    }, "driver", { cpu: 0 });
    return { finals: { "read-filled": () => (dev.readEmpty ? "the driver read the buffer before the device filled it" : undefined) } };
  },
});

describe("a model's own environment events", () => {
  it("reading before the device is done is caught; the schedule's own event shows in the counterexample", () => {
    const cx = hunt({ model: dma, variant: "reads-early", config: variantConfig(dma, "reads-early"), runs: 200, seed: 1 }).counterexample!;
    expect(cx.property).toBe("read-filled");
  });

  it("waiting for the interrupt survives, the device's event taken whenever the schedule says", () => {
    const r = hunt({ model: dma, variant: "waits-for-irq", config: variantConfig(dma, "waits-for-irq"), runs: 300, seed: 1 });
    expect(r.counterexample).toBeUndefined();
  });
});

describe("a model's source that keeps time, or moves first", () => {
  /** A watchdog due at 100 us, or (eager) a device that answers a doorbell before anything else happens. */
  const device = defineModel<number>({
    name: "timed_device",
    description: "a watchdog that fires at a deadline, and a device that answers at once",
    variants: { watchdog: { description: "fires at 100 us", correct: true }, eager: { description: "answers before the driver's next step", correct: true } },
    properties: { fired: "the watchdog fires by the end of the run", "answered-at-once": "the driver's next step sees the answer" },
    defaults: { cpus: 1, maxSteps: 100 },
    workload: () => fc.constant(0),
    setup(variant) {
      const dev = { fired: false, asked: false, answered: false, sawAnswer: false };
      const finals: Record<string, () => string | undefined> = {};
      if (variant === "watchdog") {
        timekeeping_init();
        const due = (): EnvEvent[] => (!dev.fired && ktime_get() >= 100 ? [{ kind: "env", source: "watchdog", arg: "fire" }] : []);
        add_env_source({
          name: "watchdog",
          enabled: due,
          apply: () => ((dev.fired = true), "the watchdog fires"),
          drainMove: () => due()[0],
          nextDeadline: () => (dev.fired || ktime_get() >= 100 ? undefined : 100),
        });
        finals.fired = () => (dev.fired ? undefined : "the watchdog never fired");
        return { finals };
      }
      const answer = (): EnvEvent | undefined => (dev.asked && !dev.answered ? { kind: "env", source: "device", arg: "answer" } : undefined);
      add_env_source({
        name: "device",
        enabled: () => [answer()].filter((e) => e !== undefined),
        apply: () => ((dev.answered = true), "the device answers"),
        eagerMove: answer,
      });
      kthread_run(function* () {
        dev.asked = true;
        yield "ring the device";
        dev.sawAnswer = dev.answered;
        yield "look for the answer";
      }, "driver", { cpu: 0 });
      finals["answered-at-once"] = () => (dev.sawAnswer ? undefined : "the driver's next step came before the answer");
      return { finals };
    },
  });

  it("its deadline moves the clock (nextDeadline), every method asked with the machine current (ktime_get())", () => {
    expect(runSchedule(device, "watchdog", variantConfig(device, "watchdog"), 0, []).failure).toBeUndefined();
  });

  it("its eager move comes before anything else (eagerMove)", () => {
    expect(runSchedule(device, "eager", variantConfig(device, "eager"), 0, []).failure).toBeUndefined();
  });
});
