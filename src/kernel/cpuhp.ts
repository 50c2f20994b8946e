// What the kernel's own facilities do when a CPU goes offline
// (include/linux/cpuhotplug.h): the DYING steps run on the outgoing CPU in
// take_cpu_down(), interrupts off; the DEAD steps run afterwards, on the CPU
// that took it down, in the order of their states' teardown: RCU's first
// (rcutree_migrate_callbacks(), called by takedown_cpu() itself), then,
// after the model's prepare states, timers_dead_cpu() and
// takeover_tasklets(). Each facility registers its own when it is set up;
// kernel/cpu.c (cpu.ts) calls them.
import type { Machine } from "../sim/machine.ts";

export interface KernelHotplugSteps {
  /** On the outgoing CPU, at the moment it goes: `dead` is its number. Returns the trace text, if any. */
  readonly dying: { readonly name: string; readonly fn: (dead: number) => string | undefined }[];
  /** Afterwards, one step each, the CPU `me` adopting what `dead` left; `early` ones before the model's prepare states' teardowns. Returns the trace text. */
  readonly dead: { readonly name: string; readonly rank: number; readonly fn: (dead: number, me: number) => string }[];
}

const KEY = {};

export function kernel_hotplug_steps(m: Machine): KernelHotplugSteps {
  let k = m.ext.get(KEY) as KernelHotplugSteps | undefined;
  if (k === undefined) m.ext.set(KEY, (k = { dying: [], dead: [] }));
  return k;
}

/** A facility's CPUHP_*_DYING step (run on the outgoing CPU, interrupts off). */
export function cpuhp_kernel_dying(m: Machine, name: string, fn: (dead: number) => string | undefined): void {
  kernel_hotplug_steps(m).dying.push({ name, fn });
}

/**
 * A facility's DEAD step. `rank` orders the steps as Linux's teardown does:
 * below 0 before the model's prepare states' teardowns (RCU), above after
 * them, highest last.
 */
export const CPUHP_RANK = { rcutree: -1, timers: 1, softirq: 2 } as const;

export function cpuhp_kernel_dead(m: Machine, name: string, rank: number, fn: (dead: number, me: number) => string): void {
  const dead = kernel_hotplug_steps(m).dead;
  dead.push({ name, rank, fn });
  dead.sort((a, b) => a.rank - b.rank);
}
