// Spinlocks with the step structure of include/linux/spinlock_api_smp.h.
// Acquiring is repeated test-and-set: every failed attempt is a step that
// spins, and with the irq forms interrupts stay masked while spinning.
// Every acquisition and release is reported to lockdep.
import { current } from "../sim/current.ts";
import type { Machine } from "../sim/machine.ts";
import type { StoreMark } from "../sim/memory.ts";
import type { Gen } from "../sim/step.ts";
import { spinWait } from "../sim/step.ts";
import type { IrqFlags } from "./irqflags.ts";
import { irqs_disabled, local_irq_disable, local_irq_enable, local_irq_restore, local_irq_save } from "./irqflags.ts";
import { check_irq_restore, held_locks, holder_of, lock_acquire, lock_acquired, lock_released } from "./lockdep.ts";
import type { Held, Lockable } from "./lockdep.ts";
import { preempt_disable, preempt_enable } from "./preempt.ts";
import { local_bh_disable, local_bh_enable } from "./bottom_half.ts";
import { kernel_call } from "./kernel_call.ts";

export class spinlock_t implements Lockable {
  locked = false;
  /**
   * The unlock is a release store: the stores its CPU made before it must be
   * visible before another CPU can see the lock free.
   */
  released: StoreMark | null = null;
  constructor(
    readonly name: string,
    readonly lockClass?: string,
  ) {}
}

/** DEFINE_SPINLOCK / spin_lock_init; locks sharing a `lockClass` are one class to lockdep. */
export function DEFINE_SPINLOCK(name: string, lockClass?: string): spinlock_t {
  return new spinlock_t(name, lockClass);
}

/** Whether `cpu` sees the lock free: unlocked, and the unlock's release store visible to it. */
function seen_free(lock: spinlock_t, m: Machine, cpu: number): boolean {
  const r = lock.released;
  const log = m.touching;
  if (log !== null) {
    log.accesses.push({ kind: "lock", lock: lock.name });
    if (!lock.locked && r !== null && r.cpu !== cpu && m.memory.model !== "sc") log.accesses.push({ kind: "visible", cpu: r.cpu });
  }
  return !lock.locked && (r === null || r.cpu === cpu || m.memory.visible(r));
}

/**
 * arch_spin_trylock: one atomic test-and-set, an acquire when it takes the
 * lock: nothing after it reads a copy older than memory holds then.
 */
function test_and_set(lock: spinlock_t): boolean {
  const { machine, cpu } = current();
  if (!seen_free(lock, machine, cpu.id)) return false;
  lock.locked = true;
  machine.memory.rmb(cpu.id);
  return true;
}

/** spin_is_locked(): whether this CPU sees the lock held (or its release not yet visible). Part of the caller's step. */
export function spin_is_locked(lock: spinlock_t): boolean {
  const { machine, cpu } = current();
  return !seen_free(lock, machine, cpu.id);
}

/** smp_mb__after_spinlock(): makes the lock acquisition before it a full barrier. */
export function smp_mb__after_spinlock(): void {
  const { machine, cpu } = current();
  machine.memory.mb(cpu.id);
}

/** spin_acquire() for lockdep, then do_raw_spin_lock: test-and-set until it succeeds, each failed attempt a step. */
function* acquire(lock: spinlock_t, how: string, irqsWereOn?: boolean): Gen {
  lock_acquire(lock, how, { irqsWereOn });
  const holder = holder_of(lock);
  const { machine, ctx } = current();
  while (!test_and_set(lock)) yield spinWait(() => seen_free(lock, machine, ctx.cpu), () => `${lock.name} is released (held by ${holder() ?? "nobody"})`, holder);
  lock_acquired(lock);
  yield `${how}(${lock.name})`;
}

