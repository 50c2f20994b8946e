// Reporting from inside model code.
import { current } from "../sim/current.ts";
import type { Violation } from "../sim/failure.ts";

/** A property of the model does not hold at this step: the run fails with it. */
export function violation(property: string, v: Violation): void {
  current().machine.fail(property, v);
}

/** BUG(): the kernel would oops here. */
export function BUG(message: string): never {
  throw new Error(`BUG: ${message}`);
}
