// Sleep sets for exhaustive search, made safe under a bound: a choice that
// leads where another schedule has gone (or will go) at no greater cost is
// not tried, and a run that comes where another came first leaves the
// choices from there to it.
//
// Why no failure within the bound is missed:
//
// 1. Traces. Two runs of the same events in which every dependent pair
//    (independence.ts) comes in the same order reach the same machine: each
//    event reads what the same stores wrote, so it does the same thing, and
//    the order of what they write is fixed by the dependent pairs. A prefix
//    is named by its trace: per event, its vector clock over the events it
//    depends on, hashed (two 32-bit lanes, summed, so that the order of
//    independent events does not count). An opaque event depends on every
//    other, so it stands in the same place in both.
// 2. Nodes. What can follow a prefix, and what each choice costs, depends
//    only on the machine and on the CPU the default looks at first (the one
//    that last stepped); so a node is a trace and that CPU. An idle CPU (no
//    context, nothing pending) that nothing but its own step, interrupt or
//    preemption can give work (every thread bound, no environment but
//    memory's) is never looked at first until such an event names a CPU
//    anew: all idle ones are one. What a schedule may still do depends only
//    on its node and its cost so far; the event cap too (equal traces are
//    equally long).
// 3. The sleep set. The footprint of an event not yet run at node m is
//    known when it ran at a node of the same trace (determinism), or was
//    known at m's parent and the event run there is independent of it (that
//    event changed nothing the sleeper reads, nor its CPU). So an event
//    explored before stays asleep, its footprint known, until a dependent
//    one runs, as in Godefroid's sleep sets, and its node can be named.
// 4. The bound. Plain sleep sets are unsound under a bound (Coons, Musuvathi
//    and McKinley, "Bounded partial-order reduction", OOPSLA 2013): the
//    other order that stands for a pruned schedule may cost more. So each
//    node notes the lowest cost it was reached at, and by which plan; a plan
//    notes its first node when queued. A choice is left out only when its
//    node was reached at no greater cost; a run stops choosing (and noting)
//    from the first node another plan reached first at no greater cost. The
//    plan that noted a node chooses at it and after it, or hands over in
//    the same way, to one that came earlier: by induction on length, every
//    node of cost <= K has an equal node at no greater cost where a tried
//    schedule chose (extend both by one event: it costs the same at both;
//    the equal node + that event is the default's next move, a plan queued,
//    or a node reached at no greater cost). Every failure is a property of
//    the machine a node reaches, so every one within the bound is found.
//
// Nothing is recorded unless the model says it shares only memory
// (shared_state_in_memory_only()); elsewhere the search is exactly what it
// was. (Memory's own events are transparent in any model, but next to
// opaque steps they rarely commute: on virtio-evtchn under pso nothing was
// pruned, at twice to four times the time.)
import type { ScheduleEvent } from "../sim/events.ts";
import type { Footprint } from "../sim/footprint.ts";
import type { Machine } from "../sim/machine.ts";
import { defaultCpuAfter } from "../sim/machine.ts";
import { dependent } from "./independence.ts";
import { contextOf } from "./scheduler.ts";

/** An event of the run so far: its kind of choice, which of those it is (from 1), what it touched, its vector clock. */
interface Done {
  readonly label: number;
  readonly nth: number;
  readonly fp: Footprint;
  readonly clock: number[];
}

/** A trace the search has reached, in any order. */
interface Node {
  /** Per CPU the default looks at first (slot()): the lowest cost it was reached at (or will be, by a plan queued), and by which plan. */
  readonly costs: number[];
  readonly by: number[];
  /** Events run from it, with what they touched: the same wherever the trace is reached. */
  readonly ran: Map<number, Footprint>;
}

/** Where a choice was queued whose footprint was not known yet: enough to name its node once it is (Reduction.stillNeeded). */
export interface Ticket {
  readonly from: Node;
  readonly label: number;
  readonly cost: number;
  readonly done: readonly Done[];
  readonly length: number;
  readonly lanes: readonly [number, number];
  readonly cpu: number;
  readonly idle: boolean;
}

