// The allocator's lock, which is what the variants disagree about. OSv's
// preempt_lock only disables preemption; in Linux terms it is a per-CPU
// local_lock, and it is annotated as one so that `--set lockdep=1` shows what
// lockdep would say about each variant.
import type { IrqFlags, local_lock_t, PerCpu } from "../../kernel/index.ts";
import { local_lock, local_lock_irqsave, local_unlock, local_unlock_irqrestore, preempt_disable, preempt_enable } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";

/** What a holder keeps to release the lock: the instance it took and the interrupt state it saved. */
export interface Hold {
  inst: local_lock_t | null;
  flags: IrqFlags | null;
}

export interface PoolLock {
  lock(): Gen<Hold>;
  unlock(h: Hold): Gen;
}

/** OSv's preempt_lock: no other thread runs on this CPU, but interrupts still do. */
class PreemptLock implements PoolLock {
  constructor(private readonly ll: PerCpu<local_lock_t>) {}
  *lock(): Gen<Hold> {
    const inst = local_lock(this.ll);
    yield "WITH_LOCK(preempt_lock)";
    return { inst, flags: null };
  }
  *unlock(h: Hold): Gen {
    local_unlock(h.inst!);
    yield "preempt_lock released";
  }
}

/** The first fix: interrupts off as well, for the whole operation. */
class IrqPreemptLock implements PoolLock {
  constructor(private readonly ll: PerCpu<local_lock_t>) {}
  *lock(): Gen<Hold> {
    const { inst, flags } = local_lock_irqsave(this.ll);
    preempt_disable();
    yield "local_irq_save(); preempt_disable()";
    return { inst, flags };
  }
  *unlock(h: Hold): Gen {
    preempt_enable();
    local_unlock_irqrestore(h.inst!, h.flags!);
    yield "preempt_enable(); local_irq_restore()";
  }
}

export function preemptLock(ll: PerCpu<local_lock_t>): PoolLock {
  return new PreemptLock(ll);
}

export function irqPreemptLock(ll: PerCpu<local_lock_t>): PoolLock {
  return new IrqPreemptLock(ll);
}

/** Nothing disabled at all. */
export const noLock: PoolLock = {
  *lock() {
    return { inst: null, flags: null };
  },
  *unlock() {},
};

/** DROP_LOCK(lock) { body }: released around a call that may block, then taken again (on whatever CPU it then runs). */
export function* DROP_LOCK<T>(lock: PoolLock, hold: Hold, body: () => Gen<T>): Gen<T> {
  yield* lock.unlock(hold);
  const r = yield* body();
  Object.assign(hold, yield* lock.lock());
  return r;
}
