// A kernel call that can wait is a generator, and does nothing until it is
// driven with `yield*`. Called without it (`spin_unlock(lock);` for
// `yield* spin_unlock(lock);`) it would silently do nothing, and TypeScript
// does not object. Every such call made in a step is noted; the machine
// reports one not started by the end of the step it was made in.
import { current, isRunning } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";

/** Wraps a waiting kernel call so that a call never driven is reported at the step that made it. */
export function kernel_call<F extends (...args: any[]) => Gen<any>>(fn: F): F {
  const name = fn.name.replace(/_impl$/, "");
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const g = fn.apply(this, args);
    if (!isRunning()) return g;
    const { machine, ctx } = current();
    const token = { what: `${ctx.name} called ${name}() without yield*: it never ran` };
    machine.undriven.add(token);
    return (function* () {
      machine.undriven.delete(token);
      return yield* g;
    })();
  };
  Object.defineProperty(wrapped, "name", { value: name });
  return wrapped as unknown as F;
}
