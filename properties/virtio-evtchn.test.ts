// virtio's event-index notification over Xen event channels, hunted with
// fixed seeds: each broken variant loses a kick or an interrupt (in the
// memory mode that exposes it), and the right ring survives every mode.
import { describe, expect, it } from "vitest";
import type { Counterexample } from "../src/harness/counterexample.ts";
import { hunt } from "../src/harness/hunt.ts";
import { runSchedule } from "../src/harness/run.ts";
import { renderTrace } from "../src/explain/trace-text.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { expectSound, huntOnce } from "../test/helpers/caught.ts";
import type { ScheduleEvent } from "../src/sim/events.ts";
import model from "../src/models/virtio-evtchn/index.ts";
import { vring_need_event, vring_need_event_int } from "../src/models/virtio-evtchn/vring.ts";

/** What the fixed-seed hunt of a buggy variant finds, hunted once for all the tests that read it. */
const caught = huntOnce(model, 1000);

const lines = (cx: Counterexample) => renderTrace(cx, model).split("\n");
/** The run's trace, one "context: text" line per entry (show's columns cut long ones). */
const traceOf = (cx: Counterexample) =>
  runSchedule(model, cx.variant, cx.config, cx.workload, cx.schedule, { trace: true }).machine.trace.map((e) => `${e.ctx}: ${e.text}`);

describe("virtio-evtchn: vring_need_event()", () => {
  it("is [old, new) in u16 arithmetic, across the wrap", () => {
    expect(vring_need_event(0, 1, 65535)).toBe(true); // the batch 65535, 0: event 0 is in it
    expect(vring_need_event(65535, 0, 65535)).toBe(true);
    expect(vring_need_event(65534, 1, 65535)).toBe(false); // the other side asked before this batch
    expect(vring_need_event(1, 1, 65535)).toBe(false); // and after it
  });

  it("without the (__u16) casts it agrees until [old, new) straddles the wrap with the event past it", () => {
    for (const [e, n, o] of [[3, 5, 2], [0, 1, 0], [65535, 0, 65535], [4, 5, 2]]) expect(vring_need_event_int(e!, n!, o!)).toBe(vring_need_event(e!, n!, o!));
    expect(vring_need_event_int(0, 1, 65535)).toBe(false);
  });
});

