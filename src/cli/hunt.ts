// hunt: search variants of a model for a failing run; save what is found.
import { randomInt } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readCounterexampleFile, relativePath, serialize, writeCounterexample } from "../harness/counterexample.ts";
import type { HuntOptions, HuntResult, Shard } from "../harness/hunt.ts";
import { hunt } from "../harness/hunt.ts";
import { recordedModelFile } from "../harness/model-lookup.ts";
import { huntParallel } from "../harness/parallel.ts";
import { HuntProgress, wantsLiveLine } from "../harness/progress.ts";
import type { AnyModel, MachineConfig } from "../kernel/model.ts";
import { KERNEL_SETTINGS, OPTIONAL_KERNEL_SETTINGS, allProperties, variantConfig } from "../kernel/model.ts";
import { BUILTIN_MODELS_MODULE, MODELS } from "../models/index.ts";
import { isMemoryModel, MEMORY_MODELS } from "../sim/memory.ts";
import { STRATEGIES, findStrategy } from "../strategies/index.ts";
import type { BoundKind } from "../strategies/scheduler.ts";
import { BOUND_KINDS } from "../strategies/scheduler.ts";
import type { Io } from "./common.ts";
import { UsageError, oneOf, parse, wholeNumber } from "./common.ts";
import { modelToHunt } from "./models.ts";

const STRATEGY_NAMES = ["fast-check", "portfolio", ...STRATEGIES.map((s) => s.name)];

/** A hunt as the command line asked for it, checked. */
export interface HuntPlan {
  model: AnyModel;
  /** The model's file, when it is a model of one's own. */
  modelFile?: string;
  variants: string[];
  strategy: string;
  depth?: number;
  bound?: number;
  workloads?: number;
  boundKind?: BoundKind;
  eventCap?: number;
  property?: string;
  runs: number;
  seed: number;
  seedRandom: boolean;
  overrides: Partial<MachineConfig>;
  workers: number;
  shard?: Shard;
  outDir: string;
  quiet: boolean;
}

