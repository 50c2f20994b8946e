import { describe, expect, it } from "vitest";
import { hunt, pack, search, shrinkWithFastCheck } from "../../src/harness/hunt.ts";
import { minimize, minimizeSchedule, reduceCase, removableEvents, stillFails, structuralShrinks, withFreshReductions } from "../../src/harness/minimize.ts";
import { sampledFailures } from "../../src/harness/sampled-failures.ts";
import { defineModel, fc, kthread_run } from "../../src/index.ts";
import { variantConfig } from "../../src/kernel/model.ts";
import { findModel } from "../../src/models/index.ts";
import type { ScheduleEvent } from "../../src/sim/index.ts";

const model = findModel("mempool")!;

describe("minimization", () => {
  it("leaves a schedule from which no single event can be removed", () => {
    for (const variant of ["preempt-lock", "no-preempt-lock"]) {
      const config = variantConfig(model, variant);
      const cx = hunt({ model, variant, config, runs: 1000, seed: 7 }).counterexample!;
      const t = { model, variant, config, workload: cx.workload, property: cx.property };
      expect(stillFails(t, cx.schedule)).toEqual(cx.schedule);
      expect(removableEvents(t, cx.schedule)).toEqual([]);
    }
  });

  it("drops events that do not matter from a long failing schedule", () => {
    const variant = "preempt-lock";
    const config = variantConfig(model, variant);
    const workload = { objectsPerPage: 3, threads: [{ cpu: 0, ops: ["alloc", "alloc", "free"] }], irq: { cpus: [0], count: 1 } };
    const steps = (n: number): ScheduleEvent[] => Array.from({ length: n }, () => ({ kind: "step", cpu: 0 }));
    // Twelve steps put the thread in alloc() right after it read obj = header->local_free; the interrupt then takes the same object.
    const noisy: ScheduleEvent[] = [...steps(12), { kind: "irq", cpu: 0, line: "virtio" }, ...steps(30)];
    const t = { model, variant, config, workload, property: "no-double-alloc" };
    expect(stillFails(t, noisy)).toBeDefined();
    const small = minimizeSchedule(t, noisy);
    expect(small.length).toBeLessThan(noisy.length);
    expect(small.at(-1)).toEqual({ kind: "irq", cpu: 0, line: "virtio" });
    expect(removableEvents(t, small)).toEqual([]);
  });

  it("offers structurally smaller workloads: each array without one element, each number smaller", () => {
    const all = [...structuralShrinks({ n: 2, xs: ["a", "b"] })].map((v) => JSON.stringify(v));
    expect(all).toContain(JSON.stringify({ n: 0, xs: ["a", "b"] }));
    expect(all).toContain(JSON.stringify({ n: 1, xs: ["a", "b"] }));
    expect(all).toContain(JSON.stringify({ n: 2, xs: ["a"] }));
    expect(all).toContain(JSON.stringify({ n: 2, xs: ["b"] }));
  });
});

describe("shrinking the workload", () => {
  // fc.constantFrom(65535, 0) shrinks 0 towards 65535, and the structural shrinks take 65535 to 0: each is smaller by one of them.
  const wrapAround = defineModel<number>({
    name: "wrap_around",
    description: "fails whatever its start index",
    variants: { always: { description: "fails", correct: false } },
    properties: { "never-fails": "never fails (but it does)" },
    defaults: { cpus: 1, maxSteps: 100 },
    workload: () => fc.constantFrom(65535, 0),
    setup(_variant, start) {
      kthread_run(function* () {
        yield `start at ${start}`;
      }, "T0", { cpu: 0 });
      return { finals: { "never-fails": () => "it failed" } };
    },
  });

  it("ends when two shrinkers disagree on which workload is smaller", () => {
    const config = variantConfig(wrapAround, "always");
    const { workload, schedule } = reduceCase({ model: wrapAround, variant: "always", config, workload: 65535, property: "never-fails" }, []);
    expect([0, 65535]).toContain(workload);
    expect(schedule).toEqual([]);
  });
});

