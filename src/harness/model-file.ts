// A model of one's own, in a module outside the package: loaded by path,
// checked to be a model, with a one-line reason when it is not.
import * as fs from "node:fs";
import { createRequire, register } from "node:module";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AnyModel } from "../kernel/model.ts";
import { defineModel } from "../kernel/model.ts";

/** A model file that cannot be used; the message is one line. */
export class ModelFileError extends Error {}

const REQUIRED: [key: string, type: "string" | "object" | "function"][] = [
  ["name", "string"],
  ["description", "string"],
  ["variants", "object"],
  ["properties", "object"],
  ["defaults", "object"],
  ["workload", "function"],
  ["setup", "function"],
];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** What keeps a value from being a model, in a few words; undefined when it is one. */
export function modelShapeError(x: unknown): string | undefined {
  if (!isObj(x)) return `it is ${x === null ? "null" : Array.isArray(x) ? "an array" : `a ${typeof x}`}, not a model object`;
  const missing = REQUIRED.filter(([k, t]) => (t === "object" ? !isObj(x[k]) : typeof x[k] !== t)).map(([k, t]) => `${k} (${t === "object" ? "an object" : `a ${t}`})`);
  if (missing.length > 0) return `it lacks ${missing.join(", ")}`;
  const variants = x.variants as Record<string, unknown>;
  for (const [v, spec] of Object.entries(variants))
    if (!isObj(spec) || typeof spec.correct !== "boolean" || typeof spec.description !== "string") return `variant '${v}' needs a description and correct: true or false`;
  const d = x.defaults as Record<string, unknown>;
  if (!Number.isInteger(d.cpus) || !Number.isInteger(d.maxSteps)) return "its defaults need whole numbers cpus and maxSteps";
  try {
    defineModel(x as unknown as AnyModel);
  } catch (err) {
    return (err as Error).message.split("\n")[0];
  }
  return undefined;
}

let ownResolution = false;

/** Lets model files that cannot find the package or fast-check themselves import this copy's (resolve-own.mjs). */
function resolveOwnPackages(): void {
  if (ownResolution) return;
  ownResolution = true;
  register("./resolve-own.mjs", import.meta.url);
}

/**
 * Loads the model a module exports: its default export, or else its one
 * named export that is a model (`name` picks one when it has several).
 */
export async function loadModelFile(file: string, name?: string): Promise<AnyModel> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new ModelFileError(`${file}: no such file`);
  if (!fs.statSync(abs).isFile()) throw new ModelFileError(`${file}: not a file`);
  let mod: Record<string, unknown>;
  resolveOwnPackages();
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    if (loadsAsCommonJs(abs) && CJS_INTEROP.has((err as NodeJS.ErrnoException).code ?? "")) throw new ModelFileError(`${file}: cannot load it as CommonJS, which Node takes it for: ${ESM_ADVICE}`);
    throw new ModelFileError(`${file}: cannot load it: ${firstLine(err)}`);
  }
  if (loadedTwice())
    throw new ModelFileError(
      `${file}: it was loaded as CommonJS, with a copy of the kernel API of its own that no simulated machine runs; ${ESM_ADVICE}`,
    );
  const exports = Object.entries(mod).filter(([k, v]) => k !== "default" || v !== undefined);
  const fromDefault = mod.default !== undefined;
  // A default export is the model the file stands for; without one, every named export that is a model.
  const candidates = fromDefault ? [["default", mod.default] as [string, unknown]] : exports.filter(([, v]) => isObj(v));
  const models = candidates.filter(([, v]) => modelShapeError(v) === undefined).map(([, v]) => v as AnyModel);
  if (models.length === 0) {
    const expect = "export a model made with defineModel() (name, description, variants, properties, defaults, workload, setup), as its default export or a named one";
    if (candidates.length === 0) throw new ModelFileError(`${file} exports no model: ${expect}`);
    const [k, v] = candidates[0]!;
    throw new ModelFileError(`${file}: ${k === "default" ? "the default export" : `export '${k}'`} is not a model: ${modelShapeError(v)}; ${expect}`);
  }
  if (name !== undefined) {
    const m = models.find((x) => x.name === name);
    if (m === undefined) throw new ModelFileError(`${file} has no model '${name}' (it has: ${models.map((x) => x.name).join(", ")})`);
    return m;
  }
  if (models.length > 1) throw new ModelFileError(`${file} exports several models (${models.map((x) => x.name).join(", ")}): name the one to use`);
  return models[0]!;
}

/**
 * The harness is ES modules. A model file loaded as CommonJS requires the
 * package again, as a second copy: its kernel calls would find no machine.
 */
/** What Node says when a module it took for CommonJS cannot use the package (an ES module): the advice then is to make the model one too. */
const CJS_INTEROP = new Set(["ERR_REQUIRE_CYCLE_MODULE", "ERR_REQUIRE_ESM", "ERR_REQUIRE_ASYNC_MODULE", "MODULE_NOT_FOUND"]);

const ESM_ADVICE = 'make it an ES module (name it .mts, or put it in a folder whose package.json says "type": "module")';

/** Whether Node takes the file for CommonJS: a .ts or .js file whose nearest package.json does not say "type": "module". */
function loadsAsCommonJs(abs: string): boolean {
  if (![".ts", ".js", ".tsx", ".jsx"].includes(path.extname(abs))) return false;
  for (let dir = path.dirname(abs); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { type?: unknown }).type !== "module";
      } catch {
        return true;
      }
    }
    if (path.dirname(dir) === dir) return true;
  }
}

function loadedTwice(): boolean {
  const current = fileURLToPath(new URL("../sim/current.ts", import.meta.url));
  return Object.keys(createRequire(import.meta.url).cache).includes(current);
}

/** The line of an error that says what is wrong (a TypeScript transform error puts it on its second line). */
function firstLine(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.find((l) => /ERROR:/.test(l)) ?? lines[0] ?? "it threw";
}
