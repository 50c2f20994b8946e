// Command line: list, hunt, replay, show.
// Exit codes: 0 nothing found / replay as expected; 1 a property failed;
// 2 bad usage or unreadable input, with a one-line reason.
import { randomInt } from "node:crypto";
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { readCounterexampleFile, serialize, writeCounterexample } from "./harness/counterexample.ts";
import type { Shard } from "./harness/hunt.ts";
import { hunt } from "./harness/hunt.ts";
import { huntParallel } from "./harness/parallel.ts";
import { describeReplay, replayAll } from "./harness/replay.ts";
import { renderTrace } from "./harness/trace-text.ts";
import type { MachineConfig, AnyModel } from "./kernel/model.ts";
import { KERNEL_SETTINGS, MACHINE_PROPERTIES, allProperties, variantConfig } from "./kernel/model.ts";
import { MODELS, findModel } from "./models/index.ts";
import { STRATEGIES, findStrategy } from "./strategies/index.ts";

const USAGE = `usage:
  npx tsx src/cli.ts list [--json]
  npx tsx src/cli.ts hunt <model> [--variant V] [--runs N] [--seed S|random] [--strategy S]
                          [--depth D] [--bound K] [--workloads W] [--workers N] [--shard I/N]
                          [--cpus N] [--property P] [--max-steps N] [--set K=V]... [--out DIR]
  npx tsx src/cli.ts replay <file|dir>...
  npx tsx src/cli.ts show <file>

hunt options:
  --variant V     hunt one variant (default: every variant of the model)
  --runs N        runs per variant (default 1000; exhaustive: until every schedule is tried)
  --seed S        fast-check seed, a whole number (default 1); 'random' picks one and prints it
  --strategy S    schedule source:
                    fast-check  model-based commands, generated and shrunk by fast-check (the default)
                    random      a uniform random walk over the enabled events
                    pct         probabilistic concurrency testing; --depth D: bug depth (default 3)
                    exhaustive  every schedule with at most --bound K deviations from the default
                                policy (default 2), over --workloads W workloads (default 20);
                                reports when it has tried them all
  --workers N     hunt on N worker threads, each its own part of the hunt; the first failure wins
  --shard I/N     hunt part I (1 to N) of a hunt split N ways, as one job of a CI matrix: disjoint
                  seed streams (exhaustive: disjoint workloads), --runs split among the parts
  --cpus N        CPUs of the simulated machine (default: the variant's own setting)
  --property P    count only failures of property P (default: the first property that fails)
  --max-steps N   actions after which a run counts as a hang (default: the model's)
  --set K=V       a setting (see 'list': each variant's config), for example --set signalThreshold=256,
                  or --set lockdep=0 to leave the lock validator out and let the hunt find the deadlocks
  --out DIR       where counterexamples are saved (default: counterexamples)`;

export class UsageError extends Error {}

const STRATEGY_NAMES = ["fast-check", ...STRATEGIES.map((s) => s.name)];

