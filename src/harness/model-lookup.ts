// Which model a counterexample file belongs to: a built-in one by name, one
// loaded from a model file given on the command line, or else the model file
// the counterexample records (`found.modelFile`, relative to the file itself).
import * as fs from "node:fs";
import * as path from "node:path";
import type { AnyModel } from "../kernel/model.ts";
import type { Counterexample } from "./counterexample.ts";
import { readCounterexampleText } from "./counterexample.ts";
import { ModelFileError, loadModelFile } from "./model-file.ts";

export type ModelFinder = (name: string) => AnyModel | undefined;

/** The path a counterexample saved as `cxFile` records for its model file: relative to the counterexample's folder, with forward slashes. */
export function recordedModelFile(cxFile: string, modelFile: string): string {
  return path.relative(path.dirname(path.resolve(cxFile)), path.resolve(modelFile)).split(path.sep).join("/");
}

/** The project a path belongs to: the nearest folder above it holding a package.json, its links resolved. */
export function projectRoot(from: string): string | undefined {
  let dir = fs.realpathSync(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * A counterexample file is data: the model file it records is loaded only if
 * it lies inside the project the command runs in (the folder holding the
 * package.json above the working directory), links resolved, so that a JSON
 * file from elsewhere (a pull request, a CI artifact) never runs code of its
 * author's choosing. Returns why not, or undefined when it may be loaded.
 */
export function refuseRecordedModelFile(cxFile: string, recorded: string, cwd = process.cwd()): string | undefined {
  const root = projectRoot(cwd);
  const deliberately = "a counterexample file never runs code from outside the project; to run it deliberately, give the file with --model-file";
  if (root === undefined) return `found.modelFile '${recorded}' cannot be loaded: the command does not run inside a project (no package.json above ${cwd}); ${deliberately}`;
  const target = path.resolve(path.dirname(path.resolve(cxFile)), recorded);
  let real: string;
  try {
    real = fs.realpathSync(target);
  } catch {
    return undefined; // missing: loading it says so
  }
  const rel = path.relative(root, real);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return `found.modelFile '${recorded}' leads outside the project ${root}: ${deliberately}`;
  return undefined;
}

export class ModelLookup {
  private readonly loaded = new Map<string, Promise<AnyModel>>();

  constructor(
    private readonly builtins: readonly AnyModel[],
    /** Models given explicitly (--model-file): they take precedence over what a file records. */
    private readonly given: readonly AnyModel[] = [],
  ) {}

  private known(): string {
    return [...this.builtins, ...this.given].map((m) => m.name).join(", ");
  }

  /**
   * The finder to read `file` with, or why its model cannot be had. A file
   * that is not JSON gets the plain finder: reading it then says what is wrong.
   */
  async forFile(file: string): Promise<{ find: ModelFinder } | { error: string }> {
    const plain: ModelFinder = (name) => this.given.find((m) => m.name === name) ?? this.builtins.find((m) => m.name === name);
    let json: Partial<Counterexample>;
    try {
      const read = readCounterexampleText(file);
      if ("error" in read) return { find: plain };
      json = JSON.parse(read.text) as Partial<Counterexample>;
    } catch {
      return { find: plain };
    }
    const name = json?.model;
    if (typeof name !== "string" || plain(name) !== undefined) return { find: plain };
    const recorded = (json.found as { modelFile?: unknown } | undefined)?.modelFile;
    if (typeof recorded !== "string")
      return { error: `unknown model '${name}' (known: ${this.known()}); for a model of your own, give its file with --model-file` };
    const refused = refuseRecordedModelFile(file, recorded);
    if (refused !== undefined) return { error: refused };
    const modelFile = path.resolve(path.dirname(file), recorded);
    let model: AnyModel;
    try {
      model = await this.load(modelFile, name);
    } catch (err) {
      if (!(err instanceof ModelFileError)) throw err;
      const given = this.given.length > 0 ? `the model file given holds ${this.given.map((m) => m.name).join(", ")}, not ${name}; ` : "";
      return { error: `${err.message} (the model file its found.modelFile names); ${given}give ${name}'s file with --model-file` };
    }
    return { find: (n) => (n === name ? model : plain(n)) };
  }

  private load(file: string, name: string): Promise<AnyModel> {
    const key = `${file}\0${name}`;
    let p = this.loaded.get(key);
    if (p === undefined) this.loaded.set(key, (p = loadModelFile(file, name)));
    return p;
  }
}
