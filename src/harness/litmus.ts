// Litmus tests on the machine: tiny programs, one per CPU, written with the
// kernel API over a few shared words, and every outcome the machine allows
// for them under a memory model, found by visiting every schedule. They
// check the kernel API's ordering against published verdicts. (The `litmus`
// command reads the kernel's own C litmus format: src/litmus/.)
import type { shared_t } from "../kernel/barrier.ts";
import { DEFINE_SHARED } from "../kernel/barrier.ts";
import { installKernel } from "../kernel/lockdep.ts";
import { rcu_init } from "../kernel/rcu.ts";
import type { spinlock_t } from "../kernel/spinlock.ts";
import { DEFINE_SPINLOCK } from "../kernel/spinlock.ts";
import { kthread_run } from "../kernel/sched.ts";
import { currentMachine, setBooting } from "../sim/current.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { Machine } from "../sim/machine.ts";
import type { MemoryModel, Word } from "../sim/memory.ts";
import { memoryEventArg, show } from "../sim/memory.ts";
import type { Gen } from "../sim/step.ts";

export interface LitmusTest {
  name: string;
  /**
   * The shared words and their initial values: a number, or `&name`, a
   * pointer to another of these words (its shared_t).
   */
  locations: Record<string, number | `&${string}`>;
  /** Spinlocks the programs take, made afresh for every schedule. */
  locks?: string[];
  /**
   * Sets RCU up (rcu_init) for programs that use it. The search lets at most
   * `rcu` grace periods start (true: one): a grace period nobody waits for
   * any longer changes nothing another schedule could not do with the
   * memory's own events, and without a bound they would never end.
   */
  rcu?: boolean | number;
  /** Words whose final values (after every buffer has drained) join the outcome, as "x=2". */
  final?: string[];
  /** The CPU of each program (default: program i on cpu i); programs that share a CPU can preempt each other. */
  cpuOf?: number[];
  /** One program per CPU; it reads and writes `x`, and keeps what it read in `regs`. */
  threads: ((x: Record<string, shared_t<any>>, regs: Record<string, Word>, locks: Record<string, spinlock_t>) => Gen)[];
}

/**
 * Sets `test` up on the machine being booted: RCU if it asks, its words
 * (a pointer to the word it names), its locks, and its programs on their
 * CPUs. Returns the words and the registers the programs fill.
 */
export function bootLitmus(test: LitmusTest): { x: Record<string, shared_t<any>>; regs: Record<string, Word> } {
  if (test.rcu) rcu_init();
  const x: Record<string, shared_t<any>> = {};
  for (const name of Object.keys(test.locations)) x[name] = DEFINE_SHARED<Word>(name, 0);
  for (const [name, v] of Object.entries(test.locations)) {
    const target = typeof v === "string" ? x[v.slice(1)] : v;
    if (target === undefined) throw new Error(`litmus ${test.name}: ${name} points to ${v}, which is not one of its locations`);
    currentMachine().memory.initialise(name, target);
  }
  const locks: Record<string, spinlock_t> = {};
  for (const name of test.locks ?? []) locks[name] = DEFINE_SPINLOCK(name);
  const regs: Record<string, Word> = {};
  test.threads.forEach((body, i) => kthread_run(() => body(x, regs, locks), `P${i}`, { cpu: test.cpuOf?.[i] ?? i, pinned: true }));
  return { x, regs };
}

/** The CPUs `test` needs. */
export const litmusCpus = (test: LitmusTest): number => (test.cpuOf === undefined ? test.threads.length : Math.max(...test.cpuOf) + 1);

function start(test: LitmusTest, memory: MemoryModel): { m: Machine; regs: Record<string, Word> } {
  const m = new Machine({ cpus: litmusCpus(test), maxSteps: 10_000, memory });
  installKernel(m, { lockdep: false });
  setBooting(m);
  try {
    return { m, regs: bootLitmus(test).regs };
  } finally {
    setBooting(null);
  }
}

function outcomeOf(test: LitmusTest, m: Machine, regs: Record<string, Word>): string {
  const parts = Object.keys(regs)
    .sort()
    .map((r) => `${r}=${show(regs[r])}`);
  for (const w of test.final ?? []) parts.push(`${w}=${show(m.memory.committed(w))}`);
  return parts.join(" ");
}