function wholeNumber(flag: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, got '${v}'`);
  return n;
}

function modelNamed(name: string | undefined): AnyModel {
  if (name === undefined) throw new UsageError(`hunt needs a model name (known: ${MODELS.map((m) => m.name).join(", ")})`);
  const m = findModel(name);
  if (m === undefined) throw new UsageError(`unknown model '${name}' (known: ${MODELS.map((m) => m.name).join(", ")})`);
  return m;
}

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

function parse(args: string[], options: Options) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!);
  }
}

function cmdList(args: string[], out: (s: string) => void): number {
  const { values, positionals } = parse(args, { json: { type: "boolean" } });
  if (positionals.length > 0) throw new UsageError(`list takes no arguments, got '${positionals[0]}'`);
  const data = MODELS.map((m) => ({
    name: m.name,
    description: m.description,
    variants: Object.entries(m.variants).map(([name, v]) => ({ name, correct: v.correct, description: v.description, config: variantConfig(m, name) })),
    properties: { ...m.properties, ...MACHINE_PROPERTIES },
  }));
  if (values.json) {
    out(JSON.stringify({ models: data }, null, 2));
    return 0;
  }
  for (const m of data) {
    out(`${m.name}: ${m.description}`);
    out("  variants:");
    for (const v of m.variants) out(`    ${v.name.padEnd(18)} ${v.correct ? "correct" : "buggy  "}  ${v.description}`);
    out("  properties:");
    for (const [p, d] of Object.entries(m.properties)) if (!(p in MACHINE_PROPERTIES)) out(`    ${p.padEnd(18)} ${d}`);
  }
  out("every model is also checked for:");
  for (const [p, d] of Object.entries(MACHINE_PROPERTIES)) out(`    ${p.padEnd(18)} ${d}`);
  return 0;
}

async function cmdHunt(args: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse(args, {
    variant: { type: "string" },
    runs: { type: "string" },
    seed: { type: "string" },
    strategy: { type: "string" },
    depth: { type: "string" },
    bound: { type: "string" },
    workloads: { type: "string" },
    workers: { type: "string" },
    shard: { type: "string" },
    cpus: { type: "string" },
    property: { type: "string" },
    "max-steps": { type: "string" },
    set: { type: "string", multiple: true },
    out: { type: "string" },
  });
  if (positionals.length > 1) throw new UsageError(`hunt takes one model, got '${positionals.join(" ")}'`);
  const model = modelNamed(positionals[0]);
  const variants = values.variant === undefined ? Object.keys(model.variants) : [values.variant as string];
  for (const v of variants)
    if (model.variants[v] === undefined) throw new UsageError(`model ${model.name} has no variant '${v}' (known: ${Object.keys(model.variants).join(", ")})`);
  const strategy = (values.strategy as string | undefined) ?? "fast-check";
  if (!STRATEGY_NAMES.includes(strategy)) throw new UsageError(`unknown strategy '${strategy}' (known: ${STRATEGY_NAMES.join(", ")})`);
  const depth = wholeNumber("--depth", values.depth as string | undefined, 1, 20);
  const bound = wholeNumber("--bound", values.bound as string | undefined, 0, 10);
  const workloads = wholeNumber("--workloads", values.workloads as string | undefined, 1);
  const uses = strategy === "fast-check" ? [] : findStrategy(strategy)!.options;
  for (const [flag, v] of [["depth", depth], ["bound", bound], ["workloads", workloads]] as const)
    if (v !== undefined && !uses.includes(flag)) throw new UsageError(`--${flag} is an option of ${flag === "depth" ? "pct" : "exhaustive"}, not of ${strategy}`);
  const property = values.property as string | undefined;
  if (property !== undefined && !allProperties(model).includes(property))
    throw new UsageError(`model ${model.name} has no property '${property}' (known: ${allProperties(model).join(", ")})`);
  // Exhaustive search runs until it has tried every schedule in its bound, unless told to stop sooner.
  const runs = wholeNumber("--runs", values.runs as string | undefined, 1) ?? (strategy === "exhaustive" ? Number.MAX_SAFE_INTEGER : 1000);
  const seedArg = values.seed as string | undefined;
  const seed = seedArg === "random" ? randomInt(0, 2 ** 31 - 1) : (wholeNumber("--seed", seedArg, -(2 ** 31), 2 ** 31 - 1) ?? 1);
  const overrides: Partial<MachineConfig> = {};
  const cpus = wholeNumber("--cpus", values.cpus as string | undefined, 1, 64);
  if (cpus !== undefined) overrides.cpus = cpus;
  const maxSteps = wholeNumber("--max-steps", values["max-steps"] as string | undefined, 1);
  if (maxSteps !== undefined) overrides.maxSteps = maxSteps;
  for (const kv of (values.set as string[] | undefined) ?? []) {
    const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(kv);
    if (m === null) throw new UsageError(`--set takes KEY=VALUE, got '${kv}'`);
    const [, key, value] = m as unknown as [string, string, string];
    if (key === "cpus" || key === "maxSteps") throw new UsageError(`use --${key === "cpus" ? "cpus" : "max-steps"} for ${key}`);
    const known = { ...KERNEL_SETTINGS, ...model.defaults };
    if (!(key in known)) throw new UsageError(`model ${model.name} has no setting '${key}' (known: ${Object.keys(known).filter((k) => k !== "cpus" && k !== "maxSteps").join(", ")})`);
    overrides[key] = typeof known[key] === "number" ? (wholeNumber(`--set ${key}`, value, 0) as number) : value;
  }
  const workers = wholeNumber("--workers", values.workers as string | undefined, 1, 64) ?? 1;
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard as string);
    if (m === null || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard takes I/N with 1 <= I <= N, got '${values.shard}'`);
    shard = { index: Number(m[1]) - 1, count: Number(m[2]) };
  }
  const outDir = (values.out as string | undefined) ?? "counterexamples";
  usableOutDir(outDir);

  const extra = [depth !== undefined ? `depth ${depth}` : "", bound !== undefined ? `bound ${bound}` : "", workloads !== undefined ? `${workloads} workload(s)` : ""].filter(Boolean).join(", ");
  const split = [workers > 1 ? `${workers} workers` : "", shard ? `shard ${shard.index + 1}/${shard.count}` : ""].filter(Boolean).join(", ");
  const budget = runs === Number.MAX_SAFE_INTEGER ? "every schedule" : `${runs} runs`;
  out(`hunting ${model.name} with ${strategy}${extra ? ` (${extra})` : ""}, seed ${seed}${seedArg === "random" ? " (random)" : ""}, ${budget} per variant${split ? `, ${split}` : ""}`);
  let failed = false;
  for (const variant of variants) {
    const config = variantConfig(model, variant, overrides);
    const opts = { model, variant, config, runs, seed, property, strategy, depth, bound, workloads, shard };
    const r = workers > 1 ? await huntParallel(opts, workers) : hunt(opts);
    const where = `${model.name}/${variant} (${Object.entries(config).map(([k, v]) => `${k}=${v}`).join(" ")})`;
    const secs = (r.elapsedMs / 1000).toFixed(1);
    if (r.counterexample === undefined) {
      const what = property === undefined ? "no failure" : `no failure of ${property}`;
      if (r.exhausted) out(`${where}: ${what} with up to ${r.report?.bound} deviations: ${r.report?.schedules} schedules over ${r.report?.workloads} workload(s), all tried, in ${secs} s`);
      else if (strategy === "exhaustive") out(`${where}: passed ${r.runs} schedules in ${secs} s, not all tried: raise --runs to finish`);
      else out(`${where}: passed ${r.runs} runs in ${secs} s`);
      continue;
    }
    failed = true;
    const cx = r.counterexample;
    let saved;
    try {
      saved = writeCounterexample(outDir, cx);
    } catch (err) {
      // Never lose what was found: print it, so it can be saved by hand.
      out(serialize(cx));
      throw new UsageError(`${cx.property} broken, but the counterexample could not be saved in ${outDir}: ${(err as Error).message}`);
    }
    out(`${where}: ${cx.property} broken after ${r.runs} run(s), ${secs} s; shrunk to ${cx.schedule.length} event(s)`);
    out(`  ${cx.failure.message}`);
    out(`  ${saved.created ? "saved" : "already saved as"} ${saved.path}`);
  }
  return failed ? 1 : 0;
}

