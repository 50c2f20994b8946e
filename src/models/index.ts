// The built-in models.
import type { ModelDefinition } from "../kernel/model.ts";
import mempool from "./mempool/index.ts";

export const MODELS: readonly ModelDefinition<unknown>[] = [mempool as ModelDefinition<unknown>];

export function findModel(name: string): ModelDefinition<unknown> | undefined {
  return MODELS.find((m) => m.name === name);
}