describe("reducing a case itself (a failure the walks on sampled workloads do not find)", () => {
  const variant = "preempt-lock";
  const config = variantConfig(model, variant);
  const steps = (n: number): ScheduleEvent[] => Array.from({ length: n }, () => ({ kind: "step", cpu: 0 }));
  const irq: ScheduleEvent = { kind: "irq", cpu: 0, line: "virtio" };

  it("takes a smaller workload the schedule no longer fits, on a schedule found for it", () => {
    // As a random walk found it: two objects a page, the first interrupt at once (its handler takes pg0.0), the
    // second 22 steps on, in the thread's alloc(), which takes pg0.1 as the handler does. 1-minimal as it is:
    // on one object a page and one interrupt it breaks nothing, while 12 steps and the interrupt do.
    const big = { objectsPerPage: 2, threads: [{ cpu: 0, ops: ["alloc"] }], irq: { cpus: [0], count: 2 } };
    const t = { model, variant, config, workload: big, property: "conservation" };
    const found = [irq, ...steps(22), irq];
    expect(removableEvents(t, found)).toEqual([]);
    const small = { ...big, objectsPerPage: 1, irq: { cpus: [0], count: 1 } };
    expect(stillFails({ ...t, workload: small }, found)).toBeUndefined();
    const r = reduceCase(t, found);
    expect(r.workload).toEqual(small);
    expect(r.schedule).toEqual([...steps(12), irq]);
  });
});

describe("one counterexample per property, whatever found it", () => {
  it("ends at one counterexample cases that, each reduced itself, end on different workloads", () => {
    // Three seeds break nothing-lost of the page pool on different workloads; each case reduced itself ends on a
    // workload of its own. minimize() starts from the property's sampled failures instead, and ends all three alike.
    const netback = findModel("netback-pool")!;
    const variant = "clear-before-check";
    const config = variantConfig(netback, variant);
    const t = { model: netback, variant, config, property: "nothing-lost" };
    const found = (
      [
        ["pct", 7],
        ["pct", 8],
        ["fast-check", 9],
      ] as const
    ).map(([strategy, seed]) => search({ model: netback, variant, config, runs: 100, seed, strategy, property: t.property }).found!);
    const itself = found.map((f) => reduceCase({ ...t, workload: f.workload }, f.schedule));
    expect(new Set(itself.map((r) => JSON.stringify(r.workload))).size).toBe(3);
    // Each reduced afresh, not taken from the one before.
    const reduced = found.map((f) => withFreshReductions(() => minimize({ ...t, workload: f.workload }, f.schedule)));
    for (const r of reduced) expect(r).toEqual(reduced[0]);
    expect(reduced[0]!.schedule.length).toBe(13);
  });
});

