// Virtual time (include/linux/timekeeping.h, include/linux/delay.h). Time
// stands still while anything can progress; when every context waits, the
// clock jumps to the nearest deadline. Timeouts are therefore exact and
// deterministic, and a run never waits for wall-clock time.
import { current, currentMachine } from "../sim/current.ts";
import type { Gen, Wait } from "../sim/step.ts";
import { spinWaitDeadline } from "../sim/step.ts";
import { as_seen_here } from "./barrier.ts";
import { kernel_call } from "./kernel_call.ts";

/** Turns on the clock for this machine (at boot): a model with timeouts calls it in setup. */
export function timekeeping_init(): void {
  currentMachine().enableClock();
}

/** Now, in microseconds since boot. */
export function ktime_get(): number {
  return currentMachine().now;
}

/**
 * How often time has passed while something else could have gone on (a CPU
 * that could run, a store or doorbell on its way): a liveness check ("answered
 * before its timeout") holds only over a stretch with none.
 */
export function clock_stalls(): number {
  return currentMachine().stalls;
}

function clocked() {
  const m = current().machine;
  if (!m.hasClock()) throw new Error("a deadline needs the clock: call timekeeping_init() in the model's setup");
  return m;
}

/** `yield spin_until_timeout(cond, deadline, what)`: busy-waits until `cond` holds or the clock reaches `deadline` (µs). */
export function spin_until_timeout(cond: () => boolean, deadline: number, what: string | (() => string)): Wait {
  const m = clocked();
  return spinWaitDeadline(as_seen_here(cond), deadline, () => m.now, what);
}

/** udelay(): busy-waits `us` microseconds, keeping the CPU. */
function* udelay_impl(us: number): Gen {
  const m = clocked();
  const end = m.now + us;
  if (us > 0) yield spinWaitDeadline(() => false, end, () => m.now, `udelay(${us}) ends at ${end} us`);
}

export const udelay = kernel_call(udelay_impl);
