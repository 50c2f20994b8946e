// Operations a model reports as done, for its sequential model. The harness
// applies them, in order, after the step that reported them.
import { current } from "../sim/current.ts";
import type { Machine } from "../sim/machine.ts";

const KEY = {};

/** This step completes `op` (its linearization point): the sequential model must allow it. */
export function linearize(op: unknown): void {
  const m = current().machine;
  const q = m.ext.get(KEY) as unknown[] | undefined;
  if (q === undefined) m.ext.set(KEY, [op]);
  else q.push(op);
}

const NONE: readonly unknown[] = [];

/** The operations reported since the last call, oldest first (asked after every step). */
export function takeLinearized(m: Machine): readonly unknown[] {
  const q = m.ext.get(KEY) as unknown[] | undefined;
  if (q === undefined || q.length === 0) return NONE;
  m.ext.set(KEY, []);
  return q;
}
