// The vitest helper fails the way a user needs: saying what was not caught
// with which seed, or showing (and saving) the run that broke a correct
// variant; a random seed is printed.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import ticketLock from "../examples/ticket-lock.ts";
import { expectCaught, expectSurvives, huntModel, runsFromEnv } from "../src/vitest.ts";
import { tmp } from "./helpers/cli.ts";

describe("src/vitest.ts", () => {
  afterEach(() => void vi.restoreAllMocks());

  it("expectCaught of a variant that survives fails naming the runs and the seed", () => {
    expect(() => expectCaught(ticketLock, "irqsave", { runs: 30, seed: 7 })).toThrow(/^ticket-lock\/irqsave was not caught in 30 runs \(seed 7\)$/);
    expect(() => expectCaught(ticketLock, "irqs-on", { runs: 30, property: "exact-count" })).toThrow(/^ticket-lock\/irqs-on was not caught breaking exact-count in 30 runs \(seed 1\)$/);
  });

  it("a mistake in the options is named at once, with what is valid", () => {
    expect(() => expectSurvives(ticketLock, "irqsave", { runs: -1 })).toThrow(/^runs must be a whole number >= 1, got -1$/);
    expect(() => expectCaught(ticketLock, "nosuch")).toThrow(/^model ticket-lock has no variant 'nosuch' \(known: irqsave, irqs-on, racy-ticket\)$/);
    expect(() => expectCaught(ticketLock, "irqs-on", { property: "nosuch" })).toThrow(/^model ticket-lock has no property 'nosuch' \(known: .*deadlock/);
    expect(() => expectSurvives(ticketLock, "irqsave", { config: { foo: 1 } })).toThrow(/^model ticket-lock has no setting 'foo' \(known: cpus, maxSteps/);
    expect(() => huntModel(ticketLock, "irqsave", { strategy: "psychic" })).toThrow(/^unknown strategy 'psychic' \(known: fast-check, random, pct, pctwm, exhaustive, pos, surw, rff\)$/);
  });

  it("KRH_RUNS that is not a whole number >= 1 is an error, not a check turned off", () => {
    vi.stubEnv("KRH_RUNS", "abc");
    expect(() => runsFromEnv(100)).toThrow(/^KRH_RUNS must be a whole number >= 1, got 'abc'$/);
    vi.stubEnv("KRH_RUNS", "0");
    expect(() => runsFromEnv(100)).toThrow(/got '0'/);
    vi.stubEnv("KRH_RUNS", "250");
    expect(runsFromEnv(100)).toBe(250);
    vi.unstubAllEnvs();
    expect(runsFromEnv(100)).toBe(process.env.KRH_RUNS ? Number(process.env.KRH_RUNS) : 100);
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
    expect(message).toMatch(/^>> +d2 \| ⚡nic#1: spins until tx_lock serves ticket 1/m);
    expect(fs.readdirSync(path.join(dir, "ticket-lock"))).toHaveLength(1);
  });

  it("a random seed is printed, and returned", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const r = huntModel(ticketLock, "irqsave", { runs: 5, seed: "random" });
    expect(log).toHaveBeenCalledWith(`ticket-lock/irqsave: seed ${r.seed} (random)`);
    expect(r.runs).toBe(5);
  });
});