/** The output folder must be a folder we can write in, before any hunting: it is created now if missing (not its parents). */
function usableOutDir(dir: string): void {
  try {
    if (!fs.existsSync(dir)) fs.mkdirSync(dir);
    if (!fs.statSync(dir).isDirectory()) throw new Error("not a folder");
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new UsageError(`--out ${dir}: ${(err as Error).message}`);
  }
}

function cmdReplay(args: string[], out: (s: string) => void): number {
  const { positionals } = parse(args, {});
  if (positionals.length === 0) throw new UsageError("replay needs at least one counterexample file or folder");
  for (const p of positionals) if (!fs.existsSync(p)) throw new UsageError(`${p}: no such file or folder`);
  const results = replayAll(positionals, findModel);
  if (results.length === 0) throw new UsageError(`no counterexample files (*.json) in ${positionals.join(", ")}`);
  for (const r of results) for (const l of describeReplay(r)) out(l);
  const unreadable = results.filter((r) => r.cx === undefined).length;
  const bad = results.filter((r) => !r.ok).length;
  out(`${results.length - bad} as expected, ${bad - unreadable} not as expected, ${unreadable} unreadable`);
  return unreadable > 0 ? 2 : bad > 0 ? 1 : 0;
}

function cmdShow(args: string[], out: (s: string) => void): number {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new UsageError("show takes exactly one counterexample file");
  const file = positionals[0]!;
  const r = readCounterexampleFile(file, findModel);
  if ("error" in r) throw new UsageError(`${file}: ${r.error}`);
  out(renderTrace(r.cx, r.model));
  return 0;
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => console.log(s), err: (s: string) => void = (s) => console.error(s)): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "list":
        return cmdList(rest, out);
      case "hunt":
        return await cmdHunt(rest, out);
      case "replay":
        return cmdReplay(rest, out);
      case "show":
        return cmdShow(rest, out);
      case "help":
      case "--help":
      case "-h":
        out(USAGE);
        return 0;
      default:
        throw new UsageError(cmd === undefined ? "no command given" : `unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}`);
      if (/^(no command|unknown command|Unknown option|Option )/.test(e.message)) err(USAGE);
      return 2;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      err(`error: ${(e as Error).message}`); // a file the command could not read or write
      return 2;
    }
    throw e;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(fs.realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));