describe("the smallest workload first, then the shortest schedule (a case reduced itself)", () => {
  it("takes a smaller workload even where the failure then needs a longer schedule", () => {
    // Two calls on one register break at-most-once with no event at all; one call breaks it too, in 16 events
    // (a request stalled in the store buffer until it times out). Shrinking the schedule first would stop at the two calls.
    const channel = findModel("channel")!;
    const config = variantConfig(channel, "no-duplicate-check", { memory: "tso" });
    const twoCalls = { requesters: [{ cpu: 0, calls: [{ reg: 0, value: 1 }, { reg: 0, value: 1 }] }] };
    const t = { model: channel, variant: "no-duplicate-check", config, workload: twoCalls, property: "at-most-once" };
    expect(stillFails(t, [])).toEqual([]);
    const r = reduceCase(t, []);
    expect(r.workload).toEqual({ requesters: [{ cpu: 0, calls: [{ reg: 0, value: 1 }] }] });
    expect(r.schedule.length).toBe(16);
    expect(removableEvents({ ...t, workload: r.workload }, r.schedule)).toEqual([]);
  });

  it("ends two cases of one bug found on workloads neither of which shrinks to the other at the same counterexample", () => {
    // An object freed on the other CPU is stranded with no event at all when a thread there completes; one thread
    // alone strands one if it is migrated after its alloc(): 19 events with two objects a page, 21 with one.
    // Both cases end on one thread and one object a page, the smallest workload.
    const config = variantConfig(model, "delegate-queue");
    const completer = { objectsPerPage: 1, threads: [{ cpu: 0, ops: ["complete"] }, { cpu: 1, ops: ["alloc", "send"] }], irq: { cpus: [], count: 0 } };
    const twoAPage = { objectsPerPage: 2, threads: [{ cpu: 0, ops: ["alloc"] }], irq: { cpus: [], count: 0 } };
    const migrated: ScheduleEvent[] = [...Array.from({ length: 18 }, (): ScheduleEvent => ({ kind: "step", cpu: 0 })), { kind: "migrate", thread: "T0", cpu: 1 }];
    const t = { model, variant: "delegate-queue", config, workload: completer, property: "no-stranded" };
    expect(stillFails(t, [])).toEqual([]);
    expect(removableEvents({ ...t, workload: twoAPage }, migrated)).toEqual([]);
    const fromCompleter = reduceCase(t, []);
    const fromMigrated = reduceCase({ ...t, workload: twoAPage }, migrated);
    expect(fromCompleter.workload).toEqual({ ...twoAPage, objectsPerPage: 1 });
    expect(fromMigrated).toEqual(fromCompleter);
    expect(fromCompleter.schedule.length).toBe(21);
  });
});

describe("a failure walks on sampled workloads do not find", () => {
  // The property breaks only on two start indices among a million: workloads sampled from the arbitrary miss both,
  // and each case found is reduced itself, its padding shrunk away and its schedule cut to nothing.
  const rare = defineModel<{ start: number; pad: number[] }>({
    name: "rare_start",
    description: "fails on two start indices",
    variants: { two: { description: "fails on start 424242 or 777777", correct: false } },
    properties: { "not-those-starts": "the start is neither 424242 nor 777777" },
    defaults: { cpus: 1, maxSteps: 100 },
    workload: () => fc.record({ start: fc.integer({ min: 0, max: 1_000_000 }), pad: fc.array(fc.nat(3), { maxLength: 3 }) }),
    setup(_variant, w) {
      kthread_run(function* () {
        yield `start at ${w.start}`;
        yield `then ${w.pad.length} more`;
      }, "T0", { cpu: 0 });
      return { finals: { "not-those-starts": () => (w.start === 424242 || w.start === 777777 ? `started at ${w.start}` : undefined) } };
    },
  });

  it("is reduced from each case itself", () => {
    const config = variantConfig(rare, "two");
    const t = { model: rare, variant: "two", config, workload: undefined, property: "not-those-starts" };
    expect(sampledFailures(rare.workload(config), t, 1)).toEqual([]);
    const steps: ScheduleEvent[] = [{ kind: "step", cpu: 0 }, { kind: "step", cpu: 0 }];
    for (const start of [424242, 777777]) {
      const c = { ...t, workload: { start, pad: [3, 1] } };
      expect(stillFails(c, steps)).toBeDefined();
      expect(minimize(c, steps)).toEqual({ workload: { start, pad: [] }, schedule: [] });
    }
  });

  it("is reduced from the case as the shrinker given makes it, which is asked for only then", () => {
    const config = variantConfig(rare, "two");
    const c = { model: rare, variant: "two", config, workload: { start: 424242, pad: [3, 1] }, property: "not-those-starts" };
    const steps: ScheduleEvent[] = [{ kind: "step", cpu: 0 }, { kind: "step", cpu: 0 }];
    let asked = 0;
    // The shrinker's case, not the one passed: another failing start.
    const shrunk = () => (asked++, { workload: { start: 777777, pad: [2] }, schedule: steps.slice(0, 1) });
    expect(minimize(c, steps, shrunk)).toEqual({ workload: { start: 777777, pad: [] }, schedule: [] });
    expect(asked).toBe(1);
    // Where the sampled walks do break the property, the case is not shrunk at all.
    const pool = findModel("mempool")!;
    const r = search({ model: pool, variant: "preempt-lock", config: variantConfig(pool, "preempt-lock", { cpus: 1 }), runs: 2000, seed: 1 });
    const f = r.found!;
    minimize({ model: pool, variant: "preempt-lock", config: variantConfig(pool, "preempt-lock", { cpus: 1 }), workload: f.workload, property: f.property }, f.schedule, shrunk);
    expect(asked).toBe(1);
  });
});

