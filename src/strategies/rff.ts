// Reads-from guided search, after RFF ("Greybox Fuzzing for Concurrency
// Testing", Wolff, Shi, Mathur and Roychoudhury, ASPLOS 2024). The machine
// says what every event touched (src/sim/footprint.ts): which store each
// load of a memory word read, when a buffered store reached memory, when a
// CPU dropped a stale copy, and which spinlocks a step took. A run's
// feedback is its set of reads-from pairs: "T1's 4th step read x from T0's
// 2nd step", and, for a lock, "T1's 3rd step took pool_lock after T0's 7th
// step had it". A run that shows a pair never seen, or a set of pairs never
// seen together (a new reads-from class), is kept in a corpus.
//
// A new run either draws a fresh workload and walks at random, or takes a
// kept run and turns one of its pairs the other way while asking for the
// others again, as RFF's mutations of an abstract schedule do: the load
// before the store, before the store reaches memory, or before the
// invalidation that let it see the store; or a later store (and its arrival
// in memory) before the load. Asks are orderings between events, named so
// that they mean the same in the next run: a context's n-th step, the
// arrival of the store a step made, a CPU's k-th invalidation of a word.
// The random walk keeps them where it can; an ask never stalls a run.
// Kept runs whose pairs or class are rare are taken more often, as the
// paper's power schedule does.
//
// What the machine cannot see (a model's plain fields) gives no pairs: on
// such a model only lock handoffs steer the search, and with no locks it
// is a random walk over fresh workloads.
import seedrandom from "seedrandom";
import type { ScheduleEvent } from "../sim/events.ts";
import type { Machine } from "../sim/machine.ts";
import { memoryEventArg } from "../sim/memory.ts";
import type { Scheduler, StrategyDef } from "./scheduler.ts";
import { classKey, lockKey, readsFromKey } from "./coverage.ts";

/** An event of a run, by a name that means the same in the next run: "T1@4" (T1's 4th step, from 0), "commit:T0@2", "inv:cpu1:x#0". */
type EventId = string;

/** `after` may not happen until `before` has. */
interface Ask {
  readonly before: EventId;
  readonly after: EventId;
}

/** One reads-from pair of a run: the step that read, the step whose store (or lock) it saw, and the asks that keep it or turn it. */
interface Pair {
  readonly key: string;
  /** Asks under which the load sees this store again. */
  readonly keep: readonly Ask[];
  /** Asks each of which makes the load miss it. */
  readonly turn: readonly Ask[];
}

/**
 * A pair as the run saw it, its asks made only if the run is kept (most are
 * not): a load that read `from` ("init": no step's store), or a lock `me`
 * took after `from` had it.
 */
interface SeenPair {
  readonly key: string;
  readonly me: EventId;
  readonly from: EventId;
  readonly lock: boolean;
  /** A load's: whether stores are buffered, and the CPU's last invalidation of the word before it. */
  readonly buffering: boolean;
  readonly inv: EventId | undefined;
}

/** The asks that keep a pair and those that turn it. */
function asksOf(p: SeenPair): Pair {
  const { key, me, from } = p;
  if (p.lock) return { key, keep: [{ before: from, after: me }], turn: [{ before: me, after: from }] };
  if (from === "init") return { key, keep: [], turn: [] };
  return {
    key,
    keep: p.buffering ? [{ before: `commit:${from}`, after: me }] : [{ before: from, after: me }],
    turn: [{ before: me, after: from }, ...(p.buffering ? [{ before: me, after: `commit:${from}` }] : []), ...(p.inv === undefined ? [] : [{ before: me, after: p.inv }])],
  };
}

interface Kept {
  readonly workload: number;
  readonly key: string;
  readonly pairs: readonly Pair[];
  /** Later stores to a word a load read, by another context, that it could read instead. */
  readonly later: readonly Ask[];
  taken: number;
  /** Its rarest pair or class when last looked at, and how often that was seen then. */
  rarest?: { readonly key: string; readonly count: number };
  /** Every ask that turns one of its pairs (pair -1: a later store), in order; made when first mutated. */
  turns?: readonly { pair: number; ask: Ask }[];
}

/** Share of runs that start afresh (a new workload, no asks) once the corpus has runs in it. */
const FRESH = 0.25;
/** How likely the walk moves a thread to another CPU, against any other event. */
const MOVE_WEIGHT = 0.1;
/** Pairs and classes counted at most (past it, only those already counted are). */
const SEEN = 200_000;
/** Runs kept at most; the most taken of the older half makes room. */
const CORPUS = 500;

