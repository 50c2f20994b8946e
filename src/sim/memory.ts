// Shared memory words and the order in which stores become visible.
//
// sc:   every store is visible to every CPU at once.
// tso:  each CPU has a FIFO store buffer (x86): a store waits there until the
//       schedule flushes the oldest entry; the CPU reads its own buffered
//       stores first. Loads are never reordered.
// pso:  as tso, but stores to different addresses leave the buffer in any
//       order (SPARC PSO, or x86 write-combining mappings such as a PCIe BAR
//       mapped WC); stores to one address stay in order. smp_wmb() puts a
//       fence in the buffer that later stores cannot pass.
// weak: as pso, and loads may be satisfied out of order too: every CPU keeps
//       an invalidation queue (McKenney, "Memory Barriers: a Hardware View
//       for Software Hackers"). When a store reaches memory, each other CPU
//       may go on reading the old value from its cache until the schedule
//       lets that CPU apply the invalidation (`env memory inv:cpuN:ADDR`).
//       Invalidations are applied in any order; smp_rmb(), an acquire and
//       a full barrier apply all of the CPU's pending ones at once.
//
// Memory itself is one: a store that has left its buffer is visible to every
// CPU that has no invalidation pending for it, so every mode is multi-copy
// atomic, and a load never reads a value from a store not yet made, so no
// mode reorders a load with a later store. docs/memory-model.md says where
// the modes stand against the Linux kernel memory model.
import type { EnvEvent } from "./events.ts";
import { NO_ENV_EVENTS } from "./events.ts";
import type { Footprint, StoreId } from "./footprint.ts";

export const MEMORY_MODELS = ["sc", "tso", "pso", "weak"] as const;
export type MemoryModel = (typeof MEMORY_MODELS)[number];

export function isMemoryModel(v: unknown): v is MemoryModel {
  return typeof v === "string" && (MEMORY_MODELS as readonly string[]).includes(v);
}

/** What a word holds: a number, or a pointer (an object, or null). */
export type Word = unknown;

/** A buffered store; `by` names it while footprints are recorded. */
type Entry = { addr: string; value: Word; seq: number; by?: StoreId } | { fence: true };

/** How an atomic read-modify-write orders the accesses around it (Documentation/atomic_t.txt). */
export type RmwOrder = "relaxed" | "acquire" | "release" | "mb";

/**
 * What a memory event says (its `arg`): an invalidation (`inv:cpu1:x`) or a
 * flush (`cpu0:x`; under tso `cpu0`, the oldest store, whatever its word),
 * of which CPU and word.
 */
export function memoryEventArg(arg: string): MemoryEventArg {
  let parsed = parsedArgs.get(arg);
  if (parsed === undefined) {
    if (parsedArgs.size >= 4096) parsedArgs.clear(); // a model that makes up new words as it goes keeps no more than this
    const parts = arg.split(":");
    const inv = parts[0] === "inv";
    const at = inv ? 1 : 0;
    parsedArgs.set(arg, (parsed = Object.freeze({ inv, cpu: Number(parts[at]!.slice(3)), addr: parts[at + 1] })));
  }
  return parsed;
}

export type MemoryEventArg = Readonly<{ inv: boolean; cpu: number; addr: string | undefined }>;

/** Each argument parsed once: the same few come back at every step of a search over memory events. */
const parsedArgs = new Map<string, MemoryEventArg>();

/** A point in one CPU's stream of stores: everything it stored up to there. */
export interface StoreMark {
  readonly cpu: number;
  readonly seq: number;
}

/** A named piece of memory that belongs to one host and may be mapped by others. */
export interface Region {
  readonly name: string;
  readonly host: string;
  readonly mappedBy: readonly string[];
}

export class Memory {
  readonly name = "memory";
  private words = new Map<string, Word>();
  private regionOf = new Map<string, Region>();
  private buffers: Entry[][];
  /** Stores issued so far, per CPU (their sequence numbers). */
  private issued: number[];
  /**
   * weak: per CPU, the words it may still read stale, with the value its
   * cache holds (the oldest not yet invalidated), in arrival order.
   */
  private stale: Map<string, Word>[];
  /**
   * The footprint of the event under way while the machine records them
   * (Machine.recordFootprints); null otherwise, and then nothing below
   * records or allocates anything.
   */
  log: Footprint | null = null;
  /** While recording: who made each value in memory (absent: its initial value), each stale copy, and how many stores each CPU made. */
  private made: { memory: Map<string, StoreId>; stale: Map<string, StoreId>[]; stores: number[] } | undefined;

