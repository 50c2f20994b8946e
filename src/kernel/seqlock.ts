// Sequence counters and sequential locks (include/linux/seqlock.h). A
// writer makes the count odd, writes, makes it even again; a reader reads the
// count (waiting while it is odd), reads the data, and retries if the count
// changed. The count is a shared word, so the barriers matter: without the
// writer's smp_wmb() or the reader's smp_rmb() a reader can accept a torn
// read under pso or weak.
import type { Gen } from "../sim/step.ts";
import { DEFINE_SHARED, READ_ONCE, WRITE_ONCE, smp_rmb, smp_wmb } from "./barrier.ts";
import type { shared_t } from "./barrier.ts";
import { spin_lock, spin_unlock, DEFINE_SPINLOCK } from "./spinlock.ts";
import type { spinlock_t } from "./spinlock.ts";
import { spin_until } from "./sched.ts";
import { kernel_call } from "./kernel_call.ts";

export class seqcount_t {
  constructor(
    readonly name: string,
    readonly sequence: shared_t,
  ) {}
}

/** SEQCNT_ZERO / seqcount_init(): at boot, a shared word counting from 0. */
export function SEQCNT_ZERO(name: string): seqcount_t {
  return new seqcount_t(name, DEFINE_SHARED(`${name}.sequence`, 0));
}

/** raw_read_seqcount(): the count, one load. Part of the caller's step. */
export const raw_read_seqcount = (s: seqcount_t): number => READ_ONCE(s.sequence);

/**
 * read_seqcount_begin(): waits until no write is in progress (the count is
 * even), then smp_rmb(): the data reads after it are not done before it.
 * Returns the count to give read_seqcount_retry().
 */
function* read_seqcount_begin_impl(s: seqcount_t): Gen<number> {
  let seq = READ_ONCE(s.sequence);
  while (seq % 2 === 1) {
    yield spin_until(() => READ_ONCE(s.sequence) % 2 === 0, `${s.name} has no write in progress`);
    seq = READ_ONCE(s.sequence);
  }
  smp_rmb();
  yield `read_seqcount_begin(${s.name}) = ${seq}`;
  return seq;
}

/** read_seqcount_retry(): smp_rmb(), then whether the count moved: the reads must be done again. Part of the caller's step. */
export function read_seqcount_retry(s: seqcount_t, start: number): boolean {
  smp_rmb();
  return READ_ONCE(s.sequence) !== start;
}

/** write_seqcount_begin(): the count goes odd, then smp_wmb(). The writers must exclude each other. */
export function write_seqcount_begin(s: seqcount_t): void {
  WRITE_ONCE(s.sequence, READ_ONCE(s.sequence) + 1);
  smp_wmb();
}

/** write_seqcount_end(): smp_wmb(), then the count goes even. */
export function write_seqcount_end(s: seqcount_t): void {
  smp_wmb();
  WRITE_ONCE(s.sequence, READ_ONCE(s.sequence) + 1);
}

/** seqlock_t: a sequence count and the spinlock its writers take. */
export class seqlock_t {
  constructor(
    readonly seqcount: seqcount_t,
    readonly lock: spinlock_t,
  ) {}
}

/** DEFINE_SEQLOCK(name) at boot. */
export function DEFINE_SEQLOCK(name: string): seqlock_t {
  return new seqlock_t(SEQCNT_ZERO(name), DEFINE_SPINLOCK(`${name}.lock`));
}

export const read_seqbegin = (sl: seqlock_t): Gen<number> => read_seqcount_begin(sl.seqcount);
export const read_seqretry = (sl: seqlock_t, start: number): boolean => read_seqcount_retry(sl.seqcount, start);

/** write_seqlock(): takes the writers' lock and begins the write. */
function* write_seqlock_impl(sl: seqlock_t): Gen {
  yield* spin_lock(sl.lock);
  write_seqcount_begin(sl.seqcount);
  yield `write_seqlock(${sl.seqcount.name})`;
}

/** write_sequnlock(): ends the write and releases the lock. */
function* write_sequnlock_impl(sl: seqlock_t): Gen {
  write_seqcount_end(sl.seqcount);
  yield `write_seqcount_end(${sl.seqcount.name})`;
  yield* spin_unlock(sl.lock);
}

export const read_seqcount_begin = kernel_call(read_seqcount_begin_impl);
export const write_seqlock = kernel_call(write_seqlock_impl);
export const write_sequnlock = kernel_call(write_sequnlock_impl);
