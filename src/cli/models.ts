// The models a command can use: the built-in ones, and the models of the
// files given with --model-file.
import type { AnyModel } from "../kernel/model.ts";
import { ModelFileError, loadModelFile } from "../harness/model-file.ts";
import { ModelLookup } from "../harness/model-lookup.ts";
import { MODELS, findModel } from "../models/index.ts";
import { UsageError } from "./common.ts";

export const builtinNames = (): string => MODELS.map((m) => m.name).join(", ");

/** Loads a model file for a command; what is wrong with it is a UsageError. */
export async function modelFromFile(file: string, name?: string): Promise<AnyModel> {
  let model: AnyModel;
  try {
    model = await loadModelFile(file, name);
  } catch (err) {
    if (err instanceof ModelFileError) throw new UsageError(`--model-file ${err.message}`);
    throw err;
  }
  if (findModel(model.name) !== undefined) throw new UsageError(`--model-file ${file}: its model is named '${model.name}', as a built-in model is (built-in: ${builtinNames()}); give it a name of its own`);
  return model;
}

/** The models of every --model-file given, in order; two of one name are refused. */
export async function modelsFromFiles(files: readonly string[]): Promise<AnyModel[]> {
  const out: AnyModel[] = [];
  for (const f of files) {
    const m = await modelFromFile(f);
    if (out.some((o) => o.name === m.name)) throw new UsageError(`--model-file ${f}: a model named '${m.name}' was given already`);
    out.push(m);
  }
  return out;
}

/** The model to hunt: one of the model file's (a name is optional there), else a built-in one by name. */
export async function modelToHunt(name: string | undefined, modelFile: string | undefined): Promise<AnyModel> {
  if (modelFile !== undefined) return modelFromFile(modelFile, name);
  if (name === undefined) throw new UsageError(`hunt needs a model name (known: ${builtinNames()}) or --model-file FILE.ts`);
  const m = findModel(name);
  if (m === undefined) throw new UsageError(`unknown model '${name}' (known: ${builtinNames()}; a model of your own: --model-file FILE.ts)`);
  return m;
}

/** Finds the model of each counterexample file: built-in, given, or the model file the counterexample records. */
export function lookup(given: readonly AnyModel[]): ModelLookup {
  return new ModelLookup(MODELS, given);
}
