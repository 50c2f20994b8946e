// The litmus command judges the machine the models run on: each of the
// project's two-process litmus tests, run on the machine through the kernel
// API (every schedule, by the library's litmus helper), ends in exactly the
// final states the command's search finds, in every memory mode. (The one
// difference by design: in weak mode the kernel API orders every load after
// a pointer load, as Alpha's read_barrier_depends did, where the command
// orders only the loads through the pointer; there the machine may show less.)
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { litmusOutcomes } from "../../src/harness/litmus.ts";
import type { LitmusTest } from "../../src/harness/litmus.ts";
import * as atomic from "../../src/kernel/atomic.ts";
import { atomic_t } from "../../src/kernel/atomic.ts";
import { READ_ONCE, WRITE_ONCE, shared_t, smp_load_acquire, smp_mb, smp_rmb, smp_store_release, smp_wmb } from "../../src/kernel/barrier.ts";
import { rcu_read_lock, rcu_read_unlock, synchronize_rcu } from "../../src/kernel/rcu.ts";
import { spin_is_locked, spin_lock, spin_trylock, spin_unlock } from "../../src/kernel/spinlock.ts";
import { explore } from "../../src/litmus/explore.ts";
import type { LitmusFile } from "../../src/litmus/parse.ts";
import { parseLitmus } from "../../src/litmus/parse.ts";
import type { Instr, Pure } from "../../src/litmus/program.ts";
import { evalPure } from "../../src/litmus/program.ts";
import { compile, observedVars, varName } from "../../src/litmus/verdict.ts";
import { MEMORY_MODELS, show } from "../../src/sim/memory.ts";
import type { MemoryModel } from "../../src/sim/memory.ts";
import type { Gen } from "../../src/sim/step.ts";
import { root } from "../helpers/cli.ts";

type Val = number | string;

/** The test as kernel-API programs for the machine. */
function onMachine(f: LitmusFile): LitmusTest {
  const { locs, locks, programs, registers } = compile(f);
  const observed = observedVars(f);
  const atomics = new Set([...f.declared].filter(([, t]) => t.startsWith("atomic_t")).map(([n]) => n));
  for (const t of f.threads) for (const p of t.params) if (p.type.startsWith("atomic_t")) atomics.add(p.name);
  const locations: LitmusTest["locations"] = {};
  for (const [name, v] of locs) locations[name] = typeof v === "string" ? `&${v}` : v;
  return {
    name: f.name,
    locations,
    locks,
    rcu: programs.some((p) => p.some((i) => i.op.startsWith("rcu_") || i.op === "synchronize_rcu")),
    final: observed.filter((v) => v.thread === undefined).map((v) => v.name),
    threads: programs.map((code, tid) =>
      function* (x, out, lk): Gen {
        // Registers hold numbers or pointers (a shared word); the interpreter's pointers are location names.
        const regs = new Map<string, unknown>(registers[tid]);
        for (const [k, v] of regs) if (typeof v === "string") regs.set(k, x[v]);
        const named = () => new Map([...regs].map(([k, v]) => [k, v instanceof shared_t ? v.addr : (v as Val)]));
        const val = (p: Pure): unknown => {
          const v = evalPure(p, named());
          return typeof v === "string" ? x[v] : v;
        };
        const word = (p: Pure) => val(p) as shared_t<unknown>;
        const lock = (p: Pure) => lk[String(evalPure(p, named()))]!; // a lock is named by its location's name
        let pc = 0;
        while (pc < code.length) {
          const ins: Instr = code[pc]!;
          pc++;
          switch (ins.op) {
            case "local":
              regs.set(ins.dst, val(ins.e));
              continue;
            case "branch":
              if (evalPure(ins.c, named()) === 0) pc = ins.ifFalse;
              continue;
            case "jump":
              pc = ins.to;
              continue;
            case "load":
              regs.set(ins.dst, ins.how === "acquire" ? smp_load_acquire(word(ins.addr)) : READ_ONCE(word(ins.addr)));
              break;
            case "store":
              if (ins.how === "release") smp_store_release(word(ins.addr), val(ins.value));
              else WRITE_ONCE(word(ins.addr), val(ins.value));
              break;
            case "fence":
              (ins.how === "mb" ? smp_mb : ins.how === "wmb" ? smp_wmb : smp_rmb)();
              break;
            case "rmw": {
              const w = word(ins.addr);
              const target = atomics.has(w.addr) ? new atomic_t(w.addr, w as shared_t) : w;
              const args = ins.args.map(val);
              args.splice(ins.locArg, 0, target);
              const fn = (atomic as unknown as Record<string, (...a: unknown[]) => unknown>)[ins.kind.name];
              if (fn === undefined) throw new Error(`no ${ins.kind.name} in the kernel API`);
              const r = fn(...args);
              regs.set(ins.dst, typeof r === "boolean" ? (r ? 1 : 0) : r === undefined ? 0 : r);
              break;
            }
            case "lock":
              yield* spin_lock(lock(ins.lock));
              continue;
            case "unlock":
              yield* spin_unlock(lock(ins.lock));
              continue;
            case "trylock":
              regs.set(ins.dst, (yield* spin_trylock(lock(ins.lock))) ? 1 : 0);
              continue;
            case "is_locked":
              regs.set(ins.dst, spin_is_locked(lock(ins.lock)) ? 1 : 0);
              break;
            case "rcu_read_lock":
              rcu_read_lock();
              break;
            case "rcu_read_unlock":
              rcu_read_unlock();
              break;
            case "synchronize_rcu":
              yield* synchronize_rcu();
              continue;
          }
          yield `${ins.op}`;
        }
        for (const v of observed) if (v.thread === tid) out[varName(v)] = (regs.get(v.name) ?? 0) as number;
      },
    ),
  };
}

