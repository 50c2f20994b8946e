// PCT for weak memory, after PCTWM (Gao, Chakraborty and Ozkan, ASPLOS
// 2023): the contexts are scheduled as PCT schedules them (same seed, same
// priorities, same change points), and the memory's own events, a store
// leaving its CPU's buffer and a CPU applying an invalidation, are the
// communication events, scheduled apart from them:
//  - in odd runs they are lazy: a store stays in its buffer and a stale
//    copy in its cache for as long as any context can go on, so every load
//    reads the oldest value the memory model allows (store buffering is
//    seen at once);
//  - in even runs they are eager: each happens as soon as it can, so
//    every load reads the newest value, as under sc;
//  - at d-1 change points, chosen among the run's communication events,
//    that event goes against the run's default: made visible at once
//    ahead of the older ones still buffered, or delayed behind the newer
//    ones. One change point is one reordering.
// Both defaults are needed: a reader that never waits sees nothing in a
// lazy run, and a bug that needs many stores delayed is rare in an eager one.
// Under sc there are no memory events, and pctwm makes exactly PCT's runs.
import seedrandom from "seedrandom";
import type { ScheduleEvent } from "../sim/events.ts";
import { pct } from "./pct.ts";
import type { Scheduler, StrategyDef } from "./scheduler.ts";

const isMemory = (e: ScheduleEvent) => e.kind === "env" && e.source === "memory";
const isClock = (e: ScheduleEvent) => e.kind === "env" && e.source === "clock";
/** A memory event's name: `cpu0:x` (a flush), `inv:cpu1:x` (an invalidation). */
const nameOf = (e: ScheduleEvent) => String((e as { arg?: unknown }).arg);

export const pctwm: StrategyDef = {
  name: "pctwm",
  description: "PCT for weak memory: stores and invalidations lazy in odd runs, eager in even ones, d-1 of them the other way (--depth d)",
  options: ["depth"],
  create(o): Scheduler {
    const core = pct.create(o);
    const rng = seedrandom(`pctwm:${o.seed}`);
    const points = o.depth - 1;
    let run = 0;
    let lazy = true;
    let m = 0; // communication events per run, learnt from the runs made: the first run has no change points
    let flipAt = new Set<number>();
    let seen = 0;
    /** Memory events enabled before the last event, and the one taken then, if it was one. */
    let before = new Set<string>();
    let taken: string | undefined;
    /** Memory events enabled now that go against the run's default. */
    let flipped = new Set<string>();
    let flips = 0;
    let last = { events: 0, flips: 0, lazy: true };
    const take = (e: ScheduleEvent) => {
      taken = nameOf(e);
      flipped.delete(taken);
      return e;
    };
    return {
      newRun() {
        lazy = run++ % 2 === 0;
        // d-1 points among (d-1)·m events: each event is one with a chance of about 1/m whatever d, so a deeper search adds reorderings to a run rather than thinning them out.
        const range = points * m;
        flipAt = new Set();
        while (flipAt.size < Math.min(points, range)) flipAt.add(1 + Math.floor(rng() * range));
        seen = 0;
        before = new Set();
        taken = undefined;
        flipped = new Set();
        flips = 0;
        return core.newRun();
      },
      next(enabled, machine) {
        const memory = enabled.filter(isMemory);
        if (memory.length === 0 && before.size === 0) return core.next(enabled, machine);
        // A communication event: a memory event that was not enabled before the last event, or was that event (the next store at its buffer's head).
        const now = new Set<string>();
        for (const e of memory) {
          const name = nameOf(e);
          now.add(name);
          if (before.has(name) && name !== taken) continue;
          if (!flipAt.has(++seen)) continue;
          flipped.add(name);
          flips++;
        }
        for (const name of flipped) if (!now.has(name)) flipped.delete(name); // a barrier took it
        before = now;
        taken = undefined;
        const urgent = memory.find((e) => flipped.has(nameOf(e)) === lazy);
        if (urgent !== undefined) return take(urgent);
        // Time does not pass over a store on its way: that would be a stall, and keep the buffer from ever draining.
        const e = core.next(memory.length === 0 ? enabled : enabled.filter((x) => !isMemory(x) && !isClock(x)), machine);
        if (e !== undefined || memory.length === 0) return e;
        // Nothing else can go on: any one of them, in whatever order the memory model lets them go.
        return take(memory[Math.floor(rng() * memory.length)]!);
      },
      endRun(failed) {
        last = { events: seen, flips, lazy };
        m = Math.max(m, seen);
        core.endRun?.(failed);
      },
      // PCT's own bound is left out: it counts the contexts' change points only, and does not hold for the memory's.
      report: () => {
        const { depth, steps, contexts } = core.report?.() ?? {};
        return { depth: depth ?? o.depth, steps: steps ?? 0, contexts: contexts ?? 0, communication: last.events, changed: last.flips, lazy: last.lazy };
      },
    };
  },
};
