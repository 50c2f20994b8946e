// Counterexample files: what they hold, how they are named, read, checked
// and written. Everything but `found` is a pure function of what was
// hunted, so the same hunt writes the same file.
import { createHash } from "node:crypto";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import type { MachineConfig, AnyModel } from "../kernel/model.ts";
import { KERNEL_SETTINGS, OPTIONAL_KERNEL_SETTINGS, allProperties } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { eventShapeError } from "../sim/events.ts";
import { Run } from "./run.ts";

export const FORMAT = "krh-counterexample/1";

export interface Counterexample {
  format: string;
  model: string;
  variant: string;
  property: string;
  config: MachineConfig;
  workload: unknown;
  schedule: ScheduleEvent[];
  failure: { message: string; event: number; contexts: string[] };
  /**
   * How it was found: strategy, the hunt's seed, the part of a split hunt
   * ("2/4") if it was one, runs to it; for a model of one's own, the model
   * file hunted, relative to this file's folder.
   */
  found: { strategy: string; seed: number; shard?: string; runs: number; fastCheck: string; date: string; modelFile?: string };
}

/** The part that identifies a counterexample: all but `found`. */
function core(cx: Counterexample): Omit<Counterexample, "found"> {
  const { found: _found, ...rest } = cx;
  return rest;
}

function hashOf(cx: Counterexample): string {
  return createHash("sha256").update(JSON.stringify(core(cx))).digest("hex").slice(0, 8);
}

/** counterexamples/<model>/<variant>--<property>--<hash>.json, relative to the output folder. */
export function relativePath(cx: Counterexample): string {
  return path.join(cx.model, `${cx.variant}--${cx.property}--${hashOf(cx)}.json`);
}

/** JSON with one schedule event per line, so diffs and reviews read well. */
export function serialize(cx: Counterexample): string {
  const lines: string[] = ["{"];
  const entries = Object.entries(cx);
  entries.forEach(([k, v], i) => {
    const comma = i < entries.length - 1 ? "," : "";
    if (k === "schedule") {
      const evs = (v as ScheduleEvent[]).map((e) => `    ${JSON.stringify(e)}`);
      lines.push(evs.length === 0 ? `  "schedule": []${comma}` : `  "schedule": [\n${evs.join(",\n")}\n  ]${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v, null, 2).replace(/\n/g, "\n  ")}${comma}`);
    }
  });
  lines.push("}");
  return lines.join("\n") + "\n";
}

export interface Saved {
  path: string;
  /** False when an identical counterexample was already saved there. */
  created: boolean;
}

/**
 * Writes atomically (a temporary file, then a hard link that fails if the
 * name is taken) and never replaces a different file.
 */
export function writeCounterexample(outDir: string, cx: Counterexample): Saved {
  const file = path.join(outDir, relativePath(cx));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sameAsSaved = () => {
    const old = readJson(file);
    return "json" in old && JSON.stringify(core(old.json as Counterexample)) === JSON.stringify(core(cx));
  };
  if (fs.existsSync(file)) {
    if (sameAsSaved()) return { path: file, created: false };
    throw new Error(`${file} exists and holds a different counterexample; not overwriting it`);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, serialize(cx));
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    if (!sameAsSaved()) throw new Error(`${file} appeared meanwhile with a different counterexample; not overwriting it`);
    return { path: file, created: false };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return { path: file, created: true };
}

/**
 * Whether a workload read from a file is one the model's arbitrary could
 * give. One made with .map() and no unmapper cannot recognise even what it
 * generates itself: its workloads are taken as they are (setting the model
 * up with it is the check), and are not shrunk.
 */
function fitsWorkload(arb: fc.Arbitrary<unknown>, w: unknown): boolean {
  return arb.canShrinkWithoutContext(w) || !recognisesItsOwn(arb);
}

function recognisesItsOwn(arb: fc.Arbitrary<unknown>): boolean {
  const [sample] = fc.sample(arb, { numRuns: 1, seed: 0 });
  return arb.canShrinkWithoutContext(sample);
}

export type ReadResult = { cx: Counterexample; model: AnyModel } | { error: string };

/** The longest schedule a file may hold: a shrunk one has tens of events. */
export const MAX_SCHEDULE_EVENTS = 10_000;

/** The largest counterexample file read: a saved one is a few kilobytes. */
export const MAX_FILE_BYTES = 1 << 20;

/** A counterexample file's text: a regular file (never a FIFO or a device, which could block), within the size limit, a BOM dropped. */
export function readCounterexampleText(file: string): { text: string } | { error: string } {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return { error: "not a regular file" };
    if (st.size > MAX_FILE_BYTES) return { error: `${st.size} bytes, more than a counterexample file may hold (${MAX_FILE_BYTES})` };
    return { text: fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "") };
  } catch (err) {
    return { error: `cannot read it: ${(err as Error).message}` };
  }
}

