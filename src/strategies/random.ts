// A uniform random walk: at every step, any enabled event, each as likely.
import seedrandom from "seedrandom";
import type { Scheduler, StrategyDef } from "./scheduler.ts";

export const randomWalk: StrategyDef = {
  name: "random",
  description: "a uniform random walk over the enabled events, a new workload every run (seedrandom)",
  options: [],
  create({ seed }): Scheduler {
    const rng = seedrandom(`random:${seed}`);
    let run = 0;
    return {
      newRun: () => ({ workload: run++ }),
      next: (enabled) => (enabled.length === 0 ? undefined : enabled[Math.floor(rng() * enabled.length)]),
    };
  },
};
