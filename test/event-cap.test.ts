// An online strategy schedules at most --event-cap events in a run, then the
// default drain finishes it: the summary says how many runs that cut, never
// silently.
import { describe, expect, it } from "vitest";
import { cli, fixture, tmp } from "./helpers/cli.ts";

const long = fixture("long.ts");

describe("--event-cap", () => {
  it("runs longer than the default cap are counted in the summary", async () => {
    const r = await cli(["hunt", "--model-file", long, "--strategy", "random", "--runs", "20", "--quiet", "--out", tmp()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/passed 20 runs in [\d.]+ s; 20 run\(s\) reached the event cap of 400 events and were finished by the default drain \(raise --event-cap to schedule further\)$/m);
  });

  it("a cap above the runs' length schedules them to the end, and says nothing", async () => {
    const r = await cli(["hunt", "--model-file", long, "--strategy", "random", "--runs", "20", "--event-cap", "2000", "--quiet", "--out", tmp()]);
    expect(r.out).toMatch(/passed 20 runs in [\d.]+ s$/m);
  });

  it("is refused for fast-check, whose runs hold the events it generated", async () => {
    const r = await cli(["hunt", "--model-file", long, "--strategy", "fast-check", "--event-cap", "20", "--out", tmp()]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --event-cap is an option of the strategies that schedule online/);
  });
});
