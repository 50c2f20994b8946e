// The schedule sources besides fast-check's own generation.
import { exhaustive } from "./exhaustive.ts";
import { pct } from "./pct.ts";
import { pctwm } from "./pctwm.ts";
import { pos } from "./pos.ts";
import { randomWalk } from "./random.ts";
import { rff } from "./rff.ts";
import type { StrategyDef } from "./scheduler.ts";
import { surw } from "./surw.ts";

export const STRATEGIES: readonly StrategyDef[] = [randomWalk, pct, pctwm, exhaustive, pos, surw, rff];

export function findStrategy(name: string): StrategyDef | undefined {
  return STRATEGIES.find((s) => s.name === name);
}

export type { Scheduler, SchedulerOptions, StrategyDef } from "./scheduler.ts";
export { contextOf } from "./scheduler.ts";