export class Reduction {
  /** Choices not tried: each leads to a node reached at no greater cost. */
  slept = 0;
  private readonly labels = new Map<string, number>();
  private readonly nodes = new Map<string, Node>();
  /** For a step's footprint: whether its CPU was idle after it (it is, wherever the step is the same). */
  private readonly leavesIdle = new WeakMap<Footprint, boolean>();
  // The run under way.
  private workload = 0;
  private plan = 0;
  /** The first node at which the run chooses (after its plan's last choice). */
  private firstChoice = 0;
  private done: Done[] = [];
  private lane1 = 0;
  private lane2 = 0;
  private lastCpu = 0;
  private lastIdle = false;
  private cost = 0;
  /** The sleep set: events whose footprint here is known. */
  private readonly known = new Map<number, Footprint>();
  private here: Node = { costs: [], by: [], ran: new Map() };
  /** The run has come where another plan came first at no greater cost. */
  private handedOver = false;

  /** A run on `m` of `workload` starts, following plan number `plan`, whose choices end before node `firstChoice`. */
  startRun(workload: number, plan: number, firstChoice: number, m: Machine): void {
    this.workload = workload;
    this.plan = plan;
    this.firstChoice = firstChoice;
    this.done = [];
    this.lane1 = this.lane2 = 0;
    this.lastCpu = 0; // a new machine's default looks at cpu0 first
    this.lastIdle = idle(m, 0);
    this.cost = 0;
    this.known.clear();
    this.handedOver = false;
    this.arrive();
  }

  /** The event just performed on `m`, and what it cost (0 for the default's). */
  performed(e: ScheduleEvent, m: Machine, cost: number): void {
    const fp = m.footprint()!;
    const label = this.labelOf(e);
    this.here.ran.set(label, fp);
    const clock = clockOf(label, fp, this.done, this.done.length, this.labels.size);
    const [a, b] = hashEntry(label, clock);
    this.done.push({ label, nth: clock[label]!, fp, clock });
    this.lane1 = (this.lane1 + a) >>> 0;
    this.lane2 = (this.lane2 + b) >>> 0;
    // A sleeper stays asleep past an independent event; one that depends on it wakes (is forgotten).
    for (const [l, f] of this.known) if (l === label || dependent(f, fp)) this.known.delete(l);
    this.cost += cost;
    this.lastCpu = defaultCpuAfter(e, this.lastCpu);
    this.lastIdle = idle(m, this.lastCpu);
    if (e.kind === "step") this.leavesIdle.set(fp, this.lastIdle);
    this.arrive();
  }

  /** Whether the run has come where another plan came first at no greater cost: the choices from here are that plan's. */
  get elsewhere(): boolean {
    return this.handedOver;
  }

  /**
   * Whether choosing `e` here, making the schedule cost `cost`, can be left
   * out: its footprint is known and its node was reached at no greater
   * cost. If not, the node is noted for `plan`, which the caller queues;
   * if its footprint is not known yet, a ticket to ask again before the
   * plan runs (stillNeeded()).
   */
  covered(e: ScheduleEvent, cost: number, plan: number): boolean | Ticket {
    const label = this.labelOf(e);
    const fp = this.known.get(label);
    const cpu = defaultCpuAfter(e, this.lastCpu);
    const ticket: Ticket = { from: this.here, label, cost, done: this.done, length: this.done.length, lanes: [this.lane1, this.lane2], cpu, idle: this.lastIdle };
    return fp === undefined ? ticket : this.reached(ticket, e.kind, fp, plan);
  }

  /** Before a plan queued with a ticket runs: whether it must (its node is unknown, or not reached at no greater cost). */
  stillNeeded(t: Ticket, kind: ScheduleEvent["kind"], plan: number): boolean {
    const fp = t.from.ran.get(t.label);
    return fp === undefined || !this.reached(t, kind, fp, plan);
  }

