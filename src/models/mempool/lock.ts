// The allocator's lock, which is what the variants disagree about.
import type { IrqFlags } from "../../kernel/index.ts";
import { local_irq_restore, local_irq_save, preempt_disable, preempt_enable } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";

/** What a holder keeps to release the lock: the interrupt state it saved, if any. */
export interface Hold {
  flags: IrqFlags | null;
}

export interface PoolLock {
  lock(): Gen<Hold>;
  unlock(h: Hold): Gen;
}

/** OSv's preempt_lock: no other thread runs on this CPU, but interrupts still do. */
export const preemptLock: PoolLock = {
  *lock() {
    preempt_disable();
    yield "WITH_LOCK(preempt_lock)";
    return { flags: null };
  },
  *unlock() {
    preempt_enable();
    yield "preempt_lock released";
  },
};

/** The first fix: interrupts off as well, for the whole operation. */
export const irqPreemptLock: PoolLock = {
  *lock() {
    const flags = local_irq_save();
    preempt_disable();
    yield "local_irq_save(); preempt_disable()";
    return { flags };
  },
  *unlock(h) {
    preempt_enable();
    local_irq_restore(h.flags!);
    yield "preempt_enable(); local_irq_restore()";
  },
};

/** Nothing disabled at all. */
export const noLock: PoolLock = {
  *lock() {
    return { flags: null };
  },
  *unlock() {},
};

/** DROP_LOCK(lock) { body }: released around a call that may block, then taken again. */
export function* DROP_LOCK<T>(lock: PoolLock, hold: Hold, body: () => Gen<T>): Gen<T> {
  yield* lock.unlock(hold);
  const r = yield* body();
  hold.flags = (yield* lock.lock()).flags;
  return r;
}
