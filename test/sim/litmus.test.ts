// The memory modes on classic litmus tests, against their published verdicts
// (Sewell et al., "x86-TSO", CACM 2010; the SPARC V9 manual's TSO and PSO):
// SB's both-zero outcome is allowed by TSO, never by SC; MP's stale read is
// forbidden by SC and TSO, allowed by PSO without a write barrier, and
// forbidden again with one.
import { describe, expect, it } from "vitest";
import { litmusOutcomes } from "../../src/harness/litmus.ts";
import type { LitmusTest } from "../../src/harness/litmus.ts";
import { READ_ONCE, WRITE_ONCE, smp_load_acquire, smp_mb, smp_store_release, smp_wmb } from "../../src/kernel/barrier.ts";
import { spin_lock, spin_unlock } from "../../src/kernel/spinlock.ts";
import type { MemoryModel } from "../../src/sim/memory.ts";

/** SB: each CPU stores to one word, then loads the other; `fence` goes between. */
const sb = (fence: "none" | "mb" | "wmb"): LitmusTest => ({
  name: fence === "none" ? "SB" : `SB+${fence}s`,
  locations: { x: 0, y: 0 },
  threads: [
    function* (s, r) {
      WRITE_ONCE(s.x!, 1);
      yield "x = 1";
      if (fence === "mb") smp_mb();
      if (fence === "wmb") smp_wmb();
      r.r0 = READ_ONCE(s.y!);
      yield "r0 = y";
    },
    function* (s, r) {
      WRITE_ONCE(s.y!, 1);
      yield "y = 1";
      if (fence === "mb") smp_mb();
      if (fence === "wmb") smp_wmb();
      r.r1 = READ_ONCE(s.x!);
      yield "r1 = x";
    },
  ],
});

/** MP: a message (data) and a flag; the reader sees the flag, then reads the data. */
const mp = (how: "plain" | "wmb" | "release-acquire"): LitmusTest => ({
  name: how === "plain" ? "MP" : `MP+${how}`,
  locations: { data: 0, flag: 0 },
  threads: [
    function* (s) {
      WRITE_ONCE(s.data!, 1);
      yield "data = 1";
      if (how === "wmb") smp_wmb();
      if (how === "release-acquire") smp_store_release(s.flag!, 1);
      else WRITE_ONCE(s.flag!, 1);
      yield "flag = 1";
    },
    function* (s, r) {
      r.r0 = how === "release-acquire" ? smp_load_acquire(s.flag!) : READ_ONCE(s.flag!);
      yield "r0 = flag";
      r.r1 = READ_ONCE(s.data!);
      yield "r1 = data";
    },
  ],
});

const MODES: MemoryModel[] = ["sc", "tso", "pso"];
const occurs = (t: LitmusTest, mode: MemoryModel, outcome: string) => litmusOutcomes(t, mode).has(outcome);

describe("store buffering (SB)", () => {
  const bothZero = "r0=0 r1=0";
  it.each([
    ["sc", false],
    ["tso", true],
    ["pso", true],
  ] as const)("under %s the both-zero outcome occurs: %s", (mode, expected) => {
    expect(occurs(sb("none"), mode, bothZero)).toBe(expected);
  });
  it.each(MODES)("under %s every other outcome occurs too", (mode) => {
    const seen = litmusOutcomes(sb("none"), mode);
    for (const o of ["r0=0 r1=1", "r0=1 r1=0", "r0=1 r1=1"]) expect(seen.has(o)).toBe(true);
  });
  it.each(MODES)("under %s smp_mb() on both sides forbids both-zero", (mode) => {
    expect(occurs(sb("mb"), mode, bothZero)).toBe(false);
  });
  it.each([
    ["sc", false],
    ["tso", true],
    ["pso", true],
  ] as const)("smp_wmb() does not order a store before a load: under %s both-zero occurs: %s", (mode, expected) => {
    expect(occurs(sb("wmb"), mode, bothZero)).toBe(expected);
  });
});

describe("message passing (MP)", () => {
  const stale = "r0=1 r1=0";
  it.each([
    ["sc", false],
    ["tso", false],
    ["pso", true],
  ] as const)("without a write barrier, under %s the stale read occurs: %s", (mode, expected) => {
    expect(occurs(mp("plain"), mode, stale)).toBe(expected);
  });
  it.each(MODES)("with smp_wmb(), under %s the stale read never occurs", (mode) => {
    expect(occurs(mp("wmb"), mode, stale)).toBe(false);
    expect(litmusOutcomes(mp("wmb"), mode).has("r0=1 r1=1")).toBe(true);
  });
  it.each(MODES)("with a release store and an acquire load, under %s the stale read never occurs", (mode) => {
    expect(occurs(mp("release-acquire"), mode, stale)).toBe(false);
  });
});