/** The same event, field by field (the sleep sets compare at every node of the search). */
function sameEvent(a: ScheduleEvent, b: ScheduleEvent): boolean {
  switch (a.kind) {
    case "step":
      return b.kind === "step" && a.cpu === b.cpu;
    case "irq":
      return b.kind === "irq" && a.cpu === b.cpu && a.line === b.line;
    case "preempt":
      return b.kind === "preempt" && a.cpu === b.cpu && a.to === b.to;
    case "migrate":
      return b.kind === "migrate" && a.thread === b.thread && a.cpu === b.cpu;
    case "env":
      return b.kind === "env" && a.source === b.source && a.arg === b.arg;
  }
}

/** A memory event's CPU and word (a tso flush names no word: its word is whatever is oldest). */
const memoryEvent = (e: ScheduleEvent) => (e.kind === "env" && e.source === "memory" ? memoryEventArg(String(e.arg)) : undefined);

/**
 * Whether two events commute, whatever the state: two invalidations always;
 * an invalidation and a flush, or two flushes of different CPUs, when they
 * touch different words. Anything else (a step reads and writes what it
 * likes) counts as dependent.
 */
function independent(a: ScheduleEvent, b: ScheduleEvent): boolean {
  const x = memoryEvent(a);
  const y = memoryEvent(b);
  if (x === undefined || y === undefined) return false;
  if (x.inv && y.inv) return true;
  if (x.addr === undefined || y.addr === undefined || x.addr === y.addr) return false;
  return x.inv || y.inv || x.cpu !== y.cpu;
}

const isGpStart = (e: ScheduleEvent) => e.kind === "env" && e.source === "rcu" && e.arg === "gp-start";

/**
 * Every outcome (registers, then the `final` words, as "r0=0 r1=1 x=2") of
 * every schedule, with how many of the schedules visited reach it (orders of
 * memory events that commute are visited once). A pointer shows as the
 * name of the word it points to. The search visits every schedule, so keep
 * the programs small: a few steps each, on two or three CPUs.
 */
export function litmusOutcomes(test: LitmusTest, memory: MemoryModel): Map<string, number> {
  const out = new Map<string, number>();
  const maxGps = test.rcu === true ? 1 : test.rcu || 0;
  // Sleep sets (Godefroid): once a subtree has been explored after event e, a
  // sibling's subtree need not take e again until something dependent on e
  // happens. Only memory events are told independent (below).
  // A machine cannot be copied: the first child of a node goes on with its
  // parent's machine, every other child replays its prefix on a fresh one.
  const replay = (prefix: ScheduleEvent[]) => {
    const run = start(test, memory);
    prefix.forEach((e, i) => {
      if (!run.m.apply(e, i)) throw new Error(`litmus ${test.name}: replay diverged at ${i}`);
    });
    return run;
  };
  const visit = (at: { m: Machine; regs: Record<string, Word> }, prefix: ScheduleEvent[], sleep: ScheduleEvent[]) => {
    const { m, regs } = at;
    if (m.failure !== undefined) throw new Error(`litmus ${test.name}: ${m.failure.message}`);
    const programs = m.threads.filter((t) => t.name.startsWith("P"));
    const running = new Set(programs.filter((t) => !t.done).map((t) => t.cpu));
    // Once every program has returned only the order of the stores still
    // buffered matters, and only for the final values asked for; an
    // invalidation matters only to a CPU whose program will read again.
    const next = m.enabledEvents().filter((e) => {
      if (e.kind !== "env") return true;
      const mem = memoryEvent(e);
      if (running.size === 0) return mem !== undefined && !mem.inv && (test.final?.length ?? 0) > 0;
      if (mem?.inv) return running.has(mem.cpu);
      return true;
    });
    if (next.length === 0) {
      const stuck = programs.filter((t) => !t.done);
      if (stuck.length > 0) throw new Error(`litmus ${test.name}: no event can happen, yet ${stuck.map((t) => t.name).join(", ")} has not finished`);
      m.memory.mb(0); // every buffer drains in some order; the order was chosen above when it mattered
      for (let c = 1; c < m.cpus.length; c++) m.memory.mb(c);
      const o = outcomeOf(test, m, regs);
      out.set(o, (out.get(o) ?? 0) + 1);
      return;
    }
    const gps = prefix.filter(isGpStart).length;
    const done: ScheduleEvent[] = [];
    let first = true;
    for (const e of next) {
      if (isGpStart(e) && gps >= maxGps) continue;
      if (sleep.some((s) => sameEvent(s, e))) continue;
      const child = first ? at : replay(prefix);
      first = false;
      if (!child.m.apply(e, prefix.length)) throw new Error(`litmus ${test.name}: replay diverged at ${prefix.length}`);
      visit(child, [...prefix, e], [...sleep, ...done].filter((s) => independent(s, e)));
      done.push(e);
    }
  };
  visit(start(test, memory), [], []);
  return out;
}
