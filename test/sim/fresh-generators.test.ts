// The built-in models and the kernel run no generator function made anew in
// each run. V8 gives such a function its own map in the old generation the
// first time it is called, and the map keeps the function, and every object
// of its run, through each young collection until a full one: hunts ran up to
// 1.5 times slower for it. A context's generator shows it: one from a
// module-level generator function has the same prototype in every run, one
// from a fresh function has a new one each run. Only the generator a context
// starts with is seen: a body the kernel wraps (module code, a softirq's
// action, a timer or work function) is not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Codes } from "../../src/harness/events-arb.ts";
import { CodeTable, CodesArbitrary, play } from "../../src/harness/events-arb.ts";
import { Run } from "../../src/harness/run.ts";
import type { AnyModel } from "../../src/kernel/model.ts";
import { variantConfig } from "../../src/kernel/model.ts";
import { MODELS } from "../../src/models/index.ts";
import hundred from "../../examples/hundred-threads.ts";
import counter from "../../examples/irq-counter.ts";
import ticket from "../../examples/ticket-lock.ts";

/** The prototype of every context's generator in a run of `codes`, by context name (a handler's delivery number left out). */
function prototypes(model: AnyModel, variant: string, workload: unknown, table: CodeTable, codes: Codes): Map<string, object> {
  const run = new Run(model, variant, variantConfig(model, variant), structuredClone(workload));
  const seen = new Map<string, object>();
  const m = run.machine;
  const onExit = m.hooks.onExit;
  m.hooks.onExit = (ctx, cpu, frame) => {
    seen.set(ctx.name.replace(/#\d+$/, ""), Object.getPrototypeOf(ctx.gen) as object);
    onExit?.(ctx, cpu, frame);
  };
  play(run, table, codes);
  run.finish();
  for (const t of m.threads) seen.set(t.name, Object.getPrototypeOf(t.gen) as object);
  return seen;
}

describe("no generator function is made anew per run", () => {
  for (const model of [...MODELS, counter, ticket, hundred] as AnyModel[]) {
    it(`${model.name}: every context's generator comes from a function made once`, () => {
      let compared = 0;
      for (const variant of Object.keys(model.variants)) {
        const config = variantConfig(model, variant);
        const table = new CodeTable(config, { env: true });
        const cases = fc.sample(fc.tuple(model.workload(config), new CodesArbitrary(table, 40)), { numRuns: 3, seed: 7 });
        for (const [workload, codes] of cases) {
          const first = prototypes(model, variant, workload, table, codes);
          const second = prototypes(model, variant, workload, table, codes);
          for (const [name, proto] of first) {
            if (!second.has(name)) continue;
            expect({ context: name, variant, same: second.get(name) === proto }).toEqual({ context: name, variant, same: true });
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(0);
    });
  }
});
