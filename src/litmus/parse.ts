// A parser for litmus tests in the Linux kernel's C format
// (tools/memory-model/litmus-tests): the header line `C name`, an optional
// doc string, the init block, processes P0(...) { ... }, then `locations`,
// `filter` and one of `exists`, `~exists`, `forall`.
import type { Token } from "./lexer.ts";
import { LitmusError, tokenize } from "./lexer.ts";

export type Expr =
  | { k: "num"; v: number; line: number }
  | { k: "id"; name: string; line: number }
  | { k: "deref"; e: Expr; line: number }
  | { k: "addr"; name: string; line: number }
  | { k: "call"; f: string; args: Expr[]; line: number }
  | { k: "un"; op: "!" | "-" | "~"; e: Expr; line: number }
  | { k: "bin"; op: string; a: Expr; b: Expr; line: number };

export type Stmt =
  | { k: "assign"; reg: string; e: Expr; line: number }
  | { k: "store"; addr: Expr; e: Expr; line: number }
  | { k: "expr"; e: Expr; line: number }
  | { k: "if"; c: Expr; then: Stmt[]; else: Stmt[]; line: number };

/** A register of a thread (`0:r1`) or a location (`x`). */
export interface Var {
  thread?: number;
  name: string;
}

/** A value in a condition or an init: a number, or a pointer to a location. */
export type Value = number | string;

export type Prop = { k: "atom"; v: Var; val: Value } | { k: "and" | "or"; a: Prop; b: Prop } | { k: "not"; a: Prop } | { k: "const"; v: boolean };

export interface Thread {
  id: number;
  /** The parameters: each a location, with its C type ("int *", "spinlock_t *"). */
  params: { name: string; type: string }[];
  body: Stmt[];
  line: number;
}

export interface LitmusFile {
  name: string;
  /** The `Result:` the file states for the Linux kernel memory model, if any. */
  result?: string;
  /** Initial values: of locations, or of a thread's registers. */
  init: { v: Var; value: Value; line: number }[];
  /** Locations declared in the init block, with their type when given. */
  declared: Map<string, string>;
  threads: Thread[];
  locations: Var[];
  filter?: Prop;
  quantifier: "exists" | "~exists" | "forall";
  cond: Prop;
}

const TYPES = new Set(["int", "long", "unsigned", "signed", "char", "short", "bool", "intptr_t", "uintptr_t", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "spinlock_t", "atomic_t", "const", "volatile"]);

class Parser {
  private i = 0;
  constructor(private readonly t: Token[]) {}

  peek(k = 0): Token {
    return this.t[Math.min(this.i + k, this.t.length - 1)]!;
  }
  next(): Token {
    return this.t[this.i++]!;
  }
  is(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind !== "str" && t.kind !== "end" && t.text === text;
  }
  accept(text: string): boolean {
    if (!this.is(text)) return false;
    this.i++;
    return true;
  }
  expect(text: string, what = `'${text}'`): Token {
    const t = this.peek();
    if (!this.is(text)) throw new LitmusError(t.line, `expected ${what}, found '${t.text}'`);
    return this.next();
  }
  ident(what = "a name"): Token {
    const t = this.peek();
    if (t.kind !== "id") throw new LitmusError(t.line, `expected ${what}, found '${t.text}'`);
    return this.next();
  }

  // ---- the init block ----

  init(file: LitmusFile): void {
    this.expect("{");
    while (!this.accept("}")) {
      if (this.accept(";")) continue;
      let type = "";
      while (this.peek().kind === "id" && TYPES.has(this.peek().text)) type += (type ? " " : "") + this.next().text;
      // One or more declarators of the type: int x = 1, y = 2;
      do {
        let stars = "";
        while (this.accept("*")) stars += "*";
        const line = this.peek().line;
        const v = this.var();
        if (v.thread === undefined) file.declared.set(v.name, (type || "int") + stars);
        if (this.accept("=")) file.init.push({ v, value: this.initValue(), line });
      } while (this.accept(","));
      if (!this.is("}")) this.expect(";");
    }
  }

  initValue(): Value {
    if (this.accept("&")) return this.ident("a location").text;
    if (this.accept("-")) return -Number(this.expectNum());
    const t = this.peek();
    if (t.kind === "num") return Number(this.next().text);
    const id = this.ident("a value").text;
    if (id === "ATOMIC_INIT") {
      this.expect("(");
      const neg = this.accept("-");
      const n = Number(this.expectNum());
      this.expect(")");
      return neg ? -n : n;
    }
    return id;
  }

