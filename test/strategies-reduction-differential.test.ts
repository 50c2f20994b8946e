// The reduction checked against the search without it on random small
// programs: stores, loads, barriers, release/acquire, xchg/cmpxchg, a
// locked block, trylock, spin_is_locked and spin_until, on 2-4 threads
// (sometimes two on one CPU), in every memory mode and kind of bound. Both
// searches must reach the same final outcomes, the same machine states
// after every event, and end runs early on the same properties. A few
// programs by default (those searched to the end in 600 schedules);
// KRH_REDUCTION=all tries sixty, up to 8,000 schedules each.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Workloads, searchOnline } from "../src/harness/online.ts";
import type { BoundKind } from "../src/strategies/scheduler.ts";
import { createExhaustive } from "../src/strategies/exhaustive.ts";
import {
  DEFINE_SHARED,
  DEFINE_SPINLOCK,
  READ_ONCE,
  WRITE_ONCE,
  cmpxchg,
  defineModel,
  kthread_run,
  shared_state_in_memory_only,
  smp_load_acquire,
  smp_mb,
  smp_rmb,
  smp_store_release,
  smp_wmb,
  spin_is_locked,
  spin_lock,
  spin_trylock,
  spin_unlock,
  spin_until,
  variantConfig,
  xchg,
} from "../src/index.ts";
import { currentMachine } from "../src/sim/current.ts";

const all = process.env.KRH_REDUCTION === "all";