function release(lock: spinlock_t): Held {
  if (!lock.locked) throw new Error(`unlock of ${lock.name}, which is not locked`);
  const took = lock_released(lock);
  const r = current();
  r.machine.touching?.accesses.push({ kind: "lock", lock: lock.name });
  // A release, and more: stores before it reach memory before any store
  // after it (LKMM orders an unlock and a later lock on the same CPU so).
  r.machine.memory.wmb(r.cpu.id);
  lock.released = r.machine.memory.mark(r.cpu.id);
  lock.locked = false;
  return took;
}

function* spin_lock_impl(lock: spinlock_t): Gen {
  preempt_disable();
  yield* acquire(lock, "spin_lock");
}

function* spin_unlock_impl(lock: spinlock_t): Gen {
  release(lock);
  preempt_enable();
  yield `spin_unlock(${lock.name})`;
}

/** spin_lock_bh(): bottom halves off (no softirq runs here), then the lock. */
function* spin_lock_bh_impl(lock: spinlock_t): Gen {
  local_bh_disable();
  yield* acquire(lock, "spin_lock_bh");
}

function* spin_unlock_bh_impl(lock: spinlock_t): Gen {
  release(lock);
  local_bh_enable(`spin_unlock_bh(${lock.name})`);
  yield `spin_unlock_bh(${lock.name})`;
}

function* spin_lock_irq_impl(lock: spinlock_t): Gen {
  const wereOn = !irqs_disabled();
  local_irq_disable();
  preempt_disable();
  yield* acquire(lock, "spin_lock_irq", wereOn);
}

/**
 * Enables interrupts unconditionally, whatever they were before
 * spin_lock_irq: if they were off then, or another lock taken with them off
 * is still held, that breaks the interrupt state discipline.
 */
function* spin_unlock_irq_impl(lock: spinlock_t): Gen {
  const held = held_locks();
  const took = release(lock);
  check_irq_restore(held, took, true, `spin_unlock_irq(${lock.name})`);
  local_irq_enable(`spin_unlock_irq(${lock.name})`);
  preempt_enable();
  yield `spin_unlock_irq(${lock.name})`;
}

function* spin_lock_irqsave_impl(lock: spinlock_t): Gen<IrqFlags> {
  const flags = local_irq_save();
  preempt_disable();
  yield* acquire(lock, "spin_lock_irqsave", flags.irqsEnabled);
  return flags;
}

/**
 * Restores exactly `flags`. Flags may travel between nested locks, but what
 * is restored must keep interrupts off while a lock taken with them off is
 * held, and give back what the outermost save found once the last goes.
 */
function* spin_unlock_irqrestore_impl(lock: spinlock_t, flags: IrqFlags): Gen {
  const held = held_locks();
  const took = release(lock);
  check_irq_restore(held, took, flags.irqsEnabled, `spin_unlock_irqrestore(${lock.name})`);
  local_irq_restore(flags, `spin_unlock_irqrestore(${lock.name})`);
  preempt_enable();
  yield `spin_unlock_irqrestore(${lock.name})`;
}

/** spin_trylock: one attempt; on failure preemption is enabled again. */
function* spin_trylock_impl(lock: spinlock_t): Gen<boolean> {
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
function* spin_trylock_irqsave_impl(lock: spinlock_t): Gen<IrqFlags | null> {
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

export const spin_lock = kernel_call(spin_lock_impl);
export const spin_unlock = kernel_call(spin_unlock_impl);
export const spin_lock_bh = kernel_call(spin_lock_bh_impl);
export const spin_unlock_bh = kernel_call(spin_unlock_bh_impl);
export const spin_lock_irq = kernel_call(spin_lock_irq_impl);
export const spin_unlock_irq = kernel_call(spin_unlock_irq_impl);
export const spin_lock_irqsave = kernel_call(spin_lock_irqsave_impl);
export const spin_unlock_irqrestore = kernel_call(spin_unlock_irqrestore_impl);
export const spin_trylock = kernel_call(spin_trylock_impl);
export const spin_trylock_irqsave = kernel_call(spin_trylock_irqsave_impl);
