// A litmus file's verdict under each memory mode: Always, Sometimes or
// Never (the condition holds in every, some or no final state that passes
// the filter), from a complete search, compared with the Result the file
// states for the Linux kernel memory model (LKMM). Every mode here is
// stronger than LKMM: what LKMM calls Never must be Never in every mode;
// what it calls Sometimes may be Never in a stronger mode.
import type { MemoryModel } from "../sim/memory.ts";
import { explore } from "./explore.ts";
import type { Final } from "./explore.ts";
import type { LitmusFile, Prop, Value, Var } from "./parse.ts";
import { compileThread } from "./program.ts";

export type Verdict = "Always" | "Sometimes" | "Never";

export interface ModeVerdict {
  mode: MemoryModel;
  verdict: Verdict;
  /** Final states (distinct outcomes) where the condition holds, and where it does not. */
  positive: number;
  negative: number;
  /** States the search visited. */
  states: number;
  /** Final states where a process could never finish. */
  deadlocks: number;
  /** Whether this verdict contradicts the file's Result. */
  contradicts: boolean;
  ms: number;
}

export const varName = (v: Var) => (v.thread === undefined ? v.name : `${v.thread}:${v.name}`);

export function propVars(p: Prop | undefined, out: Var[]): Var[] {
  if (p === undefined) return out;
  if (p.k === "atom") out.push(p.v);
  else if (p.k === "and" || p.k === "or") (propVars(p.a, out), propVars(p.b, out));
  else if (p.k === "not") propVars(p.a, out);
  return out;
}

function holds(p: Prop, values: Map<string, Value>): boolean {
  switch (p.k) {
    case "atom":
      return values.get(varName(p.v)) === p.val;
    case "and":
      return holds(p.a, values) && holds(p.b, values);
    case "or":
      return holds(p.a, values) || holds(p.b, values);
    case "not":
      return !holds(p.a, values);
    case "const":
      return p.v;
  }
}

/** The verdicts LKMM's Result allows a stronger model: Never stays Never, Always stays Always. */
export function contradicts(result: string | undefined, v: Verdict): boolean {
  const r = result?.toLowerCase();
  if (r === "never" || r === "deadlock") return v !== "Never";
  if (r === "always") return v !== "Always";
  return false;
}

/** The locations of a test: declared, initialised, named by a process or by the condition. */
export function locationsOf(f: LitmusFile): { locs: Map<string, Value>; locks: string[] } {
  const locs = new Map<string, Value>();
  const types = new Map<string, string>(f.declared);
  for (const [name] of f.declared) locs.set(name, 0);
  for (const t of f.threads) for (const p of t.params) (locs.set(p.name, locs.get(p.name) ?? 0), types.has(p.name) || types.set(p.name, p.type));
  for (const i of f.init) if (i.v.thread === undefined) locs.set(i.v.name, 0);
  for (const v of [...propVars(f.cond, []), ...propVars(f.filter, []), ...f.locations]) if (v.thread === undefined && !locs.has(v.name)) locs.set(v.name, 0);
  for (const i of f.init) if (typeof i.value === "string" && !locs.has(i.value)) locs.set(i.value, 0);
  for (const i of f.init) if (i.v.thread === undefined) locs.set(i.v.name, i.value);
  const locks = [...types].filter(([, t]) => t.startsWith("spinlock_t")).map(([n]) => n);
  for (const l of locks) locs.delete(l);
  return { locs, locks };
}

/** What a test looks at in a final state: its `locations`, and what its filter and condition name. */
export function observedVars(f: LitmusFile): Var[] {
  const seen = new Set<string>();
  return [...f.locations, ...propVars(f.filter, []), ...propVars(f.cond, [])].filter((v) => !seen.has(varName(v)) && seen.add(varName(v)));
}

/** A test compiled: its locations with their initial values, its locks, each process's instructions and initial registers. */
export function compile(f: LitmusFile) {
  const { locs, locks } = locationsOf(f);
  // A process names the locations it takes as parameters; every other name in it is a register.
  const programs = f.threads.map((t) => compileThread(t, new Set(t.params.map((p) => p.name))));
  const registers = f.threads.map(() => new Map<string, Value>());
  for (const i of f.init) if (i.v.thread !== undefined) registers[i.v.thread]?.set(i.v.name, i.value);
  return { locs, locks, programs, registers };
}

/** Runs a parsed test under each mode. Throws LitmusError for a construct it does not know. */
export function judge(f: LitmusFile, modes: readonly MemoryModel[]): ModeVerdict[] {
  const { locs, locks, programs, registers } = compile(f);
  const observed = observedVars(f);
  return modes.map((mode) => {
    const t0 = performance.now();
    const ex = explore(programs, { locations: locs, registers }, locks, mode, { observed });
    let positive = 0;
    let negative = 0;
    let deadlocks = 0;
    for (const fin of ex.finals as Final[]) {
      if (fin.deadlocked.length > 0) {
        deadlocks++;
        continue;
      }
      if (f.filter !== undefined && !holds(f.filter, fin.values)) continue;
      if (holds(f.cond, fin.values)) positive++;
      else negative++;
    }
    const verdict: Verdict = positive === 0 ? "Never" : negative === 0 ? "Always" : "Sometimes";
    return { mode, verdict, positive, negative, states: ex.states, deadlocks, contradicts: contradicts(f.result, verdict), ms: performance.now() - t0 };
  });
}