describe("fast-check's shrinking of the case it found", () => {
  it("draws the failing run again from the seed and path the search kept, and shrinks it keeping the property", () => {
    const pool = findModel("mempool")!;
    const opts = { model: pool, variant: "preempt-lock", config: variantConfig(pool, "preempt-lock", { cpus: 1 }), runs: 2000, seed: 3 };
    const f = search(opts).found!;
    expect(f.fastCheck).toBeDefined();
    const t = { model: pool, variant: opts.variant, config: opts.config, workload: f.workload, property: f.property };
    // The case kept is the run as played: it fails as it is.
    expect(stillFails(t, f.schedule)).toEqual(f.schedule);
    const shrunk = shrinkWithFastCheck(opts, f.property, f.fastCheck!);
    expect(stillFails({ ...t, workload: shrunk.workload }, shrunk.schedule)).toBeDefined();
    expect(shrunk.schedule.length).toBeLessThan(f.schedule.length);
    expect(() => shrinkWithFastCheck(opts, f.property, { ...f.fastCheck!, seed: f.fastCheck!.seed + 1 })).toThrow(/do not repeat the failing run/);
  });
});

describe("fast-check's shrinking, in a hunt", () => {
  // "exact" breaks only on the very workload fast-check's first run draws (found by a probe that always breaks): the hunt
  // finds it at once, the sampled walks never. Each run's setup is counted, to see whether fast-check shrank the case.
  let target: unknown;
  let setups = 0;
  const exact = defineModel<{ a: number; b: number }>({
    name: "exact_workload",
    description: "fails on one workload",
    variants: {
      exact: { description: "fails on the target workload", correct: false },
      always: { description: "fails on every workload", correct: false },
    },
    properties: { "not-that-one": "the workload is not the target" },
    defaults: { cpus: 1, maxSteps: 100 },
    workload: () => fc.record({ a: fc.integer({ min: 0, max: 2 ** 30 }), b: fc.integer({ min: 0, max: 2 ** 30 }) }),
    setup(variant, w) {
      setups++;
      kthread_run(function* () {
        yield "one";
        yield "two";
      }, "T0", { cpu: 0 });
      const broken = variant === "always" || JSON.stringify(w) === JSON.stringify(target);
      return {
        finals: {
          "not-that-one"() {
            return broken ? `the workload is ${JSON.stringify(w)}` : undefined;
          },
        },
      };
    },
  });
  const optsOf = (variant: string) => ({ model: exact, variant, config: variantConfig(exact, variant), runs: 10, seed: 5 });
  /** Runs set up by pack(), from nothing remembered. */
  const setupsToPack = (variant: string, found: Parameters<typeof pack>[1]) => {
    setups = 0;
    withFreshReductions(() => pack(optsOf(variant), found, 1));
    return setups;
  };

  it("shrinks the case only for a failure the sampled walks do not find", () => {
    const probe = search(optsOf("always")).found!;
    target = probe.workload;
    const found = search(optsOf("exact")).found!;
    expect(found.workload).toEqual(target);
    expect(found.fastCheck).toBeDefined();
    expect(sampledFailures(exact.workload(variantConfig(exact, "exact")), { ...optsOf("exact"), workload: undefined, property: "not-that-one" }, 1)).toEqual([]);
    // A rare failure: fast-check replays its path and shrinks, so pack() sets up more runs than without the path.
    expect(setupsToPack("exact", found)).toBeGreaterThan(setupsToPack("exact", { ...found, fastCheck: undefined }));
    // A failure the walks find: the path is never used.
    expect(setupsToPack("always", probe)).toBe(setupsToPack("always", { ...probe, fastCheck: undefined }));
  });
});