/** Checks a hunt's arguments without hunting or writing anything; every mistake is a UsageError. */
export async function planHunt(args: string[]): Promise<HuntPlan> {
  const { values, positionals } = parse("hunt", args, {
    "model-file": { type: "string" },
    variant: { type: "string", multiple: true },
    correct: { type: "boolean" },
    runs: { type: "string" },
    seed: { type: "string" },
    strategy: { type: "string" },
    depth: { type: "string" },
    bound: { type: "string" },
    "bound-kind": { type: "string" },
    workloads: { type: "string" },
    "event-cap": { type: "string" },
    workers: { type: "string" },
    shard: { type: "string" },
    cpus: { type: "string" },
    memory: { type: "string" },
    property: { type: "string" },
    "max-steps": { type: "string" },
    set: { type: "string", multiple: true },
    out: { type: "string" },
    quiet: { type: "boolean" },
  });
  if (positionals.length > 1) throw new UsageError(`hunt takes one model, got '${positionals.join(" ")}'`);
  const modelFile = values["model-file"] as string | undefined;
  const model = await modelToHunt(positionals[0], modelFile);
  const known = Object.keys(model.variants);
  const asked = values.variant as string[] | undefined;
  if (asked !== undefined && values.correct) throw new UsageError("give --variant or --correct, not both");
  for (const v of asked ?? []) if (model.variants[v] === undefined) throw new UsageError(`model ${model.name} has no variant '${v}' (known: ${known.join(", ")})`);
  const variants = asked !== undefined ? [...new Set(asked)] : values.correct ? known.filter((v) => model.variants[v]!.correct) : known;
  if (variants.length === 0) throw new UsageError(`model ${model.name} has no correct variant to hunt with --correct (its variants: ${known.join(", ")}, all buggy)`);

  // The command line hunts with the portfolio unless told otherwise: no one strategy's blind spot is the default's.
  const strategy = (values.strategy as string | undefined) ?? "portfolio";
  if (!STRATEGY_NAMES.includes(strategy)) throw new UsageError(`unknown strategy '${strategy}' (known: ${STRATEGY_NAMES.join(", ")})`);
  const depth = wholeNumber("--depth", values.depth as string | undefined, 1, 20);
  const bound = wholeNumber("--bound", values.bound as string | undefined, 0, 10);
  const workloads = wholeNumber("--workloads", values.workloads as string | undefined, 1);
  const boundKind = values["bound-kind"] as BoundKind | undefined;
  if (boundKind !== undefined) {
    if (!(BOUND_KINDS as readonly string[]).includes(boundKind)) throw new UsageError(`--bound-kind takes ${oneOf([...BOUND_KINDS])}, got '${boundKind}'`);
    if (strategy !== "exhaustive") throw new UsageError(`--bound-kind is an option of exhaustive, not of ${strategy}`);
  }
  const eventCap = wholeNumber("--event-cap", values["event-cap"] as string | undefined, 1);
  if (eventCap !== undefined && strategy === "fast-check") throw new UsageError("--event-cap is an option of the strategies that schedule online (random, pct, exhaustive, ...), not of fast-check, whose runs hold the events it generated");
  const uses = findStrategy(strategy)?.options ?? [];
  for (const [flag, v] of [["depth", depth], ["bound", bound], ["workloads", workloads]] as const)
    if (v !== undefined && !uses.includes(flag)) throw new UsageError(`--${flag} is an option of ${flag === "depth" ? "pct and pctwm" : "exhaustive"}, not of ${strategy}`);
  const property = values.property as string | undefined;
  if (property !== undefined && !allProperties(model).includes(property))
    throw new UsageError(`model ${model.name} has no property '${property}' (known: ${allProperties(model).join(", ")})`);
  // Exhaustive search runs until it has tried every schedule in its bound, unless told to stop sooner.
  const runs = wholeNumber("--runs", values.runs as string | undefined, 1) ?? (strategy === "exhaustive" ? Number.MAX_SAFE_INTEGER : 1000);
  const seedArg = values.seed as string | undefined;
  const seedRandom = seedArg === "random";
  const seed = seedRandom ? randomInt(0, 2 ** 31 - 1) : (wholeNumber("--seed", seedArg, -(2 ** 31), 2 ** 31 - 1) ?? 1);
  const overrides = settings(model, values);
  const workers = wholeNumber("--workers", values.workers as string | undefined, 1, 64) ?? 1;
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard as string);
    if (m === null || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard takes I/N with 1 <= I <= N, for example 2/4, got '${values.shard}'`);
    shard = { index: Number(m[1]) - 1, count: Number(m[2]) };
  }
  const outDir = (values.out as string | undefined) ?? "counterexamples";
  return { model, modelFile, variants, strategy, depth, bound, workloads, boundKind, eventCap, property, runs, seed, seedRandom, overrides, workers, shard, outDir, quiet: values.quiet === true };
}

/** The machine settings asked for: --cpus, --max-steps, --memory and every --set. */
function settings(model: AnyModel, values: Record<string, unknown>): Partial<MachineConfig> {
  const overrides: Partial<MachineConfig> = {};
  const cpus = wholeNumber("--cpus", values.cpus as string | undefined, 1, 64);
  if (cpus !== undefined) overrides.cpus = cpus;
  const maxSteps = wholeNumber("--max-steps", values["max-steps"] as string | undefined, 1);
  if (maxSteps !== undefined) overrides.maxSteps = maxSteps;
  const known = { ...KERNEL_SETTINGS, ...OPTIONAL_KERNEL_SETTINGS, ...model.defaults };
  const memory = (key: string, value: string) => {
    if (!("memory" in model.defaults)) {
      const withOne = MODELS.filter((m) => "memory" in m.defaults).map((m) => m.name);
      throw new UsageError(`model ${model.name} has no memory setting, so ${key} does not apply (models with one: ${withOne.length > 0 ? withOne.join(", ") : "none built in"})`);
    }
    if (!isMemoryModel(value)) throw new UsageError(`${key} takes ${oneOf(MEMORY_MODELS)}, got '${value}'`);
    return value;
  };
  if (values.memory !== undefined) overrides.memory = memory("--memory", values.memory as string);
  for (const kv of (values.set as string[] | undefined) ?? []) {
    const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(kv);
    if (m === null) throw new UsageError(`--set takes KEY=VALUE, for example --set lockdep=0, got '${kv}'`);
    const [, key, value] = m as unknown as [string, string, string];
    if (key === "cpus" || key === "maxSteps") throw new UsageError(`use --${key === "cpus" ? "cpus" : "max-steps"} for ${key}`);
    if (!(key in known)) throw new UsageError(`model ${model.name} has no setting '${key}' (known: ${Object.keys(known).filter((k) => k !== "cpus" && k !== "maxSteps").join(", ")})`);
    if (key === "lockdep" && value !== "0" && value !== "1") throw new UsageError(`--set lockdep takes 0 (off) or 1 (on), got '${value}'`);
    if (key === "memory" && values.memory !== undefined) throw new UsageError("give the memory model once: --memory or --set memory, not both");
    overrides[key] = key === "memory" ? memory("--set memory", value) : typeof known[key] === "number" ? (wholeNumber(`--set ${key}`, value, 0) as number) : value;
  }
  return overrides;
}

/** The output folder must be a folder we can write in, before any hunting: it is created now if missing, with its parents. */
function usableOutDir(dir: string): void {
  if (dir.trim() === "") throw new UsageError("--out needs a folder name");
  try {
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true });
    if (!fs.statSync(dir).isDirectory()) throw new Error("not a folder");
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOTDIR" ? "a part of this path is a file, not a folder" : code === "ENOENT" ? "its parent folder does not exist" : (err as Error).message;
    throw new UsageError(`--out ${dir}: ${why}`);
  }
}

export async function cmdHunt(args: string[], io: Io): Promise<number> {
  const p = await planHunt(args);
  usableOutDir(p.outDir);
  const { model, strategy, runs, shard, workers } = p;
  const extra = [p.depth !== undefined ? `depth ${p.depth}` : "", p.bound !== undefined ? `bound ${p.bound}` : "", p.workloads !== undefined ? `${p.workloads} workload(s)` : ""].filter(Boolean).join(", ");
  const split = [workers > 1 ? `${workers} workers` : "", shard ? `shard ${shard.index + 1}/${shard.count}` : ""].filter(Boolean).join(", ");
  const budget = runs === Number.MAX_SAFE_INTEGER ? "every schedule" : `${runs} runs`;
  const from = p.modelFile === undefined ? "" : ` (${p.modelFile})`;
  io.out(`hunting ${model.name}${from} with ${strategy}${extra ? ` (${extra})` : ""}, seed ${p.seed}${p.seedRandom ? " (random)" : ""}, ${budget} per variant${split ? `, ${split}` : ""}`);

  const progress = p.quiet
    ? undefined
    : new HuntProgress({
        stream: io.tty,
        live: wantsLiveLine(io.tty),
        line: io.err,
        what: model.name,
        variants: p.variants.length,
        budget: runs === Number.MAX_SAFE_INTEGER ? undefined : Math.ceil(runs / (shard?.count ?? 1)),
      });
  const say = (s: string) => {
    progress?.clear();
    io.out(s);
  };
  let failed = false;
  for (const variant of p.variants) {
    const config = variantConfig(model, variant, p.overrides);
    const opts: HuntOptions = {
      model,
      variant,
      config,
      runs,
      seed: p.seed,
      property: p.property,
      strategy,
      depth: p.depth,
      bound: p.bound,
      workloads: p.workloads,
      boundKind: p.boundKind,
      eventCap: p.eventCap,
      shard,
      onRun: progress && ((n) => progress.runs(n)),
      onFound: progress && ((property) => progress.found(property)),
    };
    progress?.begin(`${model.name}/${variant}`);
    const r: HuntResult = workers > 1 ? await huntParallel(opts, workers, { modelFile: p.modelFile, builtins: BUILTIN_MODELS_MODULE }) : hunt(opts);
    progress?.end(r.runs);
    const where = `${model.name}/${variant} (${Object.entries(config).map(([k, v]) => `${k}=${v}`).join(" ")})`;
    const secs = (r.elapsedMs / 1000).toFixed(1);
    if (r.counterexample === undefined) {
      const what = p.property === undefined ? "no failure" : `no failure of ${p.property}`;
      // With --property, runs that another property ended before it could be reached are said, never hidden in "passed".
      const early = Object.entries(r.endedEarly ?? {});
      const endedEarly = early.length === 0 ? "" : `; ${early.reduce((n, [, k]) => n + k, 0)} run(s) ended early on another property (${early.map(([q, k]) => `${q}: ${k}`).join(", ")})`;
      // A run the strategy stopped scheduling at the cap was finished by the default drain: said, never hidden.
      const capped = (r.capped?.runs ?? 0) === 0 ? "" : `; ${r.capped!.runs} run(s) reached the event cap of ${r.capped!.cap} events and were finished by the default drain (raise --event-cap to schedule further)`;
      const cut = endedEarly + capped;
      // What the reduction left out is said (those choices lead nowhere new), and so is a cap that cut runs short: then not every schedule was tried.
      // A choice the reduction left out stands for one schedule or more.
      const slept = Number(r.report?.slept ?? 0) > 0 ? ` (and at least ${r.report?.slept} more left out by the reduction as orders of independent steps)` : "";
      const allTried = (r.capped?.runs ?? 0) === 0 ? "all tried" : `all tried up to the event cap of ${r.capped!.cap} events`;
      if (r.exhausted) say(`${where}: ${what} with up to ${r.report?.bound} ${r.report?.boundKind}s: ${r.report?.schedules} schedules${slept} over ${r.report?.workloads} distinct workload(s), ${allTried}, in ${secs} s${cut}`);
      else if (strategy === "exhaustive")
        say(`${where}: ${p.property === undefined ? "passed" : what + " in"} ${r.runs} schedules in ${secs} s, not all tried (${Number(r.report?.levelsComplete) < 0 ? "not even those of cost 0" : `every schedule of up to ${r.report?.levelsComplete} ${r.report?.boundKind}s was`}): raise --runs to finish${cut}`);
      else say(`${where}: ${p.property === undefined ? "passed" : what + " in"} ${r.runs} runs in ${secs} s${cut}`);
      continue;
    }
    failed = true;
    const cx = r.counterexample;
    if (p.modelFile !== undefined) cx.found.modelFile = recordedModelFile(path.join(p.outDir, relativePath(cx)), p.modelFile);
    let saved;
    try {
      saved = writeCounterexample(p.outDir, cx);
    } catch (err) {
      // Never lose what was found: print it, so it can be saved by hand; a property did fail, so exit 1.
      io.err(`error: ${cx.property} broken, but the counterexample could not be saved in ${p.outDir}: ${(err as Error).message.replace(/\s*\n\s*/g, " ")}; here it is, to save by hand:`);
      say(serialize(cx));
      failed = true;
      continue;
    }
    say(`${where}: ${cx.property} broken after ${r.runs} run(s), ${secs} s; shrunk to ${cx.schedule.length} event(s)`);
    say(`  ${cx.failure.message}`);
    // A file the hunt saved must replay: read it back, as replay and show will.
    const back = readCounterexampleFile(saved.path, (n) => (n === model.name ? model : undefined));
    if ("error" in back) {
      io.err(`error: ${saved.path} was saved but cannot be read back: ${back.error}`);
      failed = true;
      continue;
    }
    say(`  ${saved.created ? "saved" : "already saved as"} ${saved.path}`);
  }
  progress?.finish();
  return failed ? 1 : 0;
}
