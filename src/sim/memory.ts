// Shared memory words and the order in which stores become visible.
//
// sc:  every store is visible to every CPU at once.
// tso: each CPU has a FIFO store buffer (x86): a store waits there until the
//      schedule flushes the oldest entry; the CPU reads its own buffered
//      stores first. Loads are never reordered.
// pso: as tso, but stores to different addresses leave the buffer in any
//      order (SPARC PSO, or x86 write-combining mappings such as a PCIe BAR
//      mapped WC); stores to one address stay in order. smp_wmb() puts a
//      fence in the buffer that later stores cannot pass.
//
// Loads are performed in program order in all three modes, so smp_rmb() and
// acquire loads cost nothing here, as on x86 and SPARC.
import type { EnvEvent } from "./events.ts";

export const MEMORY_MODELS = ["sc", "tso", "pso"] as const;
export type MemoryModel = (typeof MEMORY_MODELS)[number];

export function isMemoryModel(v: unknown): v is MemoryModel {
  return typeof v === "string" && (MEMORY_MODELS as readonly string[]).includes(v);
}

type Entry = { addr: string; value: number; seq: number } | { fence: true };

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
  private readonly words = new Map<string, number>();
  private readonly regionOf = new Map<string, Region>();
  private readonly buffers: Entry[][];
  /** Stores issued so far, per CPU (their sequence numbers). */
  private readonly issued: number[];

  constructor(
    readonly model: MemoryModel,
    cpus: number,
  ) {
    this.buffers = Array.from({ length: cpus }, () => []);
    this.issued = new Array<number>(cpus).fill(0);
  }

  /** Declares a word with its initial value (visible to all). */
  declare(addr: string, initial: number, region?: Region): void {
    if (this.words.has(addr)) throw new Error(`memory word '${addr}' declared twice`);
    if (addr.includes(":")) throw new Error(`memory word '${addr}': a name may not contain ':'`);
    this.words.set(addr, initial);
    if (region !== undefined) this.regionOf.set(addr, region);
  }

  region(addr: string): Region | undefined {
    return this.regionOf.get(addr);
  }

  /** What `cpu` reads: its own newest buffered store to `addr`, else memory. */
  load(cpu: number, addr: string): number {
    const buf = this.buffers[cpu]!;
    for (let i = buf.length - 1; i >= 0; i--) {
      const e = buf[i]!;
      if ("addr" in e && e.addr === addr) return e.value;
    }
    return this.committed(addr);
  }

  /** What every CPU without a buffered store to `addr` reads. */
  committed(addr: string): number {
    const v = this.words.get(addr);
    if (v === undefined) throw new Error(`memory word '${addr}' is not declared`);
    return v;
  }

  store(cpu: number, addr: string, value: number): void {
    this.committed(addr);
    if (this.model === "sc") this.words.set(addr, value);
    else this.buffers[cpu]!.push({ addr, value, seq: ++this.issued[cpu]! });
  }

  /** smp_wmb(): stores before it become visible before stores after it. */
  wmb(cpu: number): void {
    const buf = this.buffers[cpu]!;
    if (this.model === "pso" && buf.length > 0 && !("fence" in buf[buf.length - 1]!)) buf.push({ fence: true });
  }

  /** smp_mb() and everything that implies it: the CPU waits until its buffer has drained. */
  mb(cpu: number): void {
    const buf = this.buffers[cpu]!;
    for (const e of buf) if ("addr" in e) this.words.set(e.addr, e.value);
    buf.length = 0;
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

  // ---- the flushes, as environment events ----

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
    const out: EnvEvent[] = [];
    for (let c = 0; c < this.buffers.length; c++) {
      for (const i of this.flushable(c)) {
        const e = this.buffers[c]![i] as { addr: string };
        out.push({ kind: "env", source: this.name, arg: this.model === "tso" ? `cpu${c}` : `cpu${c}:${e.addr}` });
      }
    }
    return out;
  }

  apply(ev: EnvEvent): string {
    const arg = String(ev.arg);
    const colon = arg.indexOf(":");
    const cpu = Number((colon < 0 ? arg : arg.slice(0, colon)).slice(3));
    const buf = this.buffers[cpu]!;
    const i = colon < 0 ? 0 : buf.findIndex((e) => "addr" in e && e.addr === arg.slice(colon + 1));
    if (i < 0 || !("addr" in buf[i]!)) throw new Error(`memory: no store to flush for '${arg}'`);
    const e = buf.splice(i, 1)[0] as { addr: string; value: number };
    this.words.set(e.addr, e.value);
    while (buf.length > 0 && "fence" in buf[0]!) buf.shift();
    return `cpu${cpu}'s store ${e.addr} = ${e.value} becomes visible`;
  }

  /** The drain flushes the oldest store of the lowest CPU that has one. */
  drainMove(): EnvEvent | undefined {
    return this.enabled()[0];
  }
}
