// Loadable modules: code belongs to a module, and none of it may run once
// the module is unloaded (its text and data are gone), nor be running when
// it is unloaded.
import { current } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";

export class module {
  unloaded = false;
  /** Where it was unloaded, for reports. */
  unloadedAt = "";
  /** Contexts inside its code now, and what they run. */
  readonly active = new Map<string, string>();
  constructor(readonly name: string) {}
}

/** A function of a module: code that must not run once its module is gone. */
export type Code<A extends unknown[] = []> = ((...args: A) => Gen<unknown>) & { readonly owner?: module; readonly fname?: string };

/** Tags `fn` as code of `mod` (what a function address in the module's text is in C). */
export function module_function<A extends unknown[]>(mod: module, fname: string, fn: (...args: A) => Gen<unknown>): Code<A> {
  return Object.assign(fn, { owner: mod, fname });
}

/** delete_module(): the module is gone. Failing if any of its code is still running. Part of the caller's step. */
export function module_unload(mod: module): void {
  const { machine, ctx } = current();
  mod.unloaded = true;
  mod.unloadedAt = machine.where();
  const others = [...mod.active].filter(([who]) => who !== ctx.name);
  if (others.length > 0) {
    const [who, what] = others[0]!;
    machine.fail("module-unload", { message: `module ${mod.name} is unloaded while ${who} is still running ${what}`, contexts: [who] });
  }
}

/** Fails the run if `mod` is gone: `what`, its code, is about to run. */
export function module_code(mod: module | undefined, what: string): void {
  if (mod === undefined || !mod.unloaded) return;
  const { machine, ctx, cpu } = current();
  machine.fail("module-unload", `${what}, code of module ${mod.name}, runs in ${ctx.name} on cpu${cpu.id} after the module was unloaded (${mod.unloadedAt})`);
}

/** Runs `gen`, code of `mod`, checking before every step of it that the module is still there. */
export function* run_module_code<R>(mod: module | undefined, what: string, gen: Generator<import("../sim/step.ts").Step, R, undefined>): Generator<import("../sim/step.ts").Step, R, undefined> {
  if (mod === undefined) return yield* gen;
  const me = current().ctx.name;
  module_code(mod, what);
  mod.active.set(me, what);
  let r = gen.next();
  while (!r.done) {
    yield r.value;
    module_code(mod, what);
    r = gen.next();
  }
  mod.active.delete(me);
  return r.value;
}

/**
 * Calls a module's function from a model's own machinery (its own callback
 * list, its own deferred work): `yield* call_module_function(fn, ...args)`.
 * The call is checked as the kernel's own callers are: it fails the run
 * with `module-unload` if the module is gone before any step of it, and the
 * module cannot be unloaded under it without that being reported.
 */
export function call_module_function<A extends unknown[]>(fn: Code<A>, ...args: A): Gen<unknown> {
  return run_module_code(fn.owner, fn.fname ?? fn.name ?? "a module function", fn(...args));
}
