// The complete search of a litmus test under one memory mode: every state
// the machine's memory (src/sim/memory.ts) and the processes can reach,
// each visited once (states are explicit, so they are hashed), and the
// final state of every path that ends. Locks and RCU follow the rules of
// the kernel API: a lock is seen free once its release is visible; taking
// it is an acquire; synchronize_rcu() is a full barrier on entry and
// return, and waits for a grace period whose quiescent states are full
// barriers on their CPUs.
import type { MemoryModel, StoreMark } from "../sim/memory.ts";
import { Memory, memoryEventArg } from "../sim/memory.ts";
import type { Instr } from "./program.ts";
import { evalPure } from "./program.ts";

type Val = number | string;

interface ThreadState {
  pc: number;
  regs: Map<string, Val>;
  /** rcu_read_lock() nesting. */
  nest: number;
  /** In synchronize_rcu(): the grace period it waits for, else 0. */
  waitsFor: number;
}

interface LockState {
  holder: number;
  released: StoreMark | null;
}

interface State {
  mem: Memory;
  threads: ThreadState[];
  locks: Map<string, LockState>;
  gp: { started: number; completed: number; inProgress: boolean; reported: number };
}

export interface Final {
  /** Registers by "0:r1" and locations by name, as the test's condition names them. */
  values: Map<string, Val>;
  /** Processes that could never finish (waiting for a lock forever). */
  deadlocked: string[];
}

export interface Exploration {
  finals: Final[];
  /** Distinct states visited. */
  states: number;
}

/** A mistake the program makes while it runs (a pointer that is not one). */
export class LitmusRunError extends Error {}

