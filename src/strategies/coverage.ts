// Communication coverage: which store each load of a run read, and which
// other context last took, released or looked at each spinlock, as the
// machine's footprints tell it. A run is new when it shows a reads-from
// pair never seen before, or a set of pairs never seen together (a
// reads-from class): the signal RFF and the kernel race fuzzers (KRACE,
// Snowboard) steer by. The portfolio counts, per member, how many of its
// runs were new this way.
import type { ScheduleEvent } from "../sim/events.ts";
import type { Footprint } from "../sim/footprint.ts";
import type { Machine } from "../sim/machine.ts";
import { hashString } from "./scheduler.ts";

/** Pairs and classes remembered at most; past it only those remembered count, and nothing else is new. */
const SEEN = 200_000;

/** A reads-from pair, as the context that read and the step whose store it saw ("T0@2", or "init"). */
export const readsFromKey = (ctx: string, addr: string, from: string) => `${ctx}:${addr}<-${from}`;
/** A lock handoff, as the context that touched the lock and the other context that touched it last. */
export const lockKey = (ctx: string, lock: string, prev: string) => `${ctx}:lock ${lock}<-${prev}`;
/** A run's whole set of pairs, as one short name. */
export const classKey = (sortedPairs: readonly string[]) => `class ${hashString(sortedPairs.join(" "))}`;

/** One run's pairs, gathered event by event, the drain's too. */
export class RunCoverage {
  private readonly steps = new Map<string, number>(); // context -> steps taken
  private readonly storeStep = new Map<string, string>(); // the machine's store id -> "T0@2", the step that made it
  private readonly lastLock = new Map<string, string>(); // lock -> the context that last touched it
  readonly pairs = new Set<string>();

  constructor(machine: Machine) {
    machine.recordFootprints();
    machine.hooks.footprinted = (e, stepper, fp) => this.event(e, stepper, fp);
  }

  /** Takes in an event just performed; `stepper` is the context a step advanced. */
  private event(e: ScheduleEvent, stepper: string | undefined, fp: Footprint): void {
    if (e.kind !== "step" || stepper === undefined) return;
    const n = this.steps.get(stepper) ?? 0;
    this.steps.set(stepper, n + 1);
    if (fp.accesses.length === 0) return;
    const me = `${stepper}@${n}`;
    for (const a of fp.accesses) {
      if (a.kind === "load" || a.kind === "rmw") {
        const from = a.from === "init" ? "init" : (this.storeStep.get(a.from) ?? "init");
        // One's own store is no communication; a poll that reads the same store again is nothing new.
        if (!from.startsWith(`${stepper}@`)) this.pairs.add(readsFromKey(stepper, a.addr, from));
      }
      if ((a.kind === "store" || a.kind === "rmw") && a.id !== undefined) this.storeStep.set(a.id, me);
      if (a.kind === "lock") {
        const prev = this.lastLock.get(a.lock);
        if (prev !== undefined && prev !== stepper) this.pairs.add(lockKey(stepper, a.lock, prev));
        this.lastLock.set(a.lock, stepper);
      }
    }
  }
}

/** The pairs and classes seen so far, across runs. */
export class Coverage {
  private readonly seen = new Set<string>();

  /** Whether the run showed a pair or a class not seen before (and remembers them). */
  novel(run: RunCoverage): boolean {
    if (run.pairs.size === 0) return false;
    const keys = [...run.pairs].sort();
    let novel = this.add(classKey(keys));
    for (const k of keys) if (this.add(k)) novel = true;
    return novel;
  }

  private add(key: string): boolean {
    if (this.seen.has(key) || this.seen.size >= SEEN) return false;
    this.seen.add(key);
    return true;
  }
}
