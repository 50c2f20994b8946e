// The Xen busdma model hunted with fixed seeds: each bug of the deferred load
// (ungranted segments, a lost client callback, leaked references, a task or
// free callback running on a destroyed map) is caught by its property, and
// the design survives.
import { describe, expect, it } from "vitest";
import type { Counterexample } from "../src/harness/counterexample.ts";
import { hunt } from "../src/harness/hunt.ts";
import { removableEvents } from "../src/harness/minimize.ts";
import { replayCounterexample } from "../src/harness/replay.ts";
import { variantConfig } from "../src/kernel/model.ts";
import model from "../src/models/xen-busdma/index.ts";

const found = new Map<string, Counterexample | undefined>();
function caught(variant: string): Counterexample | undefined {
  if (!found.has(variant)) found.set(variant, hunt({ model, variant, config: variantConfig(model, variant), runs: 600, seed: 1 }).counterexample);
  return found.get(variant);
}

describe("xen-busdma: buggy variants are caught", () => {
  const cases: { variant: string; property: string; message: RegExp }[] = [
    { variant: "deferred-no-grant", property: "granted-segments", message: /^the client callback of map\d\.\d gets segment\(s\) [\d,]+ of \d without a grant/ },
    { variant: "deferred-no-callback", property: "callback-once", message: /^map\d\.\d's deferred load of \d segment\(s\) never called the client callback/ },
    { variant: "partial-alloc-leak", property: "no-leak", message: /^gref \d is not on the free list and claimed by map\d\.\d .*: leaked$/ },
    { variant: "unload-no-cancel", property: "use-after-destroy", message: /^T\d runs the free callback of map\d\.\d: map\d\.\d was freed by bus_dmamap_destroy\(\) in T\d$/ },
    { variant: "unload-no-sync", property: "use-after-destroy", message: /^kworker\/\d:taskqueue_thread runs map\d\.\d's deferred load: map\d\.\d was freed by bus_dmamap_destroy\(\) in T\d$/ },
  ];
  for (const c of cases) {
    it(`${c.variant}: ${c.property}`, () => {
      const cx = caught(c.variant);
      expect(cx?.property).toBe(c.property);
      expect(cx!.failure.message).toMatch(c.message);
      expect(replayCounterexample(cx!, model).every((v) => v.ok)).toBe(true);
      expect(removableEvents({ model, variant: c.variant, config: variantConfig(model, c.variant), workload: cx!.workload, property: cx!.property }, cx!.schedule)).toEqual([]);
    });
  }

  it("the failing workloads need more references than the pool holds: the load that breaks was deferred", () => {
    for (const v of ["deferred-no-grant", "deferred-no-callback"]) {
      const cx = caught(v)!;
      expect(cx.failure.message).toMatch(/map\d\.\d/);
      const segs = (cx.workload as { threads: { maps: { segs: number }[] }[] }).threads.flatMap((t) => t.maps.map((m) => m.segs));
      // Only a pool too small for every map at once can defer.
      expect(segs.reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
    }
  });
});

describe("xen-busdma: the design survives", () => {
  it("deferred-load, 1500 runs", () => {
    const r = hunt({ model, variant: "deferred-load", config: variantConfig(model, "deferred-load"), runs: 1500, seed: 7 });
    expect(r.counterexample?.failure.message).toBeUndefined();
    expect(r.runs).toBe(1500);
  });
});