/** The command's final states, written as the helper writes its outcomes. */
function commandOutcomes(f: LitmusFile, mode: MemoryModel): Set<string> {
  const { locs, locks, programs, registers } = compile(f);
  const observed = observedVars(f);
  const ex = explore(programs, { locations: locs, registers }, locks, mode, { observed });
  const out = new Set<string>();
  for (const fin of ex.finals) {
    const regs = observed.filter((v) => v.thread !== undefined).map(varName).sort();
    const words = observed.filter((v) => v.thread === undefined).map(varName);
    out.add([...regs, ...words].map((k) => `${k}=${show(fin.values.get(k))}`).join(" "));
  }
  return out;
}

const dir = path.join(root, "litmus");
// The machine visits every schedule, without the command's state hashing: the
// small tests run by default, every two-process test with KRH_LITMUS_MACHINE=all.
const all = process.env.KRH_LITMUS_MACHINE === "all";
const steps = (f: LitmusFile) => compile(f).programs.flat().filter((i) => i.op !== "local" && i.op !== "branch" && i.op !== "jump");
const small = (f: LitmusFile) => steps(f).length <= 6 && !steps(f).some((i) => i.op === "synchronize_rcu" || i.op === "rmw") && observedVars(f).every((v) => v.thread !== undefined);
const twoProcess = fs
  .readdirSync(dir)
  .filter((n) => n.endsWith(".litmus"))
  .sort()
  .map((n) => parseLitmus(fs.readFileSync(path.join(dir, n), "utf8")))
  .filter((f) => f.threads.length <= 2 && (all || small(f)));

describe("the machine agrees with the litmus command", () => {
  it.each(twoProcess.map((f) => f.name))("%s", { timeout: 600_000 }, (name) => {
    const f = twoProcess.find((t) => t.name === name)!;
    const pointerLoads = compile(f).programs.some((p) => p.some((i) => i.op === "load" && i.dependent));
    for (const mode of MEMORY_MODELS) {
      const machine = new Set(litmusOutcomes(onMachine(f), mode).keys());
      const command = commandOutcomes(f, mode);
      if (mode === "weak" && pointerLoads) for (const o of machine) expect(command, `${name} under ${mode}`).toContain(o);
      else expect([...machine].sort(), `${name} under ${mode}`).toEqual([...command].sort());
    }
  });
});