/** What the run under way has seen and done. */
class RunLog {
  readonly done = new Set<EventId>(); // in the order they happened
  readonly steps = new Map<string, number>(); // context -> steps taken
  readonly storeStep = new Map<string, EventId>(); // the machine's store id -> the step that made it
  readonly buffered: { cpu: number; addr: string; id: string }[] = []; // stores not yet in memory, oldest first
  readonly invs = new Map<string, number>(); // "cpu1:x" -> invalidations applied
  readonly lastInv = new Map<string, EventId>();
  readonly lastLock = new Map<string, EventId>();
  readonly pairs: SeenPair[] = [];
  readonly loads: { id: EventId; ctx: string; addr: string }[] = [];
  readonly stores: { id: EventId; ctx: string; addr: string }[] = [];
}

const contextOfStep = (id: EventId) => id.slice(0, id.lastIndexOf("@"));

/** The id the event will have once it happens, if it is one asks can name. */
function idOf(m: Machine, log: RunLog, e: ScheduleEvent): EventId | undefined {
  if (e.kind === "step") {
    const ctx = m.cpus[e.cpu]!.stepper();
    return ctx === undefined ? undefined : `${ctx.name}@${log.steps.get(ctx.name) ?? 0}`;
  }
  if (e.kind !== "env" || e.source !== m.memory.name) return undefined;
  const arg = String(e.arg);
  const { inv, cpu, addr } = memoryEventArg(arg);
  if (inv) return `${arg}#${log.invs.get(arg.slice(4)) ?? 0}`;
  // A flush: the oldest buffered store of that CPU (to that word, unless tso).
  const b = log.buffered.find((s) => s.cpu === cpu && (addr === undefined || s.addr === addr));
  const step = b === undefined ? undefined : log.storeStep.get(b.id);
  return step === undefined ? undefined : `commit:${step}`;
}

/** The step whose store the machine's store id names ("init" for a value no step stored). */
const fromStep = (log: RunLog, store: string): EventId => (store === "init" ? "init" : (log.storeStep.get(store) ?? "init"));

/** Step `me` of `ctx`, on `cpu`, read `addr` from `from`: a pair, with the asks that keep it and those that turn it. */
function readFrom(log: RunLog, me: EventId, ctx: string, cpu: number, addr: string, from: EventId, buffering: boolean): void {
  if (from.startsWith(`${ctx}@`)) return; // one's own store is no communication
  // Known by the context that read and the store it saw, not by which of its steps it was: a poll that reads
  // the same store again is nothing new.
  const key = readsFromKey(ctx, addr, from);
  log.pairs.push({ key, me, from, lock: false, buffering, inv: from === "init" ? undefined : log.lastInv.get(`cpu${cpu}:${addr}`) });
}

/** Takes in what the event just performed touched; `id` is its name, if it has one. */
function absorb(m: Machine, log: RunLog, e: ScheduleEvent, id: EventId | undefined): void {
  if (id !== undefined) log.done.add(id);
  if (e.kind === "step" && id !== undefined) {
    const ctx = contextOfStep(id);
    log.steps.set(ctx, (log.steps.get(ctx) ?? 0) + 1);
  }
  const fp = m.footprint();
  if (fp === undefined) return;
  if (fp.accesses.length === 0) return;
  const me = e.kind === "step" ? id : undefined;
  const ctx = me === undefined ? undefined : contextOfStep(me);
  const buffering = m.memory.model !== "sc";
  for (const a of fp.accesses) {
    switch (a.kind) {
      case "load":
        if (me !== undefined) readFrom(log, me, ctx!, fp.cpu, a.addr, fromStep(log, a.from), buffering);
        if (me !== undefined) log.loads.push({ id: me, ctx: ctx!, addr: a.addr });
        break;
      case "rmw":
        if (me !== undefined) readFrom(log, me, ctx!, fp.cpu, a.addr, fromStep(log, a.from), buffering);
        if (me !== undefined) {
          log.loads.push({ id: me, ctx: ctx!, addr: a.addr });
          if (a.id !== undefined) log.storeStep.set(a.id, me), log.stores.push({ id: me, ctx: ctx!, addr: a.addr });
        }
        break;
      case "store":
        if (me !== undefined) log.storeStep.set(a.id, me), log.stores.push({ id: me, ctx: ctx!, addr: a.addr });
        if (buffering) log.buffered.push({ cpu: fp.cpu, addr: a.addr, id: a.id });
        break;
      case "commit": {
        const i = log.buffered.findIndex((b) => b.id === a.id);
        if (i >= 0) log.buffered.splice(i, 1);
        const step = log.storeStep.get(a.id);
        if (step !== undefined) log.done.add(`commit:${step}`);
        break;
      }
      case "inv": {
        const key = `cpu${fp.cpu}:${a.addr}`;
        const k = log.invs.get(key) ?? 0;
        log.invs.set(key, k + 1);
        log.lastInv.set(key, `inv:${key}#${k}`);
        break;
      }
      case "lock": {
        if (me === undefined) break;
        const prev = log.lastLock.get(a.lock);
        if (prev !== undefined && !prev.startsWith(`${ctx}@`))
          log.pairs.push({ key: lockKey(ctx!, a.lock, contextOfStep(prev)), me, from: prev, lock: true, buffering: false, inv: undefined });
        log.lastLock.set(a.lock, me);
        break;
      }
    }
  }
}