describe("virtio-evtchn: broken notification is caught", () => {
  const cases: { variant: string; memory: string; strategy?: string; expect: string; why: string }[] = [
    { variant: "no-kick-mb", memory: "pso", expect: "no-lost-kick", why: "avail->idx is still in the store buffer when the backend checks again; the frontend read the old avail_event" },
    { variant: "no-kick-mb", memory: "pso", strategy: "pct", expect: "no-lost-kick", why: "PCT finds the same lost kick" },
    { variant: "no-kick-mb", memory: "tso", expect: "no-lost-kick", why: "a load passing a store is enough: x86 loses the kick too" },
    { variant: "int-need-event", memory: "sc", expect: "no-lost-kick", why: "the batch 65535, 0 straddles the wrap and the int comparison says no kick" },
    { variant: "no-recheck", memory: "sc", strategy: "pct", expect: "no-lost-interrupt", why: "the used buffer signalled before callbacks came back on is never looked at" },
    { variant: "no-recheck", memory: "sc", expect: "no-lost-interrupt", why: "fast-check finds it too" },
  ];
  for (const c of cases) {
    it(`${c.variant} under ${c.memory}${c.strategy ? ` (${c.strategy})` : ""}: ${c.why}`, () => {
      expectSound(model, caught(c.variant, c.memory, c.strategy), c);
    });
  }

  it("no-kick-mb: the frontend decides not to kick after publishing avail->idx, and the backend's check after smp_mb() still reads the old index", () => {
    const cx = caught("no-kick-mb", "pso")!;
    const [, avail, stopped] = /avail->idx = (\d+), the backend stopped at (\d+)/.exec(cx.failure.message)!;
    const t = lines(cx);
    const published = t.findIndex((l) => l.includes(`frontend: virtio_wmb(), avail->idx = ${avail}`));
    const noKick = t.findIndex((l, i) => i > published && /frontend: need_event\(\d+, \d+, \d+\): no kick/.test(l));
    const recheck = t.findIndex((l, i) => i > published && l.includes(`backend: smp_mb(), avail->idx = ${stopped}: empty`));
    expect(published).toBeGreaterThan(0);
    expect(noKick).toBeGreaterThan(published);
    expect(recheck).toBeGreaterThan(published);
  });

  it("no-kick-mb survives under sc: the full barrier matters only where a load can pass a store", () => {
    const r = hunt({ model, variant: "no-kick-mb", config: variantConfig(model, "no-kick-mb", { memory: "sc" }), runs: 1500, seed: 5 });
    expect(r.counterexample?.failure.message).toBeUndefined();
    expect(r.runs).toBe(1500);
  });

  it("int-need-event: the last kick decision is over a batch that wraps", () => {
    const cx = caught("int-need-event", "sc")!;
    const [, , n, o] = /vring_need_event\((\d+), (\d+), (\d+)\): no kick/.exec(cx.failure.message)!.map(Number);
    expect(o!).toBeGreaterThan(n!);
    expect((cx.workload as { start: number }).start).toBeGreaterThan(65000);
  });

  it("no-recheck: the guest's upcall ran before callbacks came back on, and the frontend slept without virtqueue_poll()", () => {
    const cx = caught("no-recheck", "sc", "pct")!;
    expect(cx.failure.message).toMatch(/: interrupt; evtchn-fe: 1 send\(s\) raised an upcall, 0 coalesced, 1 upcall\(s\) taken$/);
    const t = traceOf(cx);
    const upcall = t.findLastIndex((l) => /^evtchn-fe#\d+: vring_interrupt\(\): used->idx = \d+: callback$/.test(l));
    const enable = t.findIndex((l, i) => i > upcall && l.startsWith("frontend: virtqueue_enable_cb_prepare()"));
    const sleep = t.findIndex((l, i) => i > enable && l === "frontend: prepare_to_wait(vq->wq)");
    expect(upcall).toBeGreaterThan(0);
    expect(enable).toBeGreaterThan(upcall);
    expect(sleep).toBeGreaterThan(enable);
    expect(t.slice(enable, sleep).some((l) => l.includes("virtqueue_poll()"))).toBe(false);
  });
});

describe("virtio-evtchn: the right ring survives", () => {
  for (const memory of ["sc", "tso", "pso", "weak"]) {
    it(`correct under ${memory}, 1200 runs`, () => {
      const r = hunt({ model, variant: "correct", config: variantConfig(model, "correct", { memory }), runs: 1200, seed: 7 });
      expect(r.counterexample?.failure.message).toBeUndefined();
      expect(r.runs).toBe(1200);
    });
  }

  for (const memory of ["pso", "weak"]) {
    it(`correct under ${memory}, 800 runs of PCT`, () => {
      const r = hunt({ model, variant: "correct", config: variantConfig(model, "correct", { memory }), runs: 800, seed: 3, strategy: "pct" });
      expect(r.counterexample?.failure.message).toBeUndefined();
      expect(r.runs).toBe(800);
    });
  }

  it("two kicks before the backend's upcall give one upcall, and the indices wrap 65535 -> 0 -> 1", () => {
    const steps = (cpu: number, n: number): ScheduleEvent[] => Array.from({ length: n }, () => ({ kind: "step", cpu }));
    // The frontend adds buffer 0 and kicks; the backend, not yet upcalled, uses it and re-arms avail_event; the frontend adds buffer 1 and kicks again.
    const schedule = [...steps(0, 4), ...steps(1, 9), ...steps(0, 4)];
    const run = runSchedule(model, "correct", variantConfig(model, "correct"), { start: 65535, batches: [1, 1] }, schedule, { trace: true });
    expect(run.failure).toBeUndefined();
    expect(run.skipped).toEqual([]);
    const t = run.machine.trace.map((e) => e.text);
    expect(t).toContain("kick: notify_remote_via_evtchn() (sent)");
    expect(t).toContain("kick: notify_remote_via_evtchn() (coalesced)");
    expect(t.filter((l) => l === "interrupt evtchn-be taken")).toHaveLength(1);
    expect(t).toContain("virtio_wmb(), avail->idx = 0");
    expect(t).toContain("virtio_wmb(), avail->idx = 1");
    expect(t).toContain("all 2 buffers used and reclaimed");
  });
});
