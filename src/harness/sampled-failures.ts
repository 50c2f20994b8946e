// Failures of a property found from nothing but the model, the variant, the
// settings and the property: walks on workloads sampled from the model's
// workload arbitrary with a seed of their own, the smallest first. The
// minimizer reduces these rather than the case a hunt found, so that every
// strategy, seed and worker that breaks the same property ends at the same
// counterexample; only where these walks find nothing does it reduce the
// case itself.
import fc, { type Arbitrary } from "fast-check";
import seedrandom from "seedrandom";
import type { ScheduleEvent } from "../sim/events.ts";
import type { Target } from "./minimize.ts";
import { defaultEventCap } from "./online.ts";
import { type Walks, walkToFailure, walksOn } from "./walks.ts";

/** Workloads sampled, walks in all, and walks per workload in each round over them. */
const SAMPLES = 300;
const WALKS = 4000;
const WALKS_PER_ROUND = 20;
/** Walks left, at most, for the others once one failure is found: a rare failure's second would cost as much again as its first. */
const AFTER_FIRST = 500;

/** JSON with its keys sorted, so that the same settings give the same seed however they were written. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (typeof v === "object" && v !== null)
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** What the sampled failures depend on besides the model: the variant, the settings and the property (the settings in one order of keys). */
export function propertyKey(t: Target): string {
  return `${t.variant}/${stableJson(t.config)}/${t.property}`;
}

/** The workloads to walk on, each once, smallest (in JSON) first, then in the order of their JSON. */
function sampledWorkloads(workloadArb: Arbitrary<unknown>, t: Target): unknown[] {
  const seed = Math.floor(seedrandom(`sampled:${t.model.name}/${propertyKey(t)}`)() * 2 ** 31);
  const byJson = new Map<string, unknown>();
  for (const w of fc.sample(workloadArb, { seed, numRuns: SAMPLES })) byJson.set(JSON.stringify(w), w);
  return [...byJson.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)).map((k) => byJson.get(k));
}

/**
 * Up to `count` failures of `t`'s property (its workload is not used), each
 * on a different sampled workload: in rounds over the workloads, smallest
 * first, a few walks on each (seeded from the workload and the property, as
 * walksOn seeds them), until `count` are found or the walks are spent:
 * WALKS at most, and at most AFTER_FIRST of them once one is found. A round
 * goes on where the last one stopped on each workload, so a small workload
 * space is walked deeper.
 */
export function sampledFailures(workloadArb: Arbitrary<unknown>, t: Target, count: number): { t: Target; schedule: ScheduleEvent[] }[] {
  const cands: { t: Target; walks?: Walks; failed?: boolean }[] = sampledWorkloads(workloadArb, t).map((workload) => ({ t: { ...t, workload } }));
  const cap = defaultEventCap(t.model, t.config);
  const out: { t: Target; schedule: ScheduleEvent[] }[] = [];
  let left = WALKS;
  while (left > 0 && out.length < count && cands.some((c) => !c.failed)) {
    for (const c of cands) {
      if (left <= 0 || out.length === count) break;
      if (c.failed) continue;
      c.walks ??= walksOn(c.t, 0);
      c.walks.left = Math.min(WALKS_PER_ROUND, left);
      const made = c.walks.made;
      const found = walkToFailure(c.t, c.walks, cap);
      left -= c.walks.made - made;
      if (found !== undefined) {
        c.failed = true;
        out.push({ t: c.t, schedule: found });
        if (out.length === 1) left = Math.min(left, AFTER_FIRST);
      }
    }
  }
  return out;
}
