// Litmus tests: tiny programs, one per CPU, over a few shared words, and
// every outcome the machine allows for them under a memory model, found by
// visiting every schedule. They check the memory modes against the verdicts
// published for real hardware models.
import type { shared_t } from "../kernel/barrier.ts";
import { DEFINE_SHARED } from "../kernel/barrier.ts";
import { installKernel } from "../kernel/lockdep.ts";
import type { spinlock_t } from "../kernel/spinlock.ts";
import { DEFINE_SPINLOCK } from "../kernel/spinlock.ts";
import { setBooting } from "../sim/current.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { Machine } from "../sim/machine.ts";
import type { MemoryModel } from "../sim/memory.ts";
import type { Gen } from "../sim/step.ts";

export interface LitmusTest {
  name: string;
  /** The shared words and their initial values. */
  locations: Record<string, number>;
  /** Spinlocks the programs take, made afresh for every schedule. */
  locks?: string[];
  /** One program per CPU; it reads and writes `x`, and keeps what it read in `regs`. */
  threads: ((x: Record<string, shared_t>, regs: Record<string, number>, locks: Record<string, spinlock_t>) => Gen)[];
}

function start(test: LitmusTest, memory: MemoryModel): { m: Machine; regs: Record<string, number> } {
  const m = new Machine({ cpus: test.threads.length, maxSteps: 10_000, memory });
  const regs: Record<string, number> = {};
  installKernel(m, { lockdep: false });
  setBooting(m);
  try {
    const x: Record<string, shared_t> = {};
    for (const [name, v] of Object.entries(test.locations)) x[name] = DEFINE_SHARED(name, v);
    const locks: Record<string, spinlock_t> = {};
    for (const name of test.locks ?? []) locks[name] = DEFINE_SPINLOCK(name);
    test.threads.forEach((body, cpu) => m.spawn(`P${cpu}`, () => body(x, regs, locks), { cpu, pinned: true }));
  } finally {
    setBooting(null);
  }
  return { m, regs };
}

const outcomeOf = (regs: Record<string, number>) =>
  Object.keys(regs)
    .sort()
    .map((r) => `${r}=${regs[r]}`)
    .join(" ");

/** Every outcome (registers, as "r0=0 r1=1") of every schedule, with how many schedules reach it. */
export function litmusOutcomes(test: LitmusTest, memory: MemoryModel): Map<string, number> {
  const out = new Map<string, number>();
  const visit = (prefix: ScheduleEvent[]) => {
    const { m, regs } = start(test, memory);
    prefix.forEach((e, i) => {
      if (!m.apply(e, i)) throw new Error(`litmus ${test.name}: replay diverged at ${i}`);
    });
    if (m.failure !== undefined) throw new Error(`litmus ${test.name}: ${m.failure.message}`);
    const next = m.enabledEvents();
    if (next.length === 0) {
      const o = outcomeOf(regs);
      out.set(o, (out.get(o) ?? 0) + 1);
      return;
    }
    for (const e of next) visit([...prefix, e]);
  };
  visit([]);
  return out;
}
