// Completions (include/linux/completion.h).
import { current, isRunning } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";
import { sleepWait } from "../sim/step.ts";
import { might_sleep } from "./sleep.ts";

export class completion {
  done = 0;
  constructor(readonly name: string) {}
}

export function init_completion(c: completion): void {
  c.done = 0;
}

/**
 * complete(): wakes one waiter (or lets the next wait return at once). Part
 * of the caller's step. It takes the completion's lock and wakes the
 * waiter, a full barrier here: what the caller stored before it is visible
 * to the waiter once its wait returns.
 */
export function complete(c: completion): void {
  if (isRunning()) current().machine.memory.mb(current().cpu.id);
  c.done++;
}

/** wait_for_completion(): sleeps until complete() was called, and consumes it. */
export function* wait_for_completion(c: completion): Gen {
  might_sleep(`wait_for_completion(${c.name})`);
  if (c.done === 0) yield sleepWait(() => c.done > 0, `${c.name} is completed`);
  c.done--;
  current().machine.memory.rmb(current().cpu.id); // an acquire: it reads what the completer stored
  yield `wait_for_completion(${c.name}) returns`;
}