  expectNum(): string {
    const t = this.peek();
    if (t.kind !== "num") throw new LitmusError(t.line, `expected a number, found '${t.text}'`);
    return this.next().text;
  }

  var(): Var {
    const t = this.peek();
    if (t.kind === "num" && this.is(":", 1)) {
      const thread = Number(this.next().text);
      this.next();
      return { thread, name: this.ident("a register").text };
    }
    return { name: this.ident("a location").text };
  }

  // ---- processes ----

  thread(): Thread {
    const t = this.ident("a process P0, P1 ...");
    const m = /^P([0-9]+)$/.exec(t.text);
    if (m === null) throw new LitmusError(t.line, `expected a process P0, P1 ..., found '${t.text}'`);
    this.expect("(");
    const params: { name: string; type: string }[] = [];
    while (!this.accept(")")) {
      const words: string[] = [];
      while (!this.is(",") && !this.is(")")) {
        const p = this.next();
        if (p.kind === "end") throw new LitmusError(p.line, "the parameter list is never closed");
        words.push(p.text);
      }
      const name = words.pop();
      if (name !== undefined) params.push({ name, type: words.join(" ") });
      this.accept(",");
    }
    return { id: Number(m[1]), params, body: this.block(), line: t.line };
  }

  block(): Stmt[] {
    this.expect("{");
    const out: Stmt[] = [];
    while (!this.accept("}")) out.push(...this.stmt());
    return out;
  }

  stmt(): Stmt[] {
    const t = this.peek();
    if (t.kind === "end") throw new LitmusError(t.line, "a block is never closed");
    if (this.accept(";")) return [];
    if (this.is("{")) return this.block();
    if (this.is("if")) {
      this.next();
      this.expect("(");
      const c = this.expr();
      this.expect(")");
      const then = this.stmt();
      const els = this.accept("else") ? this.stmt() : [];
      return [{ k: "if", c, then, else: els, line: t.line }];
    }
    if (t.kind === "id" && TYPES.has(t.text)) return this.decl();
    if (t.kind === "id" && (t.text === "while" || t.text === "for" || t.text === "do" || t.text === "goto" || t.text === "return" || t.text === "switch"))
      throw new LitmusError(t.line, `unknown construct '${t.text}'`);
    const e = this.expr();
    let s: Stmt;
    if (this.accept("=")) {
      const rhs = this.expr();
      if (e.k === "id") s = { k: "assign", reg: e.name, e: rhs, line: t.line };
      else if (e.k === "deref") s = { k: "store", addr: e.e, e: rhs, line: t.line };
      else throw new LitmusError(t.line, "unknown construct: an assignment to something other than a register or *pointer");
    } else s = { k: "expr", e, line: t.line };
    this.expect(";");
    return [s];
  }

  decl(): Stmt[] {
    while (this.peek().kind === "id" && TYPES.has(this.peek().text)) this.next();
    const out: Stmt[] = [];
    do {
      while (this.accept("*"));
      const name = this.ident("a register");
      if (this.accept("=")) out.push({ k: "assign", reg: name.text, e: this.expr(), line: name.line });
    } while (this.accept(","));
    this.expect(";");
    return out;
  }

  // ---- expressions, C precedence ----

  expr(): Expr {
    return this.binary(0);
  }

  private static readonly LEVELS = [["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", ">", "<=", ">="], ["+", "-"], ["*", "/", "%"]];

