// What a picture of a run is made of, before any geometry: one row per trace
// entry, the contexts on each CPU row by row (bands, nested by interrupt
// depth), and the spans of CPU state between actions (interrupts off,
// preemption off, locks held). Derived from a replay with snapshots.
import type { LockHold } from "../kernel/inspect.ts";
import type { TraceEntry } from "../sim/machine.ts";
import type { Snapshot, SnapshotReplay } from "./picture-replay.ts";

/** A context's presence on a CPU over consecutive rows; depth 0 is the thread, n the n-th nested handler. */
export interface Band {
  cpu: number;
  depth: number;
  ctx: string;
  fromRow: number;
  /** Inclusive. */
  toRow: number;
}

/**
 * A state that holds after action `from` through after action `to` (both
 * inclusive); `from` is -1 when it held before the first action.
 */
export interface Span<V> {
  cpu: number;
  from: number;
  to: number;
  value: V;
}

/** A lock held (or waited for) by one context on one CPU, with a column of its own while it lasts. */
export interface LockSpan {
  cpu: number;
  from: number;
  to: number;
  lock: string;
  holder: string;
  /** Column among that CPU's lock columns. */
  slot: number;
  /** Per action from `from` to `to`: owned (true) or still waited for (false). */
  owned: boolean[];
}

export interface PictureSpans {
  rows: TraceEntry[];
  /** Actions taken (every scheduled event and every drained move). */
  actions: number;
  /** Row index of each action's last entry (-1 if it has none). */
  lastRowOf: number[];
  bands: Band[];
  irqsOff: Span<true>[];
  preempt: Span<number>[];
  locks: LockSpan[];
  /** Lock columns per CPU. */
  lockSlots: number[];
}

/** The state of one CPU before the first action (-1) or after action `a`. */
function stateAt(r: SnapshotReplay, a: number): Snapshot {
  return a < 0 ? r.initial : r.after[a]!;
}

/** The contexts on a CPU for one row, by depth: the snapshot after its action, plus the entry's own context if it has just left. */
function stackOf(r: SnapshotReplay, e: TraceEntry, cpu: number): (string | null)[] {
  const s = stateAt(r, e.step)[cpu]!;
  const stack: (string | null)[] = [s.thread, ...s.irqs];
  if (e.cpu === cpu && e.ctx !== "" && !stack.includes(e.ctx)) {
    while (stack.length <= e.depth) stack.push(null);
    stack[e.depth] = e.ctx;
  }
  return stack;
}

function bandsOf(r: SnapshotReplay, rows: TraceEntry[], cpus: number): Band[] {
  const out: Band[] = [];
  for (let cpu = 0; cpu < cpus; cpu++) {
    const open = new Map<number, Band>();
    rows.forEach((e, row) => {
      const stack = stackOf(r, e, cpu);
      for (const [depth, b] of [...open]) {
        if (stack[depth] !== b.ctx) open.delete(depth);
      }
      stack.forEach((ctx, depth) => {
        if (ctx === null) return;
        const b = open.get(depth);
        if (b !== undefined) b.toRow = row;
        else {
          const nb = { cpu, depth, ctx, fromRow: row, toRow: row };
          open.set(depth, nb);
          out.push(nb);
        }
      });
    });
  }
  return out;
}

/** Spans of a per-CPU value over the actions; `valueOf` gives undefined where the state does not hold. */
function spansOf<V>(r: SnapshotReplay, actions: number, cpus: number, valueOf: (s: Snapshot[number]) => V | undefined): Span<V>[] {
  const out: Span<V>[] = [];
  for (let cpu = 0; cpu < cpus; cpu++) {
    let open: Span<V> | undefined;
    for (let a = -1; a < actions; a++) {
      const v = valueOf(stateAt(r, a)[cpu]!);
      if (open !== undefined && v === open.value) open.to = a;
      else {
        open = v === undefined ? undefined : { cpu, from: a, to: a, value: v };
        if (open !== undefined) out.push(open);
      }
    }
  }
  return out;
}

/** Lock spans per CPU, each given the lowest column free over its whole length. */
function locksOf(r: SnapshotReplay, actions: number, cpus: number): { locks: LockSpan[]; slots: number[] } {
  const locks: LockSpan[] = [];
  const slots: number[] = [];
  const keyOf = (h: LockHold) => `${h.lock}\u0000${h.holder}`;
  for (let cpu = 0; cpu < cpus; cpu++) {
    const open = new Map<string, LockSpan>();
    const mine: LockSpan[] = [];
    for (let a = -1; a < actions; a++) {
      const holds = stateAt(r, a)[cpu]!.holds;
      const keys = new Set(holds.map(keyOf));
      for (const [k] of [...open]) if (!keys.has(k)) open.delete(k);
      for (const h of holds) {
        const s = open.get(keyOf(h));
        if (s !== undefined) {
          s.to = a;
          s.owned.push(h.owned);
        } else {
          const ns: LockSpan = { cpu, from: a, to: a, lock: h.lock, holder: h.holder, slot: 0, owned: [h.owned] };
          open.set(keyOf(h), ns);
          mine.push(ns);
        }
      }
    }
    // Greedy interval colouring: spans in order of start take the lowest column whose last span has ended.
    const columnEnds: number[] = [];
    for (const s of mine) {
      let c = columnEnds.findIndex((end) => end < s.from);
      if (c < 0) c = columnEnds.length;
      columnEnds[c] = s.to;
      s.slot = c;
    }
    slots.push(columnEnds.length);
    locks.push(...mine);
  }
  return { locks, slots };
}

export function pictureSpans(r: SnapshotReplay): PictureSpans {
  const m = r.run.machine;
  const rows = m.trace;
  const cpus = m.cpus.length;
  const actions = m.steps;
  const lastRowOf = Array.from({ length: actions }, () => -1);
  rows.forEach((e, i) => (lastRowOf[e.step] = i));
  const { locks, slots } = locksOf(r, actions, cpus);
  return {
    rows,
    actions,
    lastRowOf,
    bands: bandsOf(r, rows, cpus),
    irqsOff: spansOf(r, actions, cpus, (s) => (s.irqsEnabled ? undefined : true)),
    preempt: spansOf(r, actions, cpus, (s) => (s.preemptCount > 0 ? s.preemptCount : undefined)),
    locks,
    lockSlots: slots,
  };
}
