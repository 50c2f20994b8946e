// Sleeping locks (include/linux/mutex.h): a waiter sleeps and gives up its CPU.
import { current } from "../sim/current.ts";
import type { Memory, StoreMark } from "../sim/memory.ts";
import { current_name } from "./smp.ts";
import type { Gen } from "../sim/step.ts";
import { sleepWait } from "../sim/step.ts";
import { holder_of, lock_acquire, lock_acquired, lock_released } from "./lockdep.ts";
import type { Lockable } from "./lockdep.ts";
import { might_sleep } from "./sleep.ts";
import { kernel_call } from "./kernel_call.ts";

export class mutex implements Lockable {
  locked = false;
  /** The unlock is a release: another CPU sees the mutex free only once the stores before it are visible. */
  released: StoreMark | null = null;
  constructor(
    readonly name: string,
    readonly lockClass?: string,
  ) {}
}

export function DEFINE_MUTEX(name: string): mutex {
  return new mutex(name);
}

/** Whether `m` is free for a task on `cpu`: unlocked, and its release seen there. */
function mutexFree(m: mutex, cpu: number, memory: Memory): boolean {
  return !m.locked && (m.released === null || m.released.cpu === cpu || memory.visible(m.released));
}

function* mutex_lock_impl(m: mutex): Gen {
  might_sleep(`mutex_lock(${m.name})`);
  lock_acquire(m, "mutex_lock");
  const holder = holder_of(m);
  const { machine, ctx } = current();
  // Arrows handed over, none bound to a name: tsx names a named one at every call.
  while (!mutexFree(m, ctx.cpu, machine.memory))
    yield sleepWait(
      () => mutexFree(m, ctx.cpu, machine.memory),
      () => `${m.name} is unlocked (held by ${holder() ?? "nobody"})`,
      holder,
    );
  m.locked = true;
  machine.memory.rmb(ctx.cpu); // an acquire
  lock_acquired(m);
  yield `mutex_lock(${m.name})`;
}

function* mutex_unlock_impl(m: mutex): Gen {
  if (!m.locked) throw new Error(`mutex_unlock(${m.name}) by ${current_name()}: not locked`);
  lock_released(m);
  const r = current();
  r.machine.memory.wmb(r.cpu.id); // as spin_unlock: stores before it leave before stores after it
  m.released = r.machine.memory.mark(r.cpu.id);
  m.locked = false;
  yield `mutex_unlock(${m.name})`;
}

export const mutex_lock = kernel_call(mutex_lock_impl);
export const mutex_unlock = kernel_call(mutex_unlock_impl);