  constructor(
    readonly model: MemoryModel,
    cpus: number,
  ) {
    // Plain loops: a hunt makes a machine, and its memory, every run.
    this.buffers = [];
    this.issued = [];
    this.stale = [];
    for (let c = 0; c < cpus; c++) {
      this.buffers.push([]);
      this.issued.push(0);
      this.stale.push(new Map());
    }
  }

  /** Declares a word with its initial value (visible to all). */
  declare(addr: string, initial: Word, region?: Region): void {
    if (this.words.has(addr)) throw new Error(`memory word '${addr}' declared twice`);
    if (addr.includes(":")) throw new Error(`memory word '${addr}': a name may not contain ':'`);
    this.words.set(addr, initial);
    if (region !== undefined) this.regionOf.set(addr, region);
  }

  region(addr: string): Region | undefined {
    return this.regionOf.get(addr);
  }

  /** From now on, every store is named ("cpu1#3") so that a load's footprint says which one it read. */
  nameStores(): void {
    const n = this.buffers.length;
    this.made ??= { memory: new Map(), stale: new Array(n).fill(null).map(() => new Map()), stores: new Array<number>(n).fill(0) };
  }

  /** Whether the word is declared. */
  has(addr: string): boolean {
    return this.words.has(addr);
  }

  /** What `cpu` reads: its own newest buffered store to `addr`, else its stale copy, else memory. */
  load(cpu: number, addr: string): Word {
    const buf = this.buffers[cpu]!;
    for (let i = buf.length - 1; i >= 0; i--) {
      const e = buf[i]!;
      if ("addr" in e && e.addr === addr) {
        if (this.log !== null) this.log.accesses.push({ kind: "load", addr, from: e.by ?? "init" });
        return e.value;
      }
    }
    const stale = this.stale[cpu]!;
    if (stale.size > 0 && stale.has(addr)) {
      if (this.log !== null) this.log.accesses.push({ kind: "load", addr, from: this.made?.stale[cpu]!.get(addr) ?? "init" });
      return stale.get(addr);
    }
    const v = this.committed(addr);
    if (this.log !== null) this.log.accesses.push({ kind: "load", addr, from: this.madeBy(addr) });
    return v;
  }

  /** Which store the value in memory comes from (while stores are named). */
  private madeBy(addr: string): StoreId {
    return this.made?.memory.get(addr) ?? "init";
  }

  /** A name for the next store of `cpu`, while stores are named. */
  private nextStore(cpu: number): StoreId | undefined {
    return this.made === undefined ? undefined : `cpu${cpu}#${++this.made.stores[cpu]!}`;
  }

  /**
   * A load whose address depends on an earlier load (`*r0`): it cannot be
   * satisfied from a copy older than what memory held when that load was,
   * so the CPU applies the invalidation of this word first, if one is
   * pending, and reads memory.
   */
  loadDependent(cpu: number, addr: string): Word {
    this.stale[cpu]!.delete(addr);
    return this.load(cpu, addr);
  }

  /** What every CPU without a buffered store or a stale copy of `addr` reads. */
  committed(addr: string): Word {
    const v = this.words.get(addr);
    if (v === undefined && !this.words.has(addr)) throw new Error(`memory word '${addr}' is not declared`);
    return v;
  }

  /** An initialising write, outside any CPU (at boot): visible to all at once. */
  initialise(addr: string, value: Word): void {
    this.committed(addr);
    this.words.set(addr, value);
    this.made?.memory.delete(addr);
  }

  store(cpu: number, addr: string, value: Word): void {
    this.committed(addr);
    const by = this.nextStore(cpu);
    if (this.log !== null) this.log.accesses.push({ kind: "store", addr, id: by! });
    if (this.model === "sc") this.commit(cpu, addr, value, by);
    else this.buffers[cpu]!.push(by === undefined ? { addr, value, seq: ++this.issued[cpu]! } : { addr, value, seq: ++this.issued[cpu]!, by });
  }

