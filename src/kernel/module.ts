// Loadable modules: code belongs to a module, and none of it may run once
// the module is unloaded (its text and data are gone).
import { current } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";

export class module {
  unloaded = false;
  /** Where it was unloaded, for reports. */
  unloadedAt = "";
  constructor(readonly name: string) {}
}

/** A function of a module: code that must not run once its module is gone. */
export type Code<A extends unknown[] = []> = ((...args: A) => Gen<unknown>) & { readonly owner?: module; readonly fname?: string };

/** Tags `fn` as code of `mod` (what a function address in the module's text is in C). */
export function module_function<A extends unknown[]>(mod: module, fname: string, fn: (...args: A) => Gen<unknown>): Code<A> {
  return Object.assign(fn, { owner: mod, fname });
}

/** Marks the module gone (the end of delete_module). Part of the caller's step. */
export function module_unload(mod: module): void {
  mod.unloaded = true;
  mod.unloadedAt = current().machine.where();
}

/** About to run `what`, code of `mod`: a failure if the module is gone. */
export function module_code(mod: module | undefined, what: string): void {
  if (mod === undefined || !mod.unloaded) return;
  const { machine, ctx, cpu } = current();
  machine.fail("module-unload", `${what}, code of module ${mod.name}, runs in ${ctx.name} on cpu${cpu.id} after the module was unloaded (${mod.unloadedAt})`);
}
