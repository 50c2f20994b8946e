// Hunting a model from vitest: one call declares a test per variant (buggy
// ones must be caught, correct ones must survive) and one per saved
// counterexample of the model (it must replay as saved). Seeds are fixed
// unless asked otherwise, so a test fails or passes the same way every time.
import { randomInt } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "vitest";
import type { Counterexample } from "./harness/counterexample.ts";
import { counterexampleFiles, writeCounterexample } from "./harness/counterexample.ts";
import type { HuntResult } from "./harness/hunt.ts";
import { hunt } from "./harness/hunt.ts";
import { removableEvents } from "./harness/minimize.ts";
import { describeReplay, replayCounterexample, replayFile } from "./harness/replay.ts";
import { renderTrace } from "./explain/trace-text.ts";
import type { AnyModel, MachineConfig } from "./kernel/model.ts";
import { allProperties, variantConfig } from "./kernel/model.ts";
import { STRATEGIES } from "./strategies/index.ts";

export interface HuntModelOptions {
  /** Runs to make (default 1000). */
  runs?: number;
  /** The seed (default 1); "random" picks one and logs it. */
  seed?: number | "random";
  /** "fast-check" (the default), "random", "pct", "pctwm", "exhaustive", "pos", "surw" or "rff". */
  strategy?: string;
  /** Settings over the variant's own: { cpus: 2 }, { lockdep: 0 } ... */
  config?: Partial<MachineConfig>;
  /** Count only failures of this property. */
  property?: string;
  /** Where to save what a hunt finds on a correct variant (default: nowhere; the failure shows its trace). */
  saveTo?: string;
}

export interface Hunted extends HuntResult {
  seed: number;
  config: MachineConfig;
}

/**
 * Runs from $KRH_RUNS when it is set, else `fallback`. A value that is not a
 * whole number >= 1 is an error: a typo must not turn a check off.
 */
export function runsFromEnv(fallback: number): number {
  const v = process.env.KRH_RUNS;
  if (v === undefined || v === "") return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`KRH_RUNS must be a whole number >= 1, got '${v}'`);
  return Number(v);
}

/** Checks a hunt's options against the model, so a mistake is named at once, not after the runs. */
function checkOptions(model: AnyModel, variant: string, o: HuntModelOptions): void {
  const variants = Object.keys(model.variants);
  if (!variants.includes(variant)) throw new Error(`model ${model.name} has no variant '${variant}' (known: ${variants.join(", ")})`);
  if (o.runs !== undefined && (!Number.isInteger(o.runs) || o.runs < 1)) throw new Error(`runs must be a whole number >= 1, got ${o.runs}`);
  const strategies = ["fast-check", ...STRATEGIES.map((s) => s.name)];
  if (o.strategy !== undefined && !strategies.includes(o.strategy)) throw new Error(`unknown strategy '${o.strategy}' (known: ${strategies.join(", ")})`);
  const properties = allProperties(model);
  if (o.property !== undefined && !properties.includes(o.property)) throw new Error(`model ${model.name} has no property '${o.property}' (known: ${properties.join(", ")})`);
  const settings = Object.keys(variantConfig(model, variant));
  for (const k of Object.keys(o.config ?? {})) if (!settings.includes(k)) throw new Error(`model ${model.name} has no setting '${k}' (known: ${settings.join(", ")})`);
}

function seedOf(model: AnyModel, variant: string, seed: number | "random" | undefined): number {
  if (seed !== "random") return seed ?? 1;
  const s = randomInt(0, 2 ** 31 - 1);
  console.log(`${model.name}/${variant}: seed ${s} (random)`);
  return s;
}

/** Hunts one variant of a model. */
export function huntModel(model: AnyModel, variant: string, o: HuntModelOptions = {}): Hunted {
  checkOptions(model, variant, o);
  const config = variantConfig(model, variant, o.config);
  const seed = seedOf(model, variant, o.seed);
  const r = hunt({ model, variant, config, runs: o.runs ?? 1000, seed, strategy: o.strategy, property: o.property });
  return { ...r, seed, config };
}

/**
 * The variant must fail (the property given, if any) within the runs; what
 * it finds must replay as found, be 1-minimal, and pass on the model's
 * correct variants. Returns the counterexample.
 */
export function expectCaught(model: AnyModel, variant: string, o: HuntModelOptions = {}): Counterexample {
  const r = huntModel(model, variant, o);
  const cx = r.counterexample;
  const what = o.property === undefined ? "" : ` breaking ${o.property}`;
  if (cx === undefined) throw new Error(`${model.name}/${variant} was not caught${what} in ${r.runs} runs (seed ${r.seed})`);
  const replay = replayCounterexample(cx, model);
  if (!replay.every((v) => v.ok))
    throw new Error(`${model.name}/${variant}: what the hunt found does not replay as expected:\n${describeReplay({ file: "(hunted)", cx, variants: replay, ok: false }).join("\n")}`);
  const extra = removableEvents({ model, variant, config: cx.config, workload: cx.workload, property: cx.property }, cx.schedule);
  if (extra.length > 0) throw new Error(`${model.name}/${variant}: the schedule found is not 1-minimal: events ${extra.join(", ")} can go`);
  return cx;
}

/** The variant must break nothing within the runs; a failure shows the trace that breaks it (and is saved, with saveTo). */
export function expectSurvives(model: AnyModel, variant: string, o: HuntModelOptions = {}): Hunted {
  const r = huntModel(model, variant, o);
  const cx = r.counterexample;
  if (cx === undefined) return r;
  const saved = o.saveTo === undefined ? "" : `\nsaved ${writeCounterexample(o.saveTo, cx).path}`;
  throw new Error(`${model.name}/${variant} broke ${cx.property} after ${r.runs} run(s) (seed ${r.seed}): ${cx.failure.message}${saved}\n${renderTrace(cx, model)}`);
}

export interface DescribeModelOptions extends HuntModelOptions {
  /** Runs for correct variants (default: runs, or $KRH_RUNS when set). */
  correctRuns?: number;
  /** A folder of saved counterexamples: those of this model are replayed, one test each (default: counterexamples, if it exists). */
  counterexamples?: string;
}

/** Counterexample files under `dir` that belong to `model`. */
function filesOf(model: AnyModel, dir: string): string[] {
  return counterexampleFiles(dir).filter((f) => {
    try {
      return (JSON.parse(fs.readFileSync(f, "utf8")) as { model?: unknown }).model === model.name;
    } catch {
      return false; // not this model's to judge; the replay of the folder reports it
    }
  });
}

/**
 * One test per variant (buggy ones caught, correct ones surviving), and one
 * per saved counterexample of the model.
 */
export function describeModel(model: AnyModel, o: DescribeModelOptions = {}): void {
  const runs = o.runs ?? 1000;
  const correctRuns = o.correctRuns ?? runsFromEnv(runs);
  const seed = o.seed ?? 1;
  const dir = o.counterexamples ?? "counterexamples";
  describe(model.name, () => {
    for (const [variant, spec] of Object.entries(model.variants)) {
      if (spec.correct) it(`${variant} survives ${correctRuns} runs (seed ${seed})`, () => void expectSurvives(model, variant, { ...o, runs: correctRuns }));
      else it(`${variant} is caught within ${runs} runs (seed ${seed})`, () => void expectCaught(model, variant, { ...o, runs }));
    }
    for (const file of filesOf(model, dir)) {
      it(`replays ${path.relative(dir, file)}`, () => {
        const r = replayFile(file, (name) => (name === model.name ? model : undefined));
        if (!r.ok) throw new Error(describeReplay(r).join("\n"));
      });
    }
  });
}
