// Sleepable RCU (include/linux/srcu.h): a domain of its own, whose readers
// may sleep. synchronize_srcu() waits for the readers of its domain that
// were in a read-side section when it was called; call_srcu() runs a
// callback after such a wait, in the domain's own worker; srcu_barrier()
// waits for every callback queued before it.
import { current } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";
import { smp_mb } from "./barrier.ts";
import { kernel_call } from "./kernel_call.ts";
import type { Code } from "./module.ts";
import { run_module_code } from "./module.ts";
import { kthread_run, wait_event } from "./sched.ts";
import { might_sleep } from "./sleep.ts";

interface Reader {
  section: number;
  depth: number;
}

interface SrcuCallback {
  head: object;
  func: Code<[object]>;
  /** The read-side sections in progress when it was queued. */
  readersThen: Map<string, number>;
}

export class srcu_struct {
  readonly readers = new Map<string, Reader>();
  readonly callbacks: SrcuCallback[] = [];
  running = 0;
  constructor(readonly name: string) {}

  /** The read-side sections in progress now. */
  inProgress(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [ctx, r] of this.readers) if (r.depth > 0) out.set(ctx, r.section);
    return out;
  }

  /** Whether every section of `then` has ended. */
  ended(then: Map<string, number>): boolean {
    for (const [ctx, sec] of then) {
      const r = this.readers.get(ctx)!;
      if (r.depth > 0 && r.section === sec) return false;
    }
    return true;
  }
}

/** DEFINE_SRCU(name) / init_srcu_struct(): at boot; its callback worker is a daemon thread. */
export function DEFINE_SRCU(name: string): srcu_struct {
  const ssp = new srcu_struct(name);
  kthread_run(() => srcu_worker(ssp), `srcu/${name}`, {
    cpu: 0,
    daemon: true,
    parkedUntil: {
      cond() {
        return ssp.callbacks.length > 0;
      },
      what: `callbacks on ${name}`,
    },
  });
  return ssp;
}

/** srcu_read_lock(): enters a read-side section (which may sleep); returns the index to give srcu_read_unlock(). Part of the caller's step. */
export function srcu_read_lock(ssp: srcu_struct): number {
  const { ctx } = current();
  const r = ssp.readers.get(ctx.name) ?? { section: 0, depth: 0 };
  if (r.depth === 0) r.section++;
  r.depth++;
  ssp.readers.set(ctx.name, r);
  smp_mb(); // srcu_read_lock() orders the section after it
  return r.section;
}

/** srcu_read_unlock(): leaves the section. */
export function srcu_read_unlock(ssp: srcu_struct, _idx: number): void {
  const { ctx } = current();
  const r = ssp.readers.get(ctx.name);
  if (r === undefined || r.depth === 0) throw new Error(`srcu_read_unlock(${ssp.name}) by ${ctx.name} outside a read-side section`);
  smp_mb();
  r.depth--;
}

/** synchronize_srcu(): sleeps until every reader of the domain in a section now has left it. Full barriers on entry and return. */
function* synchronize_srcu_impl(ssp: srcu_struct): Gen {
  might_sleep(`synchronize_srcu(${ssp.name})`);
  smp_mb();
  const then = ssp.inProgress();
  const me = current().ctx.name;
  if (then.has(me)) throw new Error(`synchronize_srcu(${ssp.name}) by ${me} inside its own read-side section: it would wait for itself`);
  yield wait_event(() => ssp.ended(then), () => `the ${ssp.name} readers in a section at the call have left it (${[...then.keys()].join(", ") || "none"})`);
  smp_mb();
  yield `synchronize_srcu(${ssp.name}) returns`;
}

/** call_srcu(): runs func(head) in the domain's worker once the readers in a section now have left it. Part of the caller's step. */
export function call_srcu(ssp: srcu_struct, head: object, func: Code<[object]>): void {
  smp_mb();
  ssp.callbacks.push({ head, func, readersThen: ssp.inProgress() });
}

function* srcu_worker(ssp: srcu_struct): Gen {
  for (;;) {
    const cb = ssp.callbacks[0];
    if (cb === undefined) {
      yield wait_event(() => ssp.callbacks.length > 0, `callbacks on ${ssp.name}`);
      continue;
    }
    yield wait_event(() => ssp.ended(cb.readersThen), `the ${ssp.name} readers before ${cb.func.fname ?? cb.func.name} have left`);
    ssp.callbacks.shift();
    ssp.running++;
    smp_mb();
    yield* run_module_code(cb.func.owner, `SRCU callback ${cb.func.fname ?? cb.func.name}`, cb.func(cb.head));
    ssp.running--;
  }
}

/** srcu_barrier(): sleeps until every callback queued on the domain before it has run. */
function* srcu_barrier_impl(ssp: srcu_struct): Gen {
  might_sleep(`srcu_barrier(${ssp.name})`);
  const before = [...ssp.callbacks];
  yield wait_event(() => before.every((cb) => !ssp.callbacks.includes(cb)) && ssp.running === 0, `the ${ssp.name} callbacks queued before have run`);
  smp_mb();
  yield `srcu_barrier(${ssp.name}) returns`;
}

export const synchronize_srcu = kernel_call(synchronize_srcu_impl);
export const srcu_barrier = kernel_call(srcu_barrier_impl);