  binary(level: number): Expr {
    if (level === Parser.LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== "punct" || !Parser.LEVELS[level]!.includes(t.text)) return a;
      this.next();
      a = { k: "bin", op: t.text, a, b: this.binary(level + 1), line: t.line };
    }
  }

  unary(): Expr {
    const t = this.peek();
    if (this.accept("*")) return { k: "deref", e: this.unary(), line: t.line };
    if (this.accept("&")) return { k: "addr", name: this.ident("a location").text, line: t.line };
    if (this.accept("!")) return { k: "un", op: "!", e: this.unary(), line: t.line };
    if (this.accept("-")) return { k: "un", op: "-", e: this.unary(), line: t.line };
    if (this.accept("~")) return { k: "un", op: "~", e: this.unary(), line: t.line };
    if (this.is("(")) {
      // A cast such as (void) or (int *) is dropped.
      if (this.peek(1).kind === "id" && TYPES.has(this.peek(1).text) || this.is("void", 1)) {
        this.next();
        while (!this.accept(")")) this.next();
        return this.unary();
      }
      this.next();
      const e = this.expr();
      this.expect(")");
      return e;
    }
    if (t.kind === "num") return { k: "num", v: Number(this.next().text), line: t.line };
    if (t.kind === "id") {
      this.next();
      if (this.accept("(")) {
        const args: Expr[] = [];
        while (!this.accept(")")) {
          args.push(this.expr());
          if (!this.is(")")) this.expect(",");
        }
        return { k: "call", f: t.text, args, line: t.line };
      }
      if (this.is("->") || this.is(".") || this.is("["))
        throw new LitmusError(t.line, `unknown construct '${this.peek().text}' (structures and arrays)`);
      return { k: "id", name: t.text, line: t.line };
    }
    throw new LitmusError(t.line, `unexpected '${t.text}'`);
  }

  // ---- the final condition ----

  prop(): Prop {
    let a = this.conj();
    while (this.accept("\\/")) a = { k: "or", a, b: this.conj() };
    return a;
  }
  conj(): Prop {
    let a = this.atom();
    while (this.accept("/\\")) a = { k: "and", a, b: this.atom() };
    return a;
  }
  atom(): Prop {
    if (this.accept("~")) return { k: "not", a: this.atom() };
    if (this.accept("not")) return { k: "not", a: this.atom() };
    if (this.accept("(")) {
      const p = this.prop();
      this.expect(")");
      return p;
    }
    if (this.accept("true")) return { k: "const", v: true };
    if (this.accept("false")) return { k: "const", v: false };
    const v = this.var();
    if (!this.accept("=")) this.expect("==", "'='");
    return { k: "atom", v, val: this.initValue() };
  }

  varList(): Var[] {
    this.expect("[");
    const out: Var[] = [];
    while (!this.accept("]")) {
      if (this.accept(";")) continue;
      out.push(this.var());
    }
    return out;
  }
}

/** Parses one litmus file's text. Throws a LitmusError naming the line of the first thing it cannot read. */
export function parseLitmus(src: string): LitmusFile {
  const nl = src.indexOf("\n");
  const head = (nl < 0 ? src : src.slice(0, nl)).trim();
  const hm = /^C\s+(\S+)/.exec(head);
  if (hm === null) throw new LitmusError(1, `not a C litmus test: the first line must be 'C name', found '${head.slice(0, 40)}'`);
  // The Result line belongs to the comment between the name and the init block.
  const preamble = src.slice(0, Math.max(0, src.search(/^\s*\{/m)));
  const result = /^\s*(?:\(\*)?\s*\*?\s*Result:\s*([A-Za-z]+)/m.exec(preamble)?.[1];
  const p = new Parser(tokenize(nl < 0 ? "" : src.slice(nl + 1), 2));
  const file: LitmusFile = { name: hm[1]!, result, init: [], declared: new Map(), threads: [], locations: [], quantifier: "exists", cond: { k: "const", v: true } };
  while (p.peek().kind === "str") p.next();
  p.init(file);
  while (p.peek().kind === "id" && /^P[0-9]+$/.test(p.peek().text)) file.threads.push(p.thread());
  if (file.threads.length === 0) throw new LitmusError(p.peek().line, `expected a process P0, found '${p.peek().text}'`);
  file.threads.forEach((t, i) => {
    if (t.id !== i) throw new LitmusError(t.line, `processes must be P0, P1 ... in order; found P${t.id} where P${i} belongs`);
  });
  for (;;) {
    const t = p.peek();
    if (p.accept("locations")) file.locations.push(...p.varList());
    else if (p.accept("filter")) file.filter = p.prop();
    else if (p.accept("exists")) {
      file.quantifier = "exists";
      file.cond = p.prop();
      break;
    } else if (p.is("~") && p.is("exists", 1)) {
      p.next();
      p.next();
      file.quantifier = "~exists";
      file.cond = p.prop();
      break;
    } else if (p.accept("forall")) {
      file.quantifier = "forall";
      file.cond = p.prop();
      break;
    } else throw new LitmusError(t.line, t.kind === "end" ? "no final condition (exists, ~exists or forall)" : `unknown construct '${t.text}' after the processes`);
  }
  const rest = p.peek();
  if (rest.kind !== "end") throw new LitmusError(rest.line, `unexpected '${rest.text}' after the final condition`);
  return file;
}
