// The hunt searches with cheap code lists and, where the reduction needs the
// case, shrinks a failure with fast-check's own command lists, regenerated
// for the failing run: that is sound only if both draw the very same
// commands from the same seed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HuntState } from "../src/harness/events-arb.ts";
import { CodeTable, CodesArbitrary, EventCommand, RunFailed, commandArbitraries, play } from "../src/harness/events-arb.ts";
import { Run } from "../src/harness/run.ts";
import type { AnyModel } from "../src/kernel/model.ts";
import { variantConfig } from "../src/kernel/model.ts";
import { MODELS } from "../src/models/index.ts";

const configs = [
  { cpus: 1, env: false },
  { cpus: 2, env: false },
  { cpus: 3, env: true },
];

describe("code lists draw what fast-check's command lists draw", () => {
  for (const { cpus, env } of configs) {
    it(`on ${cpus} CPU(s)${env ? ", with an environment" : ""}`, () => {
      const config = { cpus, maxSteps: 1000 };
      const table = new CodeTable(config, { env });
      const maxCommands = 40;
      const codes = fc.tuple(fc.nat(9), new CodesArbitrary(table, maxCommands));
      const commands = fc.tuple(fc.nat(9), fc.commands(commandArbitraries(config, { env }), { maxCommands, size: "max" }));
      for (const seed of [1, 2, 3]) {
        // A command's text names its kind and every choice.
        const a = fc.sample(codes, { seed, numRuns: 30 }).map(([w, cs]) => [w, cs.all().map((c) => new EventCommand(table.protos[c]!).toString())]);
        const b = fc.sample(commands, { seed, numRuns: 30 }).map(([w, cmds]) => [w, [...cmds].map((c) => c.toString())]);
        expect(a).toEqual(b);
        expect(a.some(([, cs]) => (cs as string[]).length > 0)).toBe(true);
      }
    });
  }
});

describe("playing codes applies what fast-check's command lists apply", () => {
  // play() stops once nothing is enabled; fc.modelRun tries every command. They must agree on every run.
  for (const model of MODELS as AnyModel[]) {
    it(`${model.name}: the same events and the same failure`, () => {
      let applied = 0;
      for (const variant of Object.keys(model.variants)) {
        const config = variantConfig(model, variant);
        const table = new CodeTable(config, { env: true });
        for (const [workload, codes] of fc.sample(fc.tuple(model.workload(config), new CodesArbitrary(table, 60)), { numRuns: 10, seed: 5 })) {
          const byCodes = new Run(model, variant, config, structuredClone(workload));
          play(byCodes, table, codes);
          const byCommands = new Run(model, variant, config, structuredClone(workload));
          const state: HuntState = { run: byCommands, staged: undefined };
          try {
            fc.modelRun(() => ({ model: state, real: state }), codes.all().map((c) => new EventCommand(table.protos[c]!)));
          } catch (err) {
            if (!(err instanceof RunFailed)) throw err;
          }
          expect(byCodes.applied).toEqual(byCommands.applied);
          expect(byCodes.failure?.property).toEqual(byCommands.failure?.property);
          applied += byCodes.applied.length;
        }
      }
      expect(applied).toBeGreaterThan(0);
    });
  }
});