describe("coherence: stores to one word", () => {
  // CoWW + CoRR: one CPU stores 1 then 2 to x; another reads x twice.
  const co: LitmusTest = {
    name: "CoWW+CoRR",
    locations: { x: 0 },
    threads: [
      function* (s) {
        WRITE_ONCE(s.x!, 1);
        yield "x = 1";
        WRITE_ONCE(s.x!, 2);
        yield "x = 2";
      },
      function* (s, r) {
        r.r0 = READ_ONCE(s.x!);
        yield "r0 = x";
        r.r1 = READ_ONCE(s.x!);
        yield "r1 = x";
      },
    ],
  };
  it.each(MODES)("under %s no CPU sees x go back from 2 to 1", (mode) => {
    const seen = litmusOutcomes(co, mode);
    expect(seen.has("r0=2 r1=1")).toBe(false);
    expect(seen.has("r0=1 r1=2")).toBe(true);
  });
});

describe("spinlocks: unlock is a release, not a full barrier", () => {
  // P0 stores under a lock, unlocks, then loads: the unlock does not wait for its stores.
  const sbUnlock: LitmusTest = {
    name: "SB+unlock",
    locations: { x: 0, y: 0 },
    locks: ["l"],
    threads: [
      function* (s, r, l) {
        yield* spin_lock(l.l!);
        WRITE_ONCE(s.x!, 1);
        yield "x = 1";
        yield* spin_unlock(l.l!);
        r.r0 = READ_ONCE(s.y!);
        yield "r0 = y";
      },
      function* (s, r) {
        WRITE_ONCE(s.y!, 1);
        yield "y = 1";
        smp_mb();
        r.r1 = READ_ONCE(s.x!);
        yield "r1 = x";
      },
    ],
  };
  it.each([
    ["sc", false],
    ["tso", true],
    ["pso", true],
  ] as const)("under %s the both-zero outcome occurs across an unlock: %s", (mode, expected) => {
    expect(occurs(sbUnlock, mode, "r0=0 r1=0")).toBe(expected);
  });

  // Whoever takes the lock next sees everything stored under it before.
  const mpLock: LitmusTest = {
    name: "MP+lock",
    locations: { data: 0, flag: 0 },
    locks: ["l"],
    threads: [
      function* (s, _r, l) {
        yield* spin_lock(l.l!);
        WRITE_ONCE(s.data!, 1);
        yield "data = 1";
        WRITE_ONCE(s.flag!, 1);
        yield "flag = 1";
        yield* spin_unlock(l.l!);
      },
      function* (s, r, l) {
        yield* spin_lock(l.l!);
        r.r0 = READ_ONCE(s.flag!);
        yield "r0 = flag";
        r.r1 = READ_ONCE(s.data!);
        yield "r1 = data";
        yield* spin_unlock(l.l!);
      },
    ],
  };
  it.each(MODES)("under %s the next holder of the lock never reads the flag without the data", (mode) => {
    const seen = litmusOutcomes(mpLock, mode);
    expect(seen.has("r0=1 r1=0")).toBe(false);
    expect(seen.has("r0=1 r1=1")).toBe(true);
    expect(seen.has("r0=0 r1=0")).toBe(true);
  });
});

describe("store buffers", () => {
  it("a CPU reads its own buffered store before anyone else can", () => {
    const own: LitmusTest = {
      name: "own-store",
      locations: { x: 0 },
      threads: [
        function* (s, r) {
          WRITE_ONCE(s.x!, 1);
          yield "x = 1";
          r.r0 = READ_ONCE(s.x!);
          yield "r0 = x";
        },
        function* (s, r) {
          r.r1 = READ_ONCE(s.x!);
          yield "r1 = x";
        },
      ],
    };
    for (const mode of MODES) {
      const seen = litmusOutcomes(own, mode);
      expect([...seen.keys()].every((o) => o.startsWith("r0=1"))).toBe(true);
      // The other CPU may still see 0 after cpu0 has read its 1 back.
      expect(seen.has("r0=1 r1=0")).toBe(true);
    }
  });
});
