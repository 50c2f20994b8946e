// Reading a folder of counterexamples as every reader in the suite does:
// models found by name among the built-in ones, or through the model file a
// counterexample records (as replay and show find them).
import type { IndexItem } from "../../src/explain/picture-html.ts";
import { counterexampleFiles, readCounterexampleFile } from "../../src/harness/counterexample.ts";
import { ModelLookup } from "../../src/harness/model-lookup.ts";
import { MODELS } from "../../src/models/index.ts";

export async function readSaved(dir: string): Promise<IndexItem[]> {
  const lookup = new ModelLookup(MODELS);
  return Promise.all(
    counterexampleFiles(dir).map(async (file): Promise<IndexItem> => {
      const m = await lookup.forFile(file);
      if ("error" in m) return { file, error: m.error };
      const r = readCounterexampleFile(file, m.find);
      return "error" in r ? { file, error: r.error } : { file, cx: r.cx, model: r.model };
    }),
  );
}
