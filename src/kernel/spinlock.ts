// Spinlocks with the step structure of include/linux/spinlock_api_smp.h.
// Acquiring is repeated test-and-set: every failed attempt is a step that
// spins, and with the irq forms interrupts stay masked while spinning.
// Every acquisition and release is reported to lockdep.
import type { Gen } from "../sim/step.ts";
import { spinWait } from "../sim/step.ts";
import type { IrqFlags } from "./irqflags.ts";
import { local_irq_disable, local_irq_enable, local_irq_restore, local_irq_save } from "./irqflags.ts";
import { holder_of, lock_acquire, lock_acquired, lock_released } from "./lockdep.ts";
import type { Lockable } from "./lockdep.ts";
import { preempt_disable, preempt_enable } from "./preempt.ts";
import { violation } from "./bug.ts";
import { current_name } from "./smp.ts";

export class spinlock_t implements Lockable {
  locked = false;
  constructor(
    readonly name: string,
    readonly lockClass?: string,
  ) {}
}

/** DEFINE_SPINLOCK / spin_lock_init; locks sharing a `lockClass` are one class to lockdep. */
export function DEFINE_SPINLOCK(name: string, lockClass?: string): spinlock_t {
  return new spinlock_t(name, lockClass);
}

/** arch_spin_trylock: one atomic test-and-set. */
function test_and_set(lock: spinlock_t): boolean {
  if (lock.locked) return false;
  lock.locked = true;
  return true;
}

/** spin_acquire() for lockdep, then do_raw_spin_lock: test-and-set until it succeeds, each failed attempt a step. */
function* acquire(lock: spinlock_t, how: string, irqsWereOn?: boolean): Gen {
  lock_acquire(lock, how, { irqsWereOn });
  const holder = holder_of(lock);
  while (!test_and_set(lock)) yield spinWait(() => !lock.locked, () => `${lock.name} is released (held by ${holder() ?? "nobody"})`, holder);
  lock_acquired(lock);
  yield `${how}(${lock.name})`;
}

function release(lock: spinlock_t): void {
  if (!lock.locked) throw new Error(`unlock of ${lock.name}, which is not locked`);
  lock_released(lock);
  lock.locked = false;
}

export function* spin_lock(lock: spinlock_t): Gen {
  preempt_disable();
  yield* acquire(lock, "spin_lock");
}

export function* spin_unlock(lock: spinlock_t): Gen {
  release(lock);
  preempt_enable();
  yield `spin_unlock(${lock.name})`;
}

export function* spin_lock_irq(lock: spinlock_t): Gen {
  local_irq_disable();
  preempt_disable();
  yield* acquire(lock, "spin_lock_irq");
}

/** Enables interrupts unconditionally, whatever they were before spin_lock_irq. */
export function* spin_unlock_irq(lock: spinlock_t): Gen {
  release(lock);
  local_irq_enable(`spin_unlock_irq(${lock.name})`);
  preempt_enable();
  yield `spin_unlock_irq(${lock.name})`;
}

export function* spin_lock_irqsave(lock: spinlock_t): Gen<IrqFlags> {
  const flags = local_irq_save();
  preempt_disable();
  yield* acquire(lock, "spin_lock_irqsave", flags.irqsEnabled);
  return flags;
}

/** Restores exactly `flags`; if those are not what the matching spin_lock_irqsave saved, that is a bug. */
export function* spin_unlock_irqrestore(lock: spinlock_t, flags: IrqFlags): Gen {
  const took = lock_released(lock);
  lock.locked = false;
  if (took.irqsWereOn !== undefined && took.irqsWereOn !== flags.irqsEnabled) {
    violation("irq-state", {
      message: `spin_unlock_irqrestore(${lock.name}) by ${current_name()} restores interrupts ${flags.irqsEnabled ? "on" : "off"}, but the spin_lock_irqsave(${lock.name}) it pairs with (${took.at.where}) found them ${took.irqsWereOn ? "on" : "off"}`,
    });
  }
  local_irq_restore(flags, `spin_unlock_irqrestore(${lock.name})`);
  preempt_enable();
  yield `spin_unlock_irqrestore(${lock.name})`;
}

/** spin_trylock: one attempt; on failure preemption is enabled again. */
export function* spin_trylock(lock: spinlock_t): Gen<boolean> {
  preempt_disable();
  if (test_and_set(lock)) {
    lock_acquire(lock, "spin_trylock", { trylock: true });
    lock_acquired(lock);
    yield `spin_trylock(${lock.name}) = 1`;
    return true;
  }
  preempt_enable();
  yield `spin_trylock(${lock.name}) = 0`;
  return false;
}

/** spin_trylock_irqsave: on failure, interrupts and preemption are as they were. */
export function* spin_trylock_irqsave(lock: spinlock_t): Gen<IrqFlags | null> {
  const flags = local_irq_save();
  preempt_disable();
  if (test_and_set(lock)) {
    lock_acquire(lock, "spin_trylock_irqsave", { trylock: true, irqsWereOn: flags.irqsEnabled });
    lock_acquired(lock);
    yield `spin_trylock_irqsave(${lock.name}) = 1`;
    return flags;
  }
  preempt_enable();
  local_irq_restore(flags);
  yield `spin_trylock_irqsave(${lock.name}) = 0`;
  return null;
}
