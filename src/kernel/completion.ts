// Completions (include/linux/completion.h).
import { current, isRunning } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";
import { sleepWait } from "../sim/step.ts";
import { might_sleep } from "./sleep.ts";
import { kernel_call } from "./kernel_call.ts";

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
function* wait_for_completion_impl(c: completion): Gen {
  might_sleep(`wait_for_completion(${c.name})`);
  if (c.done === 0) yield sleepWait(() => c.done > 0, `${c.name} is completed`);
  if (c.done !== Number.MAX_SAFE_INTEGER) c.done--; // complete_all() stays done
  current().machine.memory.rmb(current().cpu.id); // an acquire: it reads what the completer stored
  yield `wait_for_completion(${c.name}) returns`;
}

/** reinit_completion(): makes the completion usable again (done = 0). */
export function reinit_completion(c: completion): void {
  c.done = 0;
}

/** complete_all(): lets every waiter, now and later, through. Part of the caller's step. */
export function complete_all(c: completion): void {
  if (isRunning()) current().machine.memory.mb(current().cpu.id);
  c.done = Number.MAX_SAFE_INTEGER;
}

/** completion_done(): whether a wait would return at once. */
export const completion_done = (c: completion): boolean => c.done > 0;

/**
 * wait_for_completion_timeout(): sleeps until complete() or until `timeout`
 * microseconds of virtual time have passed (the model calls
 * timekeeping_init()). Returns the time left, at least 1, or 0 on a timeout.
 */
function* wait_for_completion_timeout_impl(c: completion, timeout: number): Gen<number> {
  might_sleep(`wait_for_completion_timeout(${c.name})`);
  const m = current().machine;
  if (!m.hasClock()) throw new Error("wait_for_completion_timeout() needs the clock: call timekeeping_init() in the model's setup");
  const end = m.now + timeout;
  if (c.done === 0)
    yield {
      kind: "wait",
      until() {
        return c.done > 0 || m.now >= end;
      },
      what() {
        return `${c.name} is completed or ${end} us`;
      },
      sleep: true,
      deadline: end,
    };
  if (c.done === 0) {
    yield `wait_for_completion_timeout(${c.name}) times out`;
    return 0;
  }
  if (c.done !== Number.MAX_SAFE_INTEGER) c.done--;
  current().machine.memory.rmb(current().cpu.id);
  const left = Math.max(1, end - m.now);
  yield `wait_for_completion_timeout(${c.name}) returns ${left}`;
  return left;
}

export const wait_for_completion = kernel_call(wait_for_completion_impl);
export const wait_for_completion_timeout = kernel_call(wait_for_completion_timeout_impl);