export function explore(
  programs: Instr[][],
  init: { locations: Map<string, Val>; registers: Map<string, Val>[] },
  locks: string[],
  model: MemoryModel,
  opts: { observed: { thread?: number; name: string }[]; maxStates?: number },
): Exploration {
  const n = programs.length;
  const mem = new Memory(model, n);
  for (const [loc, v] of init.locations) mem.declare(loc, v);
  const start: State = {
    mem,
    threads: programs.map((_, i) => ({ pc: 0, regs: new Map(init.registers[i]), nest: 0, waitsFor: 0 })),
    locks: new Map(locks.map((l) => [l, { holder: -1, released: null }])),
    gp: { started: 0, completed: 0, inProgress: false, reported: 0 },
  };
  start.threads.forEach((t, i) => runLocal(programs[i]!, t));
  const memoryObserved = opts.observed.some((v) => v.thread === undefined);
  const maxStates = opts.maxStates ?? 2_000_000;

  const seen = new Set<string>();
  const finals = new Map<string, Final>();
  const stack: State[] = [start];
  seen.add(key(start));
  while (stack.length > 0) {
    const s = stack.pop()!;
    const next = successors(s);
    if (next.length === 0) {
      const f = finalOf(s);
      finals.set([...f.values].map(([k, v]) => `${k}=${v}`).join(" ") + (f.deadlocked.length ? " deadlock" : ""), f);
      continue;
    }
    for (const t of next) {
      const k = key(t);
      if (seen.has(k)) continue;
      seen.add(k);
      if (seen.size > maxStates) throw new LitmusRunError(`more than ${maxStates} states: too large for a complete search`);
      stack.push(t);
    }
  }
  return { finals: [...finals.values()], states: seen.size };

  function finalOf(s: State): Final {
    const m = s.mem.clone();
    for (let c = 0; c < n; c++) m.mb(c);
    const values = new Map<string, Val>();
    for (const v of opts.observed) {
      if (v.thread === undefined) values.set(v.name, m.committed(v.name) as Val);
      else values.set(`${v.thread}:${v.name}`, s.threads[v.thread]?.regs.get(v.name) ?? 0);
    }
    const deadlocked = s.threads.flatMap((t, i) => (t.pc < programs[i]!.length ? [`P${i}`] : []));
    return { values, deadlocked };
  }

  function clone(s: State): State {
    return {
      mem: s.mem.clone(),
      threads: s.threads.map((t) => ({ ...t, regs: new Map(t.regs) })),
      locks: new Map([...s.locks].map(([k, l]) => [k, { ...l }])),
      gp: { ...s.gp },
    };
  }

  function successors(s: State): State[] {
    const out: State[] = [];
    const running = s.threads.map((t, i) => t.pc < programs[i]!.length);
    s.threads.forEach((_, i) => {
      if (!running[i]) return;
      const c = clone(s);
      if (step(c, i)) out.push(c);
    });
    const anyRunning = running.some((r) => r);
    for (const e of s.mem.enabled()) {
      const { inv, cpu } = memoryEventArg(String(e.arg));
      if (inv) {
        // An invalidation matters only to a CPU that will read again.
        if (!running[cpu]) continue;
      } else if (!anyRunning && !memoryObserved) continue; // the final values nobody looks at
      const c = clone(s);
      c.mem.apply(e);
      out.push(c);
    }
    // Grace periods: one starts when a synchronize_rcu() waits for it; each CPU
    // reports a quiescent state outside a read-side section; then it ends.
    const g = s.gp;
    if (!g.inProgress && s.threads.some((t) => t.waitsFor > g.completed)) {
      const c = clone(s);
      c.gp.inProgress = true;
      c.gp.started++;
      c.gp.reported = 0;
      out.push(c);
    }
    if (g.inProgress) {
      for (let i = 0; i < n; i++) {
        if (g.reported & (1 << i) || s.threads[i]!.nest > 0) continue;
        const c = clone(s);
        c.mem.mb(i);
        c.gp.reported |= 1 << i;
        out.push(c);
      }
      if (g.reported === (1 << n) - 1) {
        const c = clone(s);
        c.gp.inProgress = false;
        c.gp.completed = c.gp.started;
        out.push(c);
      }
    }
    return out;
  }

  /** Performs thread i's next instruction on `s`; false if it cannot go on now. */
  function step(s: State, i: number): boolean {
    const t = s.threads[i]!;
    const ins = programs[i]![t.pc]!;
    const m = s.mem;
    const loc = (p: Val, line: number): string => {
      if (typeof p !== "string" || !m.has(p)) throw new LitmusRunError(`line ${line}: P${i} accesses ${p}, which is not a location`);
      return p;
    };
    const lockOf = (p: Val, line: number): LockState => {
      const l = typeof p === "string" ? s.locks.get(p) : undefined;
      if (l === undefined) throw new LitmusRunError(`line ${line}: P${i} takes ${p}, which is not a spinlock`);
      return l;
    };
    const seenFree = (l: LockState) => l.holder < 0 && (l.released === null || l.released.cpu === i || m.visible(l.released));
    switch (ins.op) {
      case "load": {
        const a = loc(evalPure(ins.addr, t.regs), ins.line);
        t.regs.set(ins.dst, (ins.dependent ? m.loadDependent(i, a) : m.load(i, a)) as Val);
        if (ins.how === "acquire") m.rmb(i);
        break;
      }
      case "store": {
        const a = loc(evalPure(ins.addr, t.regs), ins.line);
        if (ins.how === "release") m.wmb(i);
        m.store(i, a, evalPure(ins.value, t.regs));
        break;
      }
      case "fence":
        if (ins.how === "mb") m.mb(i);
        else if (ins.how === "wmb") m.wmb(i);
        else m.rmb(i);
        break;
      case "rmw": {
        const a = loc(evalPure(ins.addr, t.regs), ins.line);
        const args = ins.args.map((p) => evalPure(p, t.regs));
        let stored: Val | undefined;
        const old = m.rmw(i, a, (o) => (stored = ins.kind.store(o as Val, args)), ins.order) as Val;
        t.regs.set(ins.dst, ins.kind.result(old, stored, args));
        break;
      }
      case "lock": {
        const l = lockOf(evalPure(ins.lock, t.regs), ins.line);
        if (!seenFree(l)) return false;
        l.holder = i;
        m.rmb(i);
        break;
      }
      case "unlock": {
        const l = lockOf(evalPure(ins.lock, t.regs), ins.line);
        if (l.holder !== i) throw new LitmusRunError(`line ${ins.line}: P${i} unlocks a lock it does not hold`);
        m.wmb(i); // as the kernel API's spin_unlock()
        l.released = m.mark(i);
        l.holder = -1;
        break;
      }
      case "trylock": {
        const l = lockOf(evalPure(ins.lock, t.regs), ins.line);
        const free = seenFree(l);
        if (free) {
          l.holder = i;
          m.rmb(i);
        }
        t.regs.set(ins.dst, free ? 1 : 0);
        break;
      }
      case "is_locked":
        t.regs.set(ins.dst, seenFree(lockOf(evalPure(ins.lock, t.regs), ins.line)) ? 0 : 1);
        break;
      case "rcu_read_lock":
        t.nest++;
        break;
      case "rcu_read_unlock":
        if (t.nest === 0) throw new LitmusRunError(`line ${ins.line}: P${i} calls rcu_read_unlock() outside a read-side section`);
        t.nest--;
        break;
      case "synchronize_rcu":
        if (t.waitsFor === 0) {
          // Entry: a full barrier, then wait for a grace period that starts after now.
          m.mb(i);
          t.waitsFor = s.gp.started + 1;
          return true;
        }
        if (s.gp.completed < t.waitsFor) return false;
        t.waitsFor = 0;
        m.mb(i);
        break;
      default:
        throw new Error(`instruction ${ins.op} where a step belongs`);
    }
    t.pc++;
    runLocal(programs[i]!, t);
    return true;
  }

  function key(s: State): string {
    const parts = [s.mem.key(String)];
    for (const t of s.threads) parts.push(`${t.pc}/${t.nest}/${t.waitsFor}/${[...t.regs].map(([k, v]) => `${k}=${v}`).join(",")}`);
    for (const [name, l] of s.locks) parts.push(`${name}:${l.holder}:${l.released === null ? "-" : `${l.released.cpu}.${l.released.seq}`}`);
    parts.push(`${s.gp.started}/${s.gp.completed}/${s.gp.inProgress ? 1 : 0}/${s.gp.reported}`);
    return parts.join("|");
  }
}

/** Runs the register-only instructions up to the next step (or the end). */
function runLocal(code: Instr[], t: ThreadState): void {
  for (;;) {
    const ins = code[t.pc];
    if (ins === undefined) return;
    if (ins.op === "local") {
      t.regs.set(ins.dst, evalPure(ins.e, t.regs));
      t.pc++;
    } else if (ins.op === "branch") t.pc = evalPure(ins.c, t.regs) === 0 ? ins.ifFalse : t.pc + 1;
    else if (ins.op === "jump") t.pc = ins.to;
    else return;
  }
}
