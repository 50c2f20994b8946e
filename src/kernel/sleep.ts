// Calls that may sleep, and the check Linux makes at each of them
// (might_sleep(), CONFIG_DEBUG_ATOMIC_SLEEP): "BUG: sleeping function called
// from invalid context" when the caller is in an interrupt handler, holds a
// spinlock, or runs with preemption or interrupts disabled.
import { current } from "../sim/current.ts";
import type { EnvEvent } from "../sim/events.ts";
import type { EnvSource, Machine } from "../sim/machine.ts";
import type { Gen } from "../sim/step.ts";
import { yieldWait } from "../sim/step.ts";
import { held_locks } from "./lockdep.ts";
import { read_sides } from "./rcu_nesting.ts";
import { kernel_call } from "./kernel_call.ts";

/** might_sleep(): the caller is about to do something that can sleep. */
export function might_sleep(fn: string): void {
  const { machine, cpu, ctx } = current();
  const inIrq = cpu.inIrq;
  const atomic = cpu.preemptCount > 0 || inIrq; // in_atomic() counts hardirq context too
  const irqsOff = !cpu.irqsEnabled;
  const rcuDepth = read_sides(machine).nesting.get(ctx.name) ?? 0;
  if (!inIrq && !atomic && !irqsOff && rcuDepth === 0) return;
  const locks = held_locks().map((h) => `${h.lock.name} (${h.at.how} at ${h.at.where})`);
  machine.fail("sleep-in-atomic", {
    message:
      `BUG: sleeping function called from invalid context: ${fn} by ${ctx.name} on cpu${cpu.id}: ` +
      `in_atomic(): ${atomic ? 1 : 0}, irqs_disabled(): ${irqsOff ? 1 : 0}, in_interrupt(): ${inIrq ? 1 : 0}` +
      (rcuDepth > 0 ? `, RCU nest depth: ${rcuDepth}, expected: 0` : "") +
      (locks.length > 0 ? `, locks held: ${locks.join(", ")}` : ""),
  });
}

/**
 * msleep(): sleeps. On a machine with virtual time (timekeeping_init()) the
 * thread sleeps until `ms` have passed; without it, it gives up its CPU and
 * is ready again at once: what matters then is that it may sleep.
 */
function* msleep_impl(ms: number): Gen {
  might_sleep(`msleep(${ms})`);
  const m = current().machine;
  if (!m.hasClock()) {
    yield yieldWait(`msleep(${ms})`);
    return;
  }
  const end = m.now + ms * 1000;
  yield {
    kind: "wait",
    until() {
      return m.now >= end;
    },
    what() {
      return `msleep(${ms}) ends at ${end} us`;
    },
    sleep: true,
    yieldCpu: true,
    deadline: end,
  };
}

export const GFP_KERNEL = "GFP_KERNEL";
export const GFP_ATOMIC = "GFP_ATOMIC";
export type gfp_t = typeof GFP_KERNEL | typeof GFP_ATOMIC;

/**
 * Fault injection (failslab): with the `failslab` setting N, the schedule
 * may arm a failure up to N times in a run (`env failslab fail`); the next
 * allocation then returns NULL. The drain never arms one, so a failure is
 * always a deviation the schedule chose, and shrinks away when not needed.
 */
class FailSlab implements EnvSource {
  readonly name = "failslab";
  armed = false;
  constructor(private left: number) {}
  enabled(): EnvEvent[] {
    return this.left > 0 && !this.armed ? [{ kind: "env", source: this.name, arg: "fail" }] : [];
  }
  apply(): string {
    this.armed = true;
    this.left--;
    return "failslab: the next allocation fails";
  }
  /** Whether this allocation fails (and disarms). */
  take(): boolean {
    const was = this.armed;
    this.armed = false;
    return was;
  }
}

const FAILSLAB = {};

/** Lets the schedule make up to `times` allocations fail in a run (at boot; the harness does it for the `failslab` setting). */
export function failslab_init(m: Machine, times: number): void {
  if (times <= 0 || m.ext.has(FAILSLAB)) return;
  const f = new FailSlab(times);
  m.ext.set(FAILSLAB, f);
  m.addEnvSource(f);
}

/** should_failslab(): whether the allocation under way fails. */
function should_failslab(m: Machine): boolean {
  return (m.ext.get(FAILSLAB) as FailSlab | undefined)?.take() ?? false;
}

/**
 * kmalloc(): GFP_KERNEL may sleep to reclaim memory; GFP_ATOMIC never
 * sleeps. Returns NULL when fault injection makes it fail (`failslab`).
 */
function* kmalloc_impl(size: number, gfp: gfp_t): Gen<{ size: number } | null> {
  if (gfp === GFP_KERNEL) might_sleep(`kmalloc(${size}, GFP_KERNEL)`);
  if (should_failslab(current().machine)) {
    yield `kmalloc(${size}, ${gfp}) = NULL (failslab)`;
    return null;
  }
  yield `kmalloc(${size}, ${gfp})`;
  return { size };
}


const FREED = {};

function freedSet(): WeakSet<object> {
  const m = current().machine;
  let f = m.ext.get(FREED) as WeakSet<object> | undefined;
  if (f === undefined) m.ext.set(FREED, (f = new WeakSet()));
  return f;
}

/** kfree(): the object is gone; freeing it again, or reaching it through rcu_dereference(), is a use after free. Part of the caller's step. */
export function kfree(p: object | null): void {
  if (p === null) return;
  const f = freedSet();
  if (f.has(p)) current().machine.fail("use-after-free", `${current().ctx.name} frees an object that was freed already`);
  f.add(p);
}

/** Fails the run if `p` was freed: `what` names the access. */
export function check_not_freed(p: object, what: string): void {
  if (freedSet().has(p)) current().machine.fail("use-after-free", `${current().ctx.name} dereferences ${what}, which was freed`);
}

export const msleep = kernel_call(msleep_impl);
export const kmalloc = kernel_call(kmalloc_impl);
/** kzalloc(): kmalloc() of zeroed memory, failing as it does. */
export const kzalloc = kernel_call(function* kzalloc(size: number, gfp: gfp_t) {
  return yield* kmalloc_impl(size, gfp);
});