/** A small linear congruential generator: the programs are the same on every run. */
function lcg(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

type Program = { threads: string[][]; cpuOf: number[] };

function program(rnd: (n: number) => number): Program {
  const threads: string[][] = [];
  const nt = 2 + rnd(3);
  for (let t = 0; t < nt; t++) {
    const ops: string[] = [];
    for (let i = 0, n = 2 + rnd(3); i < n; i++) {
      const w = ["x", "y"][rnd(2)]!;
      const k = rnd(15);
      if (k < 3) ops.push(`st ${w} ${1 + rnd(2)}`);
      else if (k < 6) ops.push(`ld ${w}`);
      else if (k === 6) ops.push(["mb", "wmb", "rmb"][rnd(3)]!);
      else if (k === 7) ops.push(`xchg ${w} ${1 + rnd(2)}`);
      else if (k === 8) ops.push(`cmpxchg ${w} ${rnd(2)} 2`);
      else if (k === 9) ops.push(`locked ${w}`);
      else if (k === 10) ops.push(`trylock ${w}`);
      else if (k === 11) ops.push("islocked");
      else if (k === 12) ops.push(`rel ${w} ${1 + rnd(2)}`);
      else if (k === 13) ops.push(`acq ${w}`);
      else ops.push(`until ${w}`);
    }
    threads.push(ops);
  }
  const cpuOf = threads.map((_, i) => i);
  if (rnd(3) === 0) cpuOf[nt - 1] = 0;
  return { threads, cpuOf };
}

/** The program as a model that declares its state shared only in memory, recording outcomes and states as it goes. */
function modelOf(p: Program, outcomes: Set<string>, states: Set<string>) {
  return defineModel<number>({
    name: "differential",
    description: "a random small program",
    variants: { v: { description: "as generated", correct: true } },
    properties: { never: "never broken: the checks only record" },
    defaults: { cpus: Math.max(...p.cpuOf) + 1, maxSteps: 2000, memory: "sc", lockdep: 0 },
    workload: () => fc.constant(0),
    setup() {
      shared_state_in_memory_only();
      const W = { x: DEFINE_SHARED("x", 0), y: DEFINE_SHARED("y", 0) };
      const l = DEFINE_SPINLOCK("l");
      const regs: Record<string, unknown> = {};
      const regKey = () =>
        Object.keys(regs)
          .sort()
          .map((k) => `${k}=${String(regs[k])}`)
          .join(" ");
      p.threads.forEach((ops, t) =>
        kthread_run(
          function* () {
            let r = 0;
            for (const op of ops) {
              const [k, a, b, c] = op.split(" ") as [string, "x" | "y", string, string];
              const reg = `P${t}r${r++}`;
              if (k === "st") WRITE_ONCE(W[a], Number(b));
              else if (k === "ld") regs[reg] = READ_ONCE(W[a]);
              else if (k === "rel") smp_store_release(W[a], Number(b));
              else if (k === "acq") regs[reg] = smp_load_acquire(W[a]);
              else if (k === "mb") smp_mb();
              else if (k === "wmb") smp_wmb();
              else if (k === "rmb") smp_rmb();
              else if (k === "xchg") regs[reg] = xchg(W[a], Number(b));
              else if (k === "cmpxchg") regs[reg] = cmpxchg(W[a], Number(b), Number(c));
              else if (k === "islocked") regs[reg] = spin_is_locked(l) ? 1 : 0;
              else if (k === "locked") {
                yield* spin_lock(l);
                const v = READ_ONCE(W[a]);
                regs[reg] = v;
                yield "load under the lock";
                WRITE_ONCE(W[a], v + 1);
                yield "store under the lock";
                yield* spin_unlock(l);
                continue;
              } else if (k === "trylock") {
                const got = yield* spin_trylock(l);
                regs[reg] = got ? 1 : 0;
                if (got) {
                  WRITE_ONCE(W[a], 5);
                  yield "store under the lock";
                  yield* spin_unlock(l);
                }
                continue;
              } else if (k === "until") {
                yield spin_until(() => READ_ONCE(W[a]) !== 0, `${a} != 0`);
                regs[reg] = READ_ONCE(W.x) * 10 + READ_ONCE(W.y);
              }
              yield op;
            }
          },
          `P${t}`,
          { cpu: p.cpuOf[t]!, pinned: true },
        ),
      );
      return {
        invariants: {
          never: () => {
            states.add(`${currentMachine().memory.key()} ${regKey()} ${l.locked}`);
            return undefined;
          },
        },
        finals: {
          never: () => {
            outcomes.add(`${regKey()} x=${READ_ONCE(W.x)} y=${READ_ONCE(W.y)}`);
            return undefined;
          },
        },
      };
    },
  });
}

function search(p: Program, memory: string, bound: number, boundKind: BoundKind, reduce: boolean, runs: number) {
  const outcomes = new Set<string>();
  const states = new Set<string>();
  const model = modelOf(p, outcomes, states);
  const config = variantConfig(model, "v", { memory });
  const workloads = new Workloads(model.workload(config), 1);
  const s = createExhaustive({ seed: 1, depth: 3, bound, boundKind, workloads: 1, shard: { index: 0, count: 1 }, reduce });
  const r = searchOnline({ model, variant: "v", config, runs, seed: 1, property: "never" }, s, workloads);
  return { outcomes, states, runs: r.runs, complete: r.exhausted, endedEarly: Object.keys(r.endedEarly ?? {}).sort() };
}

describe("the reduction against the search without it, on random small programs", () => {
  it(`reaches the same outcomes and states and ends the same runs early (${all ? 60 : 12} programs)`, () => {
    const rnd = lcg(7);
    let compared = 0;
    let withIt = 0;
    let without = 0;
    for (let i = 0; i < (all ? 60 : 12); i++) {
      const p = program(rnd);
      const memory = ["sc", "tso", "pso", "weak"][rnd(4)]!;
      const boundKind = (["preemption", "delay", "deviation"] as const)[rnd(3)]!;
      const bound = 2 + rnd(5);
      const most = all ? 8000 : 600;
      const off = search(p, memory, bound, boundKind, false, most + 1);
      if (!off.complete) continue; // too large to search to the end here
      const on = search(p, memory, bound, boundKind, true, most + 1);
      const what = `${JSON.stringify(p)} under ${memory}, ${bound} ${boundKind}s`;
      expect(on.complete, what).toBe(true);
      expect([...on.outcomes].sort(), what).toEqual([...off.outcomes].sort());
      expect([...off.states].filter((s) => !on.states.has(s)), what).toEqual([]);
      expect(on.endedEarly, what).toEqual(off.endedEarly);
      compared++;
      withIt += on.runs;
      without += off.runs;
    }
    expect(compared).toBeGreaterThanOrEqual(all ? 30 : 5);
    expect(withIt).toBeLessThan(without);
  });
});