  /** Whether the node of the choice `t` with footprint `fp` was reached at no greater cost; if not, it is noted for `plan`. */
  private reached(t: Ticket, kind: ScheduleEvent["kind"], fp: Footprint, plan: number): boolean {
    const [a, b] = hashEntry(t.label, clockOf(t.label, fp, t.done, t.length, this.labels.size));
    const node = this.node((t.lanes[0] + a) >>> 0, (t.lanes[1] + b) >>> 0);
    // A memory event moves no context; a transparent step gives no other CPU work.
    const idleAfter = !fp.opaque && (kind === "step" ? this.leavesIdle.get(fp) === true : kind === "env" && t.idle);
    const at = slot(t.cpu, idleAfter);
    if ((node.costs[at] ?? Infinity) <= t.cost) {
      this.slept++;
      return true;
    }
    node.costs[at] = t.cost;
    node.by[at] = plan;
    return false;
  }

  /** The cost of the prefix run so far (a check on the caller's count). */
  get costSoFar(): number {
    return this.cost;
  }

  /** At a new node: note it, unless the run has handed over; and wake what is known to run from here. */
  private arrive(): void {
    this.here = this.node(this.lane1, this.lane2);
    for (const [l, f] of this.here.ran) this.known.set(l, f);
    if (this.handedOver) return;
    const at = slot(this.lastCpu, this.lastIdle);
    const had = this.here.costs[at] ?? Infinity;
    if (this.done.length >= this.firstChoice && had <= this.cost && this.here.by[at] !== this.plan) this.handedOver = true;
    else if (had > this.cost) {
      this.here.costs[at] = this.cost;
      this.here.by[at] = this.plan;
    }
  }

  private node(lane1: number, lane2: number): Node {
    const key = `${this.workload}:${lane1}:${lane2}`;
    let n = this.nodes.get(key);
    if (n === undefined) this.nodes.set(key, (n = { costs: [], by: [], ran: new Map() }));
    return n;
  }

  private labelOf(e: ScheduleEvent): number {
    const name = contextOf(e);
    let l = this.labels.get(name);
    if (l === undefined) this.labels.set(name, (l = this.labels.size));
    return l;
  }

}

/** The vector clock of an event with footprint `fp` performed after the first `n` of `done`: its own count, and every event it depends on, with theirs. */
function clockOf(label: number, fp: Footprint, done: readonly Done[], n: number, labels: number): number[] {
  const clock = new Array<number>(labels).fill(0);
  let nth = 0;
  for (let i = n - 1; i >= 0; i--) {
    const w = done[i]!;
    if (nth === 0 && w.label === label) nth = w.nth;
    if (clock[w.label]! >= w.nth || !dependent(w.fp, fp)) continue;
    for (let j = 0; j < w.clock.length; j++) if (w.clock[j]! > clock[j]!) clock[j] = w.clock[j]!;
  }
  clock[label] = nth + 1;
  return clock;
}

/** Where a node keeps its cost: by the CPU the default looks at first, or one slot for every idle one (idle()). */
const slot = (cpu: number, idleCpu: boolean) => (idleCpu ? 0 : cpu + 1);

/**
 * Whether `cpu` has nothing to run or deliver, and only an event that names
 * it (a step, an interrupt, a preemption) could change that: every thread is
 * bound to its CPU and no environment source but memory's has events.
 */
function idle(m: Machine, cpu: number): boolean {
  const c = m.cpus[cpu]!;
  if (!c.online || c.current !== null || c.runqueue.length > 0 || c.irqStack.length > 0 || c.pending.size > 0) return false;
  for (const s of m.envSources) if (s !== m.memory) return false;
  for (const t of m.threads) if (!t.done && !t.pinned) return false;
  return true;
}

/** Two independent 32-bit hashes of (label, clock), trailing zeros left out (a clock grows with the labels seen). */
function hashEntry(label: number, clock: readonly number[]): [number, number] {
  let end = clock.length;
  while (end > 0 && clock[end - 1] === 0) end--;
  let h1 = mix(0x9e3779b9, label);
  let h2 = mix(0x85ebca6b, label ^ 0x5bd1e995);
  for (let i = 0; i < end; i++) {
    h1 = mix(h1, clock[i]!);
    h2 = mix(h2, clock[i]! ^ 0x5bd1e995);
  }
  return [fmix(h1 ^ end), fmix(h2 ^ end)];
}

// MurmurHash3's mixing steps (32-bit).
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
