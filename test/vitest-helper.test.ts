// The vitest helper fails the way a user needs: saying what was not caught
// with which seed, or showing (and saving) the run that broke a correct
// variant; a random seed is printed.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import ticketLock from "../examples/ticket-lock.ts";
import { expectCaught, expectSurvives, huntModel } from "../src/vitest.ts";
import { tmp } from "./helpers/cli.ts";

describe("src/vitest.ts", () => {
  afterEach(() => void vi.restoreAllMocks());

  it("expectCaught of a variant that survives fails naming the runs and the seed", () => {
    expect(() => expectCaught(ticketLock, "irqsave", { runs: 30, seed: 7 })).toThrow(/^ticket-lock\/irqsave was not caught in 30 runs \(seed 7\)$/);
    expect(() => expectCaught(ticketLock, "irqs-on", { runs: 30, property: "exact-count" })).toThrow(/^ticket-lock\/irqs-on was not caught breaking exact-count in 30 runs \(seed 1\)$/);
  });

  it("expectSurvives of a variant that breaks fails with the run's trace, and saves it with saveTo", () => {
    const dir = tmp();
    let message = "";
    try {
      expectSurvives(ticketLock, "irqs-on", { runs: 200, config: { lockdep: 0 }, saveTo: dir });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^ticket-lock\/irqs-on broke deadlock after \d+ run\(s\) \(seed 1\): deadlock: nic#1 /);
    expect(message).toContain(`saved ${path.join(dir, "ticket-lock", "irqs-on--deadlock--")}`);
    expect(message).toMatch(/^>>drain \| ⚡nic#1: spins until tx_lock serves ticket 1/m);
    expect(fs.readdirSync(path.join(dir, "ticket-lock"))).toHaveLength(1);
  });

  it("a random seed is printed, and returned", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const r = huntModel(ticketLock, "irqsave", { runs: 5, seed: "random" });
    expect(log).toHaveBeenCalledWith(`ticket-lock/irqsave: seed ${r.seed} (random)`);
    expect(r.runs).toBe(5);
  });
});
