// Reader-writer locks (include/linux/rwlock.h, rwsem.h). Readers share the
// lock, a writer holds it alone. rwlock_t spins and its readers are
// recursive (a reader in an interrupt gets in past a waiting writer); an
// rw_semaphore sleeps. The lock validator sees reads as reads: a lock read in
// an interrupt and read elsewhere with interrupts on is fine, written with
// them on is not.
import { current } from "../sim/current.ts";
import type { StoreMark } from "../sim/memory.ts";
import type { Gen } from "../sim/step.ts";
import { sleepWait, spinWait } from "../sim/step.ts";
import { local_bh_disable, local_bh_enable } from "./bottom_half.ts";
import type { IrqFlags } from "./irqflags.ts";
import { local_irq_restore, local_irq_save } from "./irqflags.ts";
import { kernel_call } from "./kernel_call.ts";
import { check_irq_restore, held_locks, holder_of, lock_acquire, lock_acquired, lock_released } from "./lockdep.ts";
import type { Lockable } from "./lockdep.ts";
import { preempt_disable, preempt_enable } from "./preempt.ts";
import { might_sleep } from "./sleep.ts";

class RwState implements Lockable {
  readers = 0;
  writer: string | null = null;
  /** Each CPU's last release (an unlock is a release): a later owner sees the stores before every one. */
  readonly released = new Map<number, StoreMark>();
  constructor(readonly name: string) {}
}

export class rwlock_t extends RwState {}
export class rw_semaphore extends RwState {}

export const DEFINE_RWLOCK = (name: string): rwlock_t => new rwlock_t(name);
export const DECLARE_RWSEM = (name: string): rw_semaphore => new rw_semaphore(name);

function release(l: RwState): void {
  const { machine, cpu } = current();
  machine.memory.wmb(cpu.id);
  l.released.set(cpu.id, machine.memory.mark(cpu.id));
}

function* take(l: RwState, how: string, write: boolean, sleeping: boolean, irqsWereOn?: boolean): Gen {
  lock_acquire(l, how, { read: !write, irqsWereOn });
  const holder = holder_of(l);
  const { machine, ctx } = current();
  // Free for this access, and every CPU's release seen: its own, the others' once their stores are visible.
  const free = () => (write ? l.writer === null && l.readers === 0 : l.writer === null) && [...l.released].every(([c, mark]) => c === ctx.cpu || machine.memory.visible(mark));
  const what = () => `${l.name} is free for ${write ? "writing" : "reading"} (${l.writer !== null ? `written by ${l.writer}` : `${l.readers} reader(s)`})`;
  while (!free()) yield sleeping ? sleepWait(free, what, holder) : spinWait(free, what, holder);
  if (write) l.writer = ctx.name;
  else l.readers++;
  machine.memory.rmb(ctx.cpu); // an acquire
  lock_acquired(l, { read: !write });
  yield `${how}(${l.name})`;
}

function drop(l: RwState, write: boolean): void {
  if (write) {
    if (l.writer === null) throw new Error(`write unlock of ${l.name}, which is not write-locked`);
    l.writer = null;
  } else {
    if (l.readers === 0) throw new Error(`read unlock of ${l.name}, which has no reader`);
    l.readers--;
  }
  lock_released(l);
  release(l);
}

// ---- rwlock_t ----

function* read_lock_impl(l: rwlock_t): Gen {
  preempt_disable();
  yield* take(l, "read_lock", false, false);
}
function* read_unlock_impl(l: rwlock_t): Gen {
  drop(l, false);
  preempt_enable();
  yield `read_unlock(${l.name})`;
}
function* write_lock_impl(l: rwlock_t): Gen {
  preempt_disable();
  yield* take(l, "write_lock", true, false);
}
function* write_unlock_impl(l: rwlock_t): Gen {
  drop(l, true);
  preempt_enable();
  yield `write_unlock(${l.name})`;
}
function* read_lock_bh_impl(l: rwlock_t): Gen {
  local_bh_disable();
  yield* take(l, "read_lock_bh", false, false);
}
function* read_unlock_bh_impl(l: rwlock_t): Gen {
  drop(l, false);
  local_bh_enable(`read_unlock_bh(${l.name})`);
  yield `read_unlock_bh(${l.name})`;
}
function* write_lock_bh_impl(l: rwlock_t): Gen {
  local_bh_disable();
  yield* take(l, "write_lock_bh", true, false);
}
function* write_unlock_bh_impl(l: rwlock_t): Gen {
  drop(l, true);
  local_bh_enable(`write_unlock_bh(${l.name})`);
  yield `write_unlock_bh(${l.name})`;
}
function* read_lock_irqsave_impl(l: rwlock_t): Gen<IrqFlags> {
  const flags = local_irq_save();
  preempt_disable();
  yield* take(l, "read_lock_irqsave", false, false, flags.irqsEnabled);
  return flags;
}
/** The _irqrestore unlocks: the lock, then interrupts as `flags` has them, checked as spin_unlock_irqrestore() is. */
function* unlock_irqrestore(l: rwlock_t, flags: IrqFlags, write: boolean): Gen {
  const how = `${write ? "write" : "read"}_unlock_irqrestore(${l.name})`;
  const held = held_locks();
  const took = held.findLast((h) => h.lock === l)!;
  drop(l, write);
  check_irq_restore(held, took, flags.irqsEnabled, how);
  local_irq_restore(flags, how);
  preempt_enable();
  yield how;
}
const read_unlock_irqrestore_impl = (l: rwlock_t, flags: IrqFlags) => unlock_irqrestore(l, flags, false);
function* write_lock_irqsave_impl(l: rwlock_t): Gen<IrqFlags> {
  const flags = local_irq_save();
  preempt_disable();
  yield* take(l, "write_lock_irqsave", true, false, flags.irqsEnabled);
  return flags;
}
const write_unlock_irqrestore_impl = (l: rwlock_t, flags: IrqFlags) => unlock_irqrestore(l, flags, true);

export const read_lock = kernel_call(read_lock_impl);
export const read_unlock = kernel_call(read_unlock_impl);
export const write_lock = kernel_call(write_lock_impl);
export const write_unlock = kernel_call(write_unlock_impl);
export const read_lock_bh = kernel_call(read_lock_bh_impl);
export const read_unlock_bh = kernel_call(read_unlock_bh_impl);
export const write_lock_bh = kernel_call(write_lock_bh_impl);
export const write_unlock_bh = kernel_call(write_unlock_bh_impl);
export const read_lock_irqsave = kernel_call(read_lock_irqsave_impl);
export const read_unlock_irqrestore = kernel_call(read_unlock_irqrestore_impl);
export const write_lock_irqsave = kernel_call(write_lock_irqsave_impl);
export const write_unlock_irqrestore = kernel_call(write_unlock_irqrestore_impl);

// ---- rw_semaphore: sleeping ----

function* down_read_impl(s: rw_semaphore): Gen {
  might_sleep(`down_read(${s.name})`);
  yield* take(s, "down_read", false, true);
}
function* up_read_impl(s: rw_semaphore): Gen {
  drop(s, false);
  yield `up_read(${s.name})`;
}
function* down_write_impl(s: rw_semaphore): Gen {
  might_sleep(`down_write(${s.name})`);
  yield* take(s, "down_write", true, true);
}
function* up_write_impl(s: rw_semaphore): Gen {
  drop(s, true);
  yield `up_write(${s.name})`;
}

export const down_read = kernel_call(down_read_impl);
export const up_read = kernel_call(up_read_impl);
export const down_write = kernel_call(down_write_impl);
export const up_write = kernel_call(up_write_impl);