/** Whether `e` switches a thread off one of the `holding` CPUs (a module function: asked at every step). */
function switchesAway(e: ScheduleEvent, holding: ReadonlySet<number>, m: Machine): boolean {
  return (
    holding.size > 0 &&
    ((e.kind === "preempt" && holding.has(e.cpu)) ||
      (e.kind === "migrate" && holding.has(m.thread(e.thread)?.cpu ?? -1)) ||
      (e.kind === "step" && holding.has(e.cpu) && m.cpus[e.cpu]!.top() === null))
  );
}

/** At the end of a run: a later store to a word a load read, by another context, could have been read instead. */
function laterStores(log: RunLog): Ask[] {
  const position = new Map([...log.done].map((id, i) => [id, i]));
  const out: Ask[] = [];
  for (const l of log.loads)
    for (const s of log.stores)
      if (s.addr === l.addr && s.ctx !== l.ctx && (position.get(s.id) ?? -1) > (position.get(l.id) ?? Infinity))
        out.push(position.has(`commit:${s.id}`) ? { before: `commit:${s.id}`, after: l.id } : { before: s.id, after: l.id });
  return out;
}

export const rff: StrategyDef = {
  name: "rff",
  description: "reads-from guided search (after RFF): runs that show a new reads-from pair or class are kept, and mutated by turning one of their pairs the other way",
  options: [],
  create({ seed }): Scheduler {
    const rng = seedrandom(`rff:${seed}`);
    const seen = new Map<string, number>(); // pair, or a run's whole set of pairs -> runs that saw it
    const corpus: Kept[] = [];
    let fresh = 0; // the next fresh workload's index
    const stats = { runs: 0, kept: 0, held: 0, broken: 0 };

    let workload = 0;
    let asks = new Map<EventId, EventId[]>(); // after -> what must happen before it
    let log = new RunLog();
    let recording = false; // this run's machine keeps footprints
    let last: { e: ScheduleEvent; id: EventId | undefined } | undefined;

    /**
     * The walk: any event, a move between CPUs a tenth as likely as any
     * other (moving a thread flushes its CPU's store buffer and would undo
     * most asks about memory; PCT, too, moves threads only now and then).
     */
    const choose = (from: readonly ScheduleEvent[]): number => {
      let total = 0;
      for (const e of from) total += e.kind === "migrate" ? MOVE_WEIGHT : 1;
      let r = rng() * total;
      for (let i = 0; i < from.length; i++) if ((r -= from[i]!.kind === "migrate" ? MOVE_WEIGHT : 1) < 0) return i;
      return from.length - 1;
    };

    /** Whether the event may happen now, keeping every ask. */
    const allowed = (id: EventId | undefined) => id === undefined || (asks.get(id)?.every((b) => log.done.has(b)) ?? true);

    /**
     * 1 / how often a kept run's rarest pair or class was seen. Counts only
     * grow, so while the one that was rarest is seen no more often, it still
     * is: the pairs are walked again only when it has been.
     */
    const rarityOf = (k: Kept): number => {
      const r = k.rarest;
      if (r !== undefined && (seen.get(r.key) ?? 1) === r.count) return 1 / r.count;
      let key = k.key;
      let count = seen.get(k.key) ?? 1;
      for (const p of k.pairs) {
        const c = seen.get(p.key) ?? 1;
        if (c < count) (key = p.key), (count = c);
      }
      k.rarest = { key, count };
      return 1 / count;
    };

    /** A kept run to mutate: the rarer its rarest pair or its class, the likelier; the oftener taken, the less. */
    let rarity: number[] = []; // per kept run, its rarest pair's or class's 1/count; brought up to date every few runs
    const pick = (): Kept => {
      if (rarity.length !== corpus.length || stats.runs % 32 === 0) rarity = corpus.map(rarityOf);
      const weight = (i: number) => rarity[i]! / (1 + corpus[i]!.taken);
      let total = 0;
      for (let i = 0; i < corpus.length; i++) total += weight(i);
      let x = rng() * total;
      for (let i = 0; i < corpus.length; i++) if ((x -= weight(i)) <= 0) return corpus[i]!;
      return corpus[corpus.length - 1]!;
    };

    /** The kept run's other pairs asked for again, and one turned the other way (or a later store read instead). */
    const mutate = (k: Kept): Map<EventId, EventId[]> => {
      const turns = (k.turns ??= [...k.pairs.flatMap((p, i) => p.turn.map((ask) => ({ pair: i, ask }))), ...k.later.map((ask) => ({ pair: -1, ask }))]);
      const out = new Map<EventId, EventId[]>();
      const add = (a: Ask) => out.set(a.after, [...(out.get(a.after) ?? []), a.before]);
      if (turns.length === 0) return out;
      const t = turns[Math.floor(rng() * turns.length)]!;
      const turned = (a: Ask) => a.after === t.ask.after || a.after === t.ask.before || a.before === t.ask.after;
      k.pairs.forEach((p, i) => {
        if (i !== t.pair) for (const a of p.keep) if (!turned(a)) add(a);
      });
      add(t.ask);
      return out;
    };

    return {
      newRun() {
        stats.runs++;
        if (corpus.length === 0 || rng() < FRESH) {
          workload = fresh++;
          asks = new Map();
        } else {
          const k = pick();
          k.taken++;
          workload = k.workload;
          asks = mutate(k);
        }
        log = new RunLog();
        recording = false;
        last = undefined;
        return { workload };
      },
      next(enabled, m) {
        if (!recording) {
          recording = true;
          m.recordFootprints();
        }
        if (last !== undefined) absorb(m, log, last.e, last.id);
        last = undefined;
        if (enabled.length === 0) return undefined;
        // With nothing asked, only the event taken needs its name.
        if (asks.size === 0) {
          const e = enabled[choose(enabled)]!;
          last = { e, id: idOf(m, log, e) };
          return e;
        }
        const named = enabled.map((e) => ({ e, id: idOf(m, log, e) }));
        // A CPU holding a store whose arrival in memory must wait is not switched (a context switch flushes its buffer).
        const holding = new Set<number>();
        for (const b of log.buffered) {
          const step = log.storeStep.get(b.id);
          if (step !== undefined && !allowed(`commit:${step}`)) holding.add(b.cpu);
        }
        const ok = named.filter((x) => allowed(x.id) && !switchesAway(x.e, holding, m));
        if (ok.length < named.length) stats.held++;
        // An ask that would stall the run gives way: so do asks that leave only moves between CPUs.
        const stalls = ok.every((x) => x.e.kind === "migrate");
        if (stalls) stats.broken++;
        const from = stalls ? named : ok;
        last = from[choose(from.map((x) => x.e))]!;
        return last.e;
      },
      endRun() {
        // The last event's footprint is not looked at: the run failed there, or the drain went on past it.
        if (log.pairs.length === 0) return;
        // New if it shows a pair never seen, or a set of pairs never seen together (a class, kept as a hash).
        const pairs = [...new Map(log.pairs.map((p) => [p.key, p])).values()].sort((a, b) => (a.key < b.key ? -1 : 1));
        const key = classKey(pairs.map((p) => p.key));
        const count = (k: string) => {
          const n = seen.get(k) ?? 0;
          if (n > 0 || seen.size < SEEN) seen.set(k, n + 1);
          return n;
        };
        let novel = count(key) === 0;
        for (const p of pairs) if (count(p.key) === 0) novel = true;
        if (!novel) return;
        stats.kept++;
        corpus.push({ workload, key, pairs: pairs.map(asksOf), later: laterStores(log), taken: 0 });
        if (corpus.length > CORPUS) {
          let worst = 0;
          for (let i = 1; i < CORPUS / 2; i++) if (corpus[i]!.taken > corpus[worst]!.taken) worst = i;
          corpus.splice(worst, 1);
          rarity = [];
        }
      },
      report: () => ({ runs: stats.runs, kept: stats.kept, corpus: corpus.length, seen: seen.size, asksHeld: stats.held, asksBroken: stats.broken }),
    };
  },
};
