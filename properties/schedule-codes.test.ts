// The hunt searches with cheap code lists and shrinks a failure with
// fast-check's own command lists, regenerated for the failing run: that is
// sound only if both draw the very same commands from the same seed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodeTable, CodesArbitrary, EventCommand, commandArbitraries } from "../src/harness/events-arb.ts";

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
        const a = fc.sample(codes, { seed, numRuns: 30 }).map(([w, cs]) => [w, cs.map((c) => new EventCommand(table.protos[c]!).toString())]);
        const b = fc.sample(commands, { seed, numRuns: 30 }).map(([w, cmds]) => [w, [...cmds].map((c) => c.toString())]);
        expect(a).toEqual(b);
        expect(a.some(([, cs]) => (cs as string[]).length > 0)).toBe(true);
      }
    });
  }
});