  /** A store reaches memory: in weak mode every other CPU may keep its old copy until it applies the invalidation. */
  private commit(cpu: number, addr: string, value: Word, by?: StoreId): void {
    if (this.model === "weak") {
      const old = this.words.get(addr);
      for (let c = 0; c < this.stale.length; c++) {
        if (c !== cpu && !this.stale[c]!.has(addr)) {
          this.stale[c]!.set(addr, old);
          if (this.made !== undefined) this.made.stale[c]!.set(addr, this.madeBy(addr));
          if (this.log !== null) this.log.accesses.push({ kind: "stale", cpu: c });
        }
      }
      this.stale[cpu]!.delete(addr);
    }
    this.words.set(addr, value);
    if (this.made !== undefined && by !== undefined) this.made.memory.set(addr, by);
  }

  /** smp_wmb(): stores before it become visible before stores after it. */
  wmb(cpu: number): void {
    const buf = this.buffers[cpu]!;
    if ((this.model === "pso" || this.model === "weak") && buf.length > 0 && !("fence" in buf[buf.length - 1]!)) buf.push({ fence: true });
  }

  /** smp_rmb(), and the load part of an acquire: loads after it read nothing older than memory holds now. */
  rmb(cpu: number): void {
    const stale = this.stale[cpu]!;
    if (stale.size > 0) stale.clear(); // clear() makes a new table even for an empty map, and this runs at every lock and switch
    if (this.log !== null && this.model === "weak") this.log.accesses.push({ kind: "fence" });
  }

  /** smp_mb() and everything that implies it: the CPU waits until its buffer has drained, and reads afresh. */
  mb(cpu: number): void {
    this.flush(cpu);
    this.rmb(cpu);
  }

  /** Drains the CPU's store buffer, no read barrier: what an atomic operation does first (on a word or on a plain field). */
  flush(cpu: number): void {
    const buf = this.buffers[cpu]!;
    if (buf.length === 0) return; // the common case: every lock, switch and barrier flushes
    for (const e of buf) {
      if (!("addr" in e)) continue;
      if (this.log !== null) this.log.accesses.push({ kind: "commit", addr: e.addr, id: e.by ?? "init" });
      this.commit(cpu, e.addr, e.value, e.by);
    }
    this.buffers[cpu] = []; // not `length = 0`, a runtime call
  }

  /**
   * An atomic read-modify-write (xchg, cmpxchg, atomic_*_return ...): `f`
   * gets the value in memory and returns the new one, or undefined to store
   * nothing (a failed cmpxchg). It reads and writes memory itself, so the
   * CPU's earlier stores leave their buffer first, as a locked instruction
   * drains it on x86. An acquire or fully ordered one that stores lets
   * nothing after it read stale; a failed cmpxchg orders nothing. Returns
   * the old value.
   */
  rmw(cpu: number, addr: string, f: (old: Word) => Word | undefined, order: RmwOrder): Word {
    this.flush(cpu);
    this.stale[cpu]!.delete(addr);
    const old = this.committed(addr);
    const next = f(old);
    const by = next === undefined ? undefined : this.nextStore(cpu);
    if (this.log !== null) this.log.accesses.push({ kind: "rmw", addr, from: this.madeBy(addr), id: by });
    if (next !== undefined) this.commit(cpu, addr, next, by);
    this.afterRmw(cpu, order, next !== undefined);
    return old;
  }

  /** And after: an acquire or fully ordered one that stored lets nothing after it read stale. */
  afterRmw(cpu: number, order: RmwOrder, stored: boolean): void {
    if (stored && (order === "acquire" || order === "mb")) this.rmb(cpu);
  }

  /** Marks everything `cpu` has stored so far (a release, a doorbell write ordered after them). */
  mark(cpu: number): StoreMark {
    return { cpu, seq: this.issued[cpu]! };
  }

  /** Whether every store up to `m` is visible to all. */
  visible(m: StoreMark): boolean {
    return !this.buffers[m.cpu]!.some((e) => "seq" in e && e.seq <= m.seq);
  }

  /** Stores still waiting in `cpu`'s buffer. */
  buffered(cpu: number): number {
    return this.buffers[cpu]!.filter((e) => "addr" in e).length;
  }


  // ---- the flushes and invalidations, as environment events ----

