// The request-id channel hunted with fixed seeds: each broken channel is
// caught with the property it breaks, in the memory mode that exposes it.
// (What survives is in channel-survives.test.ts: two files, so that
// vitest's workers share the model's hunts.)
import { describe, expect, it } from "vitest";
import { renderTrace } from "../src/explain/trace-text.ts";
import { expectSound, huntOnce } from "../test/helpers/caught.ts";
import { findModel } from "../src/models/index.ts";

const model = findModel("channel")!;

/** What the fixed-seed hunt of a buggy variant finds, hunted once for all the tests that read it. */
const caught = huntOnce(model, 3000);

describe("channel: broken channels are caught", () => {
  const cases: { variant: string; memory: string; expect: string; why: string; strategy?: string }[] = [
    { variant: "id-before-payload", memory: "sc", expect: "exact-payload", why: "the polling responder sees the new id with the old payload" },
    { variant: "no-wmb", memory: "pso", expect: "exact-payload", why: "the id becomes visible before the payload" },
    // The daemon's wake-up is a context switch, a full barrier: the stale copy needs a request that arrives while it polls. PCT finds it in 11 runs.
    { variant: "no-rmb", memory: "weak", expect: "exact-payload", why: "the responder reads the new id, then its stale copy of the payload", strategy: "pct" },
    { variant: "no-lock", memory: "sc", expect: "one-caller", why: "two requesters are inside the channel at once" },
    { variant: "no-resend", memory: "sc", expect: "no-timeout", why: "one lost doorbell and the call times out" },
    { variant: "no-duplicate-check", memory: "sc", expect: "at-most-once", why: "a late doorbell makes the responder execute a served request again" },
    // It takes a responder stalled for a whole timeout while requests go on: PCT finds that in a few runs, fast-check's default not in 20,000.
    { variant: "no-recheck", memory: "sc", expect: "exact-payload", why: "the next request is written over a timed-out one the responder is reading", strategy: "pct" },
  ];
  for (const c of cases) {
    it(`${c.variant} under ${c.memory}: ${c.why}`, () => {
      expectSound(model, caught(c.variant, c.memory, c.strategy), c);
    });
  }

  it("no-wmb: the trace shows req.id leaving the store buffer before the payload it follows", () => {
    const cx = caught("no-wmb", "pso")!;
    const lines = renderTrace(cx, model).split("\n");
    const [, id, value] = /^request (\d+) executes .* its requester wrote reg \d+ = (\d+)$/.exec(cx.failure.message)!;
    const written = lines.findIndex((l) => l.includes(`request ${id}: reg`));
    const idVisible = lines.findIndex((l, i) => i > written && l.includes(`store req.id = ${id} becomes visible`));
    const failing = lines.findIndex((l) => l.startsWith(">>"));
    const readValue = lines.findLastIndex((l, i) => i < failing && l.includes("ntb-daemon: req.value ="));
    expect(written).toBeGreaterThan(0);
    expect(idVisible).toBeGreaterThan(written);
    expect(readValue).toBeGreaterThan(idVisible);
    expect(lines.slice(written, readValue).some((l) => l.includes(`store req.value = ${value} becomes visible`))).toBe(false);
  });

  it("no-recheck: the responder was stalled past the requester's timeout, then executed the old id with the new payload", () => {
    const cx = caught("no-recheck", "sc", "pct")!;
    const texts = renderTrace(cx, model).split("\n");
    const timesOut = texts.findIndex((l) => /request 1 times out/.test(l));
    expect(timesOut).toBeGreaterThan(0);
    expect(texts.slice(0, timesOut).some((l) => l.includes("(a stall: something else could have gone on)"))).toBe(true);
    expect(texts.findIndex((l) => /request 2: reg/.test(l))).toBeGreaterThan(timesOut);
    expect(cx.failure.message).toMatch(/^request 1 executes/);
  });

  it("no-resend: the call that times out lost its only doorbell", () => {
    const cx = caught("no-resend", "sc")!;
    expect(cx.schedule.some((e) => e.kind === "env" && e.source === "doorbell" && String(e.arg).startsWith("lose:"))).toBe(true);
    expect(cx.failure.message).toContain("1 doorbell(s) lost");
  });
});

describe("channel: the read barrier matters only where loads can pass each other", () => {
  it("no-rmb: the trace shows the responder reading the new id while its copy of the payload is stale", () => {
    const cx = caught("no-rmb", "weak", "pct")!;
    const lines = renderTrace(cx, model).split("\n");
    const idSeen = lines.findIndex((l) => /cpu2 applies the invalidation of req\.id/.test(l));
    const readId = lines.findIndex((l, i) => i > idSeen && /ntb-daemon: req\.id = [1-9]/.test(l));
    const readReg = lines.findIndex((l, i) => i > readId && l.includes("ntb-daemon: req.reg ="));
    expect(idSeen).toBeGreaterThan(0);
    expect(readId).toBeGreaterThan(idSeen);
    expect(readReg).toBeGreaterThan(readId);
    expect(lines.slice(idSeen, readReg).some((l) => /cpu2 applies the invalidation of req\.(reg|value)/.test(l))).toBe(false);
  });
});