function readJson(file: string): { json: unknown } | { error: string } {
  const read = readCounterexampleText(file);
  if ("error" in read) return read;
  const text = read.text;
  try {
    return { json: JSON.parse(text) };
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message.replace(/\s+/g, " ")}` };
  }
}

/** Reads and checks a file; the error is one line saying what is wrong. */
export function readCounterexampleFile(file: string, findModel: (name: string) => AnyModel | undefined): ReadResult {
  const r = readJson(file);
  return "error" in r ? r : validate(r.json, findModel);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function validate(json: unknown, findModel: (name: string) => AnyModel | undefined): ReadResult {
  if (!isObj(json)) return { error: "not a JSON object" };
  if (json.format !== FORMAT) return { error: `unknown format ${JSON.stringify(json.format)} (expected "${FORMAT}")` };
  if (typeof json.model !== "string") return { error: "no model name" };
  const model = findModel(json.model);
  if (model === undefined) return { error: `unknown model '${json.model}'` };
  if (typeof json.variant !== "string" || model.variants[json.variant] === undefined)
    return { error: `model ${model.name} has no variant '${String(json.variant)}' (known: ${Object.keys(model.variants).join(", ")})` };
  if (typeof json.property !== "string" || !allProperties(model).includes(json.property))
    return { error: `model ${model.name} has no property '${String(json.property)}' (known: ${allProperties(model).join(", ")})` };
  const config = json.config;
  if (!isObj(config)) return { error: "no config object" };
  if (!Number.isInteger(config.cpus) || (config.cpus as number) < 1 || (config.cpus as number) > 64) return { error: "config.cpus must be a whole number from 1 to 64" };
  if (!Number.isInteger(config.maxSteps) || (config.maxSteps as number) < 1) return { error: "config.maxSteps must be a whole number of at least 1" };
  // Settings: the model's and the kernel's, each of its own type; one the file lacks takes its default.
  const known: Record<string, number | string> = { ...KERNEL_SETTINGS, ...model.defaults };
  const accepted: Record<string, number | string> = { ...known, ...Object.fromEntries(Object.entries(OPTIONAL_KERNEL_SETTINGS).filter(([k]) => !(k in known))) };
  for (const [k, v] of Object.entries(config)) {
    if (!(k in accepted)) return { error: `config.${k} is not a setting of model ${model.name} (known: ${Object.keys(accepted).join(", ")})` };
    if (typeof v !== typeof accepted[k]) return { error: `config.${k} must be a ${typeof accepted[k]}` };
  }
  const cfg = { ...config } as MachineConfig;
  for (const [k, v] of Object.entries(known)) if (!(k in cfg)) cfg[k] = v;
  if (!fitsWorkload(model.workload(cfg), json.workload))
    return { error: `the workload does not fit model ${model.name} with ${cfg.cpus} cpu(s)${model.workloadHelp ? `; expected ${model.workloadHelp}` : ""}` };
  if (!Array.isArray(json.schedule)) return { error: "schedule is not a list" };
  if (json.schedule.length > MAX_SCHEDULE_EVENTS) return { error: `schedule has ${json.schedule.length} events, more than a counterexample may hold (${MAX_SCHEDULE_EVENTS})` };
  let envSources: string[];
  try {
    envSources = new Run(model, json.variant, cfg, json.workload).machine.envSources.map((s) => s.name);
  } catch (err) {
    return { error: `model ${model.name} cannot set up this workload: ${(err as Error).message}` };
  }
  for (let i = 0; i < json.schedule.length; i++) {
    const e = json.schedule[i];
    const bad = eventShapeError(e, envSources);
    if (bad !== undefined) return { error: `schedule event ${i} ${bad}` };
    const cpu = (e as { cpu?: number }).cpu;
    if (cpu !== undefined && cpu >= cfg.cpus) return { error: `schedule event ${i} names cpu${cpu}, but the machine has ${cfg.cpus} cpu(s)` };
  }
  const f = json.failure;
  if (!isObj(f) || typeof f.message !== "string" || !Number.isInteger(f.event) || !Array.isArray(f.contexts)) return { error: "failure must hold message, event and contexts" };
  const found = json.found;
  if (!isObj(found) || typeof found.strategy !== "string" || !Number.isInteger(found.seed) || !Number.isInteger(found.runs) || typeof found.fastCheck !== "string" || typeof found.date !== "string")
    return { error: "found must hold strategy, seed, runs, fastCheck and date" };
  if (found.shard !== undefined && (typeof found.shard !== "string" || !/^\d+\/\d+$/.test(found.shard))) return { error: "found.shard must look like 2/4" };
  if (found.modelFile !== undefined && typeof found.modelFile !== "string") return { error: "found.modelFile must be a path" };
  return { cx: { ...(json as unknown as Counterexample), config: cfg }, model };
}

/** Every .json file under a folder, sorted; a file path is returned as it is. */
export function counterexampleFiles(target: string): string[] {
  if (!fs.existsSync(target)) return [];
  if (!fs.statSync(target).isDirectory()) return [target];
  const out: string[] = [];
  for (const e of fs.readdirSync(target, { withFileTypes: true })) {
    const p = path.join(target, e.name);
    if (e.isDirectory()) out.push(...counterexampleFiles(p));
    else if (e.name.endsWith(".json")) out.push(p);
  }
  return out.sort();
}
