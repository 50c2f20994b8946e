// Spinlocks with the step structure of include/linux/spinlock_api_smp.h.
// Acquiring is repeated test-and-set: every failed attempt is a step that
// spins, and with the irq forms interrupts stay masked while spinning.
import type { Gen } from "../sim/step.ts";
import { spinWait } from "../sim/step.ts";
import type { IrqFlags } from "./irqflags.ts";
import { local_irq_disable, local_irq_enable, local_irq_restore, local_irq_save } from "./irqflags.ts";
import { preempt_disable, preempt_enable } from "./preempt.ts";
import { current_name } from "./smp.ts";

export class spinlock_t {
  locked = false;
  /** The context holding it, for reports. */
  owner: string | null = null;
  constructor(readonly name: string) {}
}

export function DEFINE_SPINLOCK(name: string): spinlock_t {
  return new spinlock_t(name);
}

/** One test-and-set attempt: the atomic step at the heart of arch_spin_lock. */
function try_acquire(lock: spinlock_t): boolean {
  if (lock.locked) return false;
  lock.locked = true;
  lock.owner = current_name();
  return true;
}

function* acquire(lock: spinlock_t, label: string): Gen {
  while (!try_acquire(lock)) yield spinWait(() => !lock.locked, () => `${lock.name} is released (held by ${lock.owner})`);
  yield label;
}

function release(lock: spinlock_t): void {
  if (!lock.locked) throw new Error(`unlock of ${lock.name}, which is not locked`);
  lock.locked = false;
  lock.owner = null;
}

export function* spin_lock(lock: spinlock_t): Gen {
  preempt_disable();
  yield* acquire(lock, `spin_lock(${lock.name})`);
}

export function* spin_unlock(lock: spinlock_t): Gen {
  release(lock);
  preempt_enable();
  yield `spin_unlock(${lock.name})`;
}

export function* spin_lock_irq(lock: spinlock_t): Gen {
  local_irq_disable();
  preempt_disable();
  yield* acquire(lock, `spin_lock_irq(${lock.name})`);
}

export function* spin_unlock_irq(lock: spinlock_t): Gen {
  release(lock);
  local_irq_enable();
  preempt_enable();
  yield `spin_unlock_irq(${lock.name})`;
}

export function* spin_lock_irqsave(lock: spinlock_t): Gen<IrqFlags> {
  const flags = local_irq_save();
  preempt_disable();
  yield* acquire(lock, `spin_lock_irqsave(${lock.name})`);
  return flags;
}

export function* spin_unlock_irqrestore(lock: spinlock_t, flags: IrqFlags): Gen {
  release(lock);
  local_irq_restore(flags);
  preempt_enable();
  yield `spin_unlock_irqrestore(${lock.name})`;
}
