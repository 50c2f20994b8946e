// A kernel call that can wait is a generator, and does nothing until it is
// driven with `yield*`. Called without it (`spin_unlock(lock);` for
// `yield* spin_unlock(lock);`) it would silently do nothing, and TypeScript
// does not object. Every such call made in a step is noted; the machine
// reports one not started by the end of the step it was made in.
import { currentOrNull } from "../sim/current.ts";
import type { PendingCall } from "../sim/machine.ts";
import type { Gen, Step } from "../sim/step.ts";

/**
 * The generator a call returns, seen through a thin iterator that notes its
 * first next(): a plain object, not a second generator, since every step of
 * the call passes through it.
 */
class DrivenCall<R> implements PendingCall {
  started = false;
  constructor(
    private readonly g: Gen<R>,
    readonly caller: string,
    readonly callee: string,
  ) {}
  // No rest parameter: every step of the call passes here, and next() and next(undefined) are the same to a generator.
  next(value?: undefined): IteratorResult<Step, R> {
    this.started = true;
    return this.g.next(value);
  }
  return(value: R): IteratorResult<Step, R> {
    return this.g.return(value);
  }
  throw(err: unknown): IteratorResult<Step, R> {
    return this.g.throw(err);
  }
  [Symbol.iterator](): this {
    return this;
  }
}

/** Wraps a waiting kernel call so that a call never driven is reported at the step that made it. */
export function kernel_call<F extends (...args: any[]) => Gen<any>>(fn: F): F {
  const name = fn.name.replace(/_impl$/, "");
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const g = fn.apply(this, args);
    const r = currentOrNull();
    if (r === null) return g;
    const call = new DrivenCall(g, r.ctx.name, name);
    r.machine.calls.push(call);
    return call;
  };
  Object.defineProperty(wrapped, "name", { value: name });
  return wrapped as unknown as F;
}
