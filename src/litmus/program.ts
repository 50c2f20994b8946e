// A litmus process compiled to instructions: each access to shared memory,
// barrier, lock or RCU operation is one instruction (one atomic step);
// what works on registers alone is local and runs between them. Expressions
// that read memory are split so that every load lands in a register first.
import type { RmwOrder } from "../sim/memory.ts";
import { LitmusError } from "./lexer.ts";
import type { Expr, Stmt, Thread } from "./parse.ts";

/** An expression over registers and constants only. */
export type Pure =
  | { k: "num"; v: number }
  | { k: "ptr"; loc: string }
  | { k: "reg"; name: string }
  | { k: "un"; op: string; e: Pure }
  | { k: "bin"; op: string; a: Pure; b: Pure };

/** What an RMW stores, given the old value and its arguments (undefined: nothing), and what it returns. */
export interface RmwKind {
  name: string;
  store: (old: number | string, args: (number | string)[]) => number | string | undefined;
  result: (old: number | string, stored: number | string | undefined, args: (number | string)[]) => number | string;
}

export type Instr =
  | { op: "local"; dst: string; e: Pure }
  | { op: "branch"; c: Pure; ifFalse: number }
  | { op: "jump"; to: number }
  | { op: "load"; dst: string; addr: Pure; how: "once" | "acquire"; dependent: boolean; line: number }
  | { op: "store"; addr: Pure; value: Pure; how: "once" | "release"; line: number }
  | { op: "fence"; how: "mb" | "wmb" | "rmb" }
  | { op: "rmw"; dst: string; addr: Pure; args: Pure[]; kind: RmwKind; order: RmwOrder; locArg: number; line: number }
  | { op: "lock" | "unlock"; lock: Pure; line: number }
  | { op: "trylock" | "is_locked"; dst: string; lock: Pure; line: number }
  | { op: "rcu_read_lock" | "rcu_read_unlock" | "synchronize_rcu"; line: number };

const FENCES: Record<string, "mb" | "wmb" | "rmb" | null> = {
  smp_mb: "mb",
  smp_wmb: "wmb",
  smp_rmb: "rmb",
  smp_mb__before_atomic: "mb",
  smp_mb__after_atomic: "mb",
  smp_mb__after_spinlock: "mb",
  smp_mb__after_unlock_lock: "mb",
  barrier: null,
  smp_read_barrier_depends: null,
};

const num = (v: number | string) => (typeof v === "number" ? v : 0);
const ORDER = (suffix: string | undefined): RmwOrder => (suffix === "_relaxed" ? "relaxed" : suffix === "_acquire" ? "acquire" : suffix === "_release" ? "release" : "mb");

/** The RMWs by name: which argument is the location, and what they do. */
function rmwOf(f: string): { loc: number; kind: RmwKind; order: RmwOrder } | undefined {
  let m = /^(?:atomic_)?(xchg|cmpxchg)(_relaxed|_acquire|_release)?$/.exec(f);
  if (m) {
    const kind: RmwKind =
      m[1] === "xchg"
        ? { name: f, store: (_o, a) => a[0]!, result: (o) => o }
        : { name: f, store: (o, a) => (o === a[0] ? a[1]! : undefined), result: (o) => o };
    return { loc: 0, kind, order: ORDER(m[2]) };
  }
  m = /^atomic_(add|sub|inc|dec)(_return|_and_test)?(_relaxed|_acquire|_release)?$/.exec(f) ?? /^atomic_fetch_(add|sub|inc|dec)()(_relaxed|_acquire|_release)?$/.exec(f);
  if (m) {
    const unary = m[1] === "inc" || m[1] === "dec";
    const sign = m[1] === "add" || m[1] === "inc" ? 1 : -1;
    const delta = (a: (number | string)[]) => sign * (unary ? 1 : num(a[0]!));
    const fetch = f.startsWith("atomic_fetch_");
    const ret = m[2];
    if (ret === undefined && m[3] !== undefined && !fetch) return undefined;
    const kind: RmwKind = {
      name: f,
      store: (o, a) => num(o) + delta(a),
      result: (o, s) => (fetch ? o : ret === "_return" ? s! : ret === "_and_test" ? (s === 0 ? 1 : 0) : 0),
    };
    return { loc: unary ? 0 : 1, kind, order: fetch || ret !== undefined ? ORDER(m[3]) : "relaxed" };
  }
  if (f === "atomic_add_unless" || f === "atomic_inc_not_zero") {
    const inc = f === "atomic_inc_not_zero";
    const kind: RmwKind = {
      name: f,
      store: (o, a) => (num(o) === (inc ? 0 : num(a[1]!)) ? undefined : num(o) + (inc ? 1 : num(a[0]!))),
      result: (_o, s) => (s === undefined ? 0 : 1),
    };
    return { loc: 0, kind, order: "mb" };
  }
  return undefined;
}