  /** Buffer entries that may become visible next, per CPU, in buffer order. */
  private flushable(cpu: number): number[] {
    const buf = this.buffers[cpu]!;
    if (buf.length === 0) return [];
    if (this.model === "tso") return [0];
    const out: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < buf.length; i++) {
      const e = buf[i]!;
      if ("fence" in e) break;
      if (!seen.has(e.addr)) out.push(i);
      seen.add(e.addr);
    }
    return out;
  }

  enabled(): EnvEvent[] {
    // No list made when nothing is buffered or stale, as is most often so: it is asked at every step.
    let out = NO_ENV_EVENTS;
    for (let c = 0; c < this.buffers.length; c++) {
      if (this.buffers[c]!.length === 0) continue;
      for (const i of this.flushable(c)) {
        const e = this.buffers[c]![i] as { addr: string };
        if (out === NO_ENV_EVENTS) out = [];
        out.push({ kind: "env", source: this.name, arg: this.model === "tso" ? `cpu${c}` : `cpu${c}:${e.addr}` });
      }
    }
    for (let c = 0; c < this.stale.length; c++) {
      if (this.stale[c]!.size === 0) continue;
      if (out === NO_ENV_EVENTS) out = [];
      for (const addr of this.stale[c]!.keys()) out.push({ kind: "env", source: this.name, arg: `inv:cpu${c}:${addr}` });
    }
    return out;
  }

  apply(ev: EnvEvent): string {
    const arg = String(ev.arg);
    const { inv, cpu, addr } = memoryEventArg(arg);
    if (inv) {
      if (!this.stale[cpu]?.delete(addr!)) throw new Error(`memory: no invalidation pending for '${arg}'`);
      this.made?.stale[cpu]!.delete(addr!);
      if (this.log !== null) this.log.accesses.push({ kind: "inv", addr: addr! });
      return `cpu${cpu} applies the invalidation of ${addr}: it sees ${show(this.committed(addr!))}`;
    }
    const buf = this.buffers[cpu];
    const i = buf === undefined ? -1 : addr === undefined ? 0 : buf.findIndex((e) => "addr" in e && e.addr === addr);
    if (buf === undefined || i < 0 || !("addr" in buf[i]!)) throw new Error(`memory: no store to flush for '${arg}'`);
    const e = buf.splice(i, 1)[0] as { addr: string; value: Word; by?: StoreId };
    if (this.log !== null) this.log.accesses.push({ kind: "commit", addr: e.addr, id: e.by ?? "init" });
    this.commit(cpu, e.addr, e.value, e.by);
    while (buf.length > 0 && "fence" in buf[0]!) buf.shift();
    return `cpu${cpu}'s store ${e.addr} = ${show(e.value)} becomes visible`;
  }

  /** The drain flushes the oldest store of the lowest CPU that has one (when no CPU can step). */
  drainMove(): EnvEvent | undefined {
    return this.enabled()[0];
  }

  /**
   * The drain applies invalidations before anything else: a stale read is
   * a deviation the schedule chooses (by stepping the CPU before `inv`),
   * never the default policy's.
   */
  eagerMove(): EnvEvent | undefined {
    for (let c = 0; c < this.stale.length; c++) {
      for (const addr of this.stale[c]!.keys()) return { kind: "env", source: this.name, arg: `inv:cpu${c}:${addr}` };
    }
    return undefined;
  }

  // ---- for a search that visits states rather than schedules ----

  /** An independent copy. */
  clone(): Memory {
    const m = new Memory(this.model, this.buffers.length);
    m.words = new Map(this.words);
    m.regionOf = this.regionOf;
    m.buffers = this.buffers.map((b) => b.slice());
    m.issued = this.issued.slice();
    m.stale = this.stale.map((s) => new Map(s));
    return m;
  }

  /** A text that two memories share exactly when every future of theirs is the same. */
  key(name: (v: Word) => string = show): string {
    const parts: string[] = [];
    for (const [a, v] of this.words) parts.push(`${a}=${name(v)}`);
    for (let c = 0; c < this.buffers.length; c++) {
      parts.push(`|${c}#${this.issued[c]}:`);
      for (const e of this.buffers[c]!) parts.push("fence" in e ? "F" : `${e.addr}@${e.seq}=${name(e.value)}`);
      for (const [a, v] of this.stale[c]!) parts.push(`~${a}=${name(v)}`);
    }
    return parts.join(" ");
  }

}

/** A word's value for a trace: a number, NULL, or the name of what a pointer points to. */
export function show(v: Word): string {
  if (v === null) return "NULL";
  if (typeof v === "object") return String((v as { name?: unknown; addr?: unknown }).name ?? (v as { addr?: unknown }).addr ?? "an object");
  return String(v);
}