class Compiler {
  readonly code: Instr[] = [];
  private temps = 0;
  constructor(private readonly locs: Set<string>) {}

  private temp(): string {
    return `$t${this.temps++}`;
  }

  /** The location an access names: `*p` for READ_ONCE and friends, `p` for the pointer-taking ones. */
  private pointer(e: Expr): { addr: Pure; dependent: boolean } {
    const addr = this.pure(e);
    return { addr, dependent: usesRegister(addr) };
  }

  private derefArg(e: Expr | undefined, f: string, line: number): Expr {
    if (e === undefined) throw new LitmusError(line, `${f}() needs an argument`);
    if (e.k === "deref") return e.e;
    throw new LitmusError(line, `${f}() takes *pointer`);
  }

  private arg(args: Expr[], i: number, f: string, line: number): Expr {
    const a = args[i];
    if (a === undefined) throw new LitmusError(line, `${f}() needs ${i + 1} argument(s)`);
    return a;
  }

  /** Compiles an expression: memory accesses become instructions, and what is left is pure. */
  pure(e: Expr): Pure {
    switch (e.k) {
      case "num":
        return { k: "num", v: e.v };
      case "id":
        return this.locs.has(e.name) ? { k: "ptr", loc: e.name } : { k: "reg", name: e.name };
      case "addr":
        return { k: "ptr", loc: e.name };
      case "un":
        return { k: "un", op: e.op, e: this.pure(e.e) };
      case "bin": {
        if (e.op === "&&" || e.op === "||") {
          // C's short circuit: the right side (and the accesses in it) runs only when the left does not decide.
          const dst = this.temp();
          const truth = (p: Pure): Pure => ({ k: "un", op: "!", e: { k: "un", op: "!", e: p } });
          this.code.push({ op: "local", dst, e: truth(this.pure(e.a)) });
          const decided: Pure = e.op === "&&" ? { k: "reg", name: dst } : { k: "un", op: "!", e: { k: "reg", name: dst } };
          const skip = { op: "branch" as const, c: decided, ifFalse: -1 };
          this.code.push(skip);
          this.code.push({ op: "local", dst, e: truth(this.pure(e.b)) });
          skip.ifFalse = this.code.length;
          return { k: "reg", name: dst };
        }
        return { k: "bin", op: e.op, a: this.pure(e.a), b: this.pure(e.b) };
      }
      case "deref": {
        // A plain C access (*x): a load like READ_ONCE here.
        const dst = this.temp();
        const p = this.pointer(e.e);
        this.code.push({ op: "load", dst, addr: p.addr, how: "once", dependent: p.dependent, line: e.line });
        return { k: "reg", name: dst };
      }
      case "call": {
        const dst = this.temp();
        if (!this.call(e, dst)) throw new LitmusError(e.line, `${e.f}() returns no value`);
        return { k: "reg", name: dst };
      }
    }
  }

  /** Compiles a call; returns whether it leaves a value in `dst`. */
  call(e: Expr & { k: "call" }, dst: string): boolean {
    const { f, args, line } = e;
    if (f in FENCES) {
      const how = FENCES[f];
      if (how) this.code.push({ op: "fence", how });
      return false;
    }
    switch (f) {
      case "READ_ONCE":
      case "rcu_dereference":
      case "rcu_dereference_raw": {
        const p = this.pointer(this.derefArg(args[0], f, line));
        this.code.push({ op: "load", dst, addr: p.addr, how: "once", dependent: p.dependent, line });
        return true;
      }
      case "smp_load_acquire":
      case "atomic_read":
      case "atomic_read_acquire": {
        const p = this.pointer(this.arg(args, 0, f, line));
        this.code.push({ op: "load", dst, addr: p.addr, how: f === "atomic_read" ? "once" : "acquire", dependent: p.dependent, line });
        return true;
      }
      case "WRITE_ONCE":
      case "rcu_assign_pointer":
      case "smp_store_mb": {
        const p = this.pointer(this.derefArg(args[0], f, line));
        const value = this.pure(this.arg(args, 1, f, line));
        this.code.push({ op: "store", addr: p.addr, value, how: f === "rcu_assign_pointer" ? "release" : "once", line });
        if (f === "smp_store_mb") this.code.push({ op: "fence", how: "mb" });
        return false;
      }
      case "smp_store_release":
      case "atomic_set":
      case "atomic_set_release": {
        const p = this.pointer(this.arg(args, 0, f, line));
        const value = this.pure(this.arg(args, 1, f, line));
        this.code.push({ op: "store", addr: p.addr, value, how: f === "atomic_set" ? "once" : "release", line });
        return false;
      }
      case "spin_lock":
      case "spin_unlock":
        this.code.push({ op: f === "spin_lock" ? "lock" : "unlock", lock: this.pure(this.arg(args, 0, f, line)), line });
        return false;
      case "spin_trylock":
      case "spin_is_locked":
        this.code.push({ op: f === "spin_trylock" ? "trylock" : "is_locked", dst, lock: this.pure(this.arg(args, 0, f, line)), line });
        return true;
      case "rcu_read_lock":
      case "rcu_read_unlock":
      case "synchronize_rcu":
        this.code.push({ op: f, line });
        return false;
      case "synchronize_rcu_expedited":
        this.code.push({ op: "synchronize_rcu", line });
        return false;
    }
    const r = rmwOf(f);
    if (r === undefined) throw new LitmusError(line, `unknown construct '${f}'`);
    const addr = this.pure(this.arg(args, r.loc, f, line));
    const rest = args.filter((_, i) => i !== r.loc).map((a) => this.pure(a));
    this.code.push({ op: "rmw", dst, addr, args: rest, kind: r.kind, order: r.order, locArg: r.loc, line });
    return true;
  }

  stmts(body: Stmt[]): void {
    for (const s of body) this.stmt(s);
  }

  stmt(s: Stmt): void {
    switch (s.k) {
      case "assign": {
        if (s.e.k === "call") {
          if (!this.call(s.e, s.reg)) throw new LitmusError(s.line, `${s.e.f}() returns no value`);
          return;
        }
        this.code.push({ op: "local", dst: s.reg, e: this.pure(s.e) });
        return;
      }
      case "store": {
        const p = this.pointer(s.addr);
        const value = this.pure(s.e);
        this.code.push({ op: "store", addr: p.addr, value, how: "once", line: s.line });
        return;
      }
      case "expr":
        if (s.e.k === "call") this.call(s.e, this.temp());
        else this.pure(s.e);
        return;
      case "if": {
        const c = this.pure(s.c);
        const branch = { op: "branch" as const, c, ifFalse: -1 };
        this.code.push(branch);
        this.stmts(s.then);
        if (s.else.length === 0) {
          branch.ifFalse = this.code.length;
          return;
        }
        const jump = { op: "jump" as const, to: -1 };
        this.code.push(jump);
        branch.ifFalse = this.code.length;
        this.stmts(s.else);
        jump.to = this.code.length;
      }
    }
  }
}

function usesRegister(p: Pure): boolean {
  switch (p.k) {
    case "reg":
      return true;
    case "un":
      return usesRegister(p.e);
    case "bin":
      return usesRegister(p.a) || usesRegister(p.b);
    default:
      return false;
  }
}

/** Compiles a process; `locs` are the names that denote locations (the others are registers). */
export function compileThread(t: Thread, locs: Set<string>): Instr[] {
  const c = new Compiler(locs);
  c.stmts(t.body);
  return c.code;
}

/** Evaluates a pure expression: a number, or a pointer (the name of the location). */
export function evalPure(p: Pure, regs: Map<string, number | string>): number | string {
  switch (p.k) {
    case "num":
      return p.v;
    case "ptr":
      return p.loc;
    case "reg":
      return regs.get(p.name) ?? 0;
    case "un": {
      const v = evalPure(p.e, regs);
      if (p.op === "!") return v === 0 ? 1 : 0;
      return p.op === "-" ? -num(v) : ~num(v);
    }
    case "bin": {
      const a = evalPure(p.a, regs);
      const b = evalPure(p.b, regs);
      switch (p.op) {
        case "==":
          return a === b ? 1 : 0;
        case "!=":
          return a !== b ? 1 : 0;
        case "&&":
          return a !== 0 && b !== 0 ? 1 : 0;
        case "||":
          return a !== 0 || b !== 0 ? 1 : 0;
        case "<":
          return num(a) < num(b) ? 1 : 0;
        case ">":
          return num(a) > num(b) ? 1 : 0;
        case "<=":
          return num(a) <= num(b) ? 1 : 0;
        case ">=":
          return num(a) >= num(b) ? 1 : 0;
        case "+":
          return num(a) + num(b);
        case "-":
          return num(a) - num(b);
        case "*":
          return num(a) * num(b);
        case "/":
          return num(b) === 0 ? 0 : Math.trunc(num(a) / num(b));
        case "%":
          return num(b) === 0 ? 0 : num(a) % num(b);
        case "&":
          return num(a) & num(b);
        case "|":
          return num(a) | num(b);
        case "^":
          return num(a) ^ num(b);
      }
      throw new Error(`operator ${p.op}`);
    }
  }
}
