// Cross-CPU function calls (kernel/smp.c): smp_call_function_single() and
// on_each_cpu(). A remote call is queued on the target CPU and an IPI raised
// there; the IPI handler runs the queued functions in hardirq context. The
// caller's own CPU runs the function directly with interrupts disabled.
import { current } from "../sim/current.ts";
import type { Gen } from "../sim/step.ts";
import { spinWait } from "../sim/step.ts";
import { local_irq_restore, local_irq_save } from "./irqflags.ts";
import { preempt_disable, preempt_enable } from "./preempt.ts";
import type { Machine } from "../sim/machine.ts";
import { kernel_call } from "./kernel_call.ts";

export type smp_call_func_t = () => Gen<unknown>;

interface Call {
  readonly func: smp_call_func_t;
  done: boolean;
}

const KEY = {};
const LINE = "ipi";

/**
 * generic_smp_call_function_single_interrupt: run what is queued here.
 * The queue is taken with llist_del_all() (xchg: a full barrier), so the
 * function sees what the caller stored before queueing it; the call is
 * marked done with a release, so a waiting caller sees what the function
 * stored.
 */
function* call_function_interrupt(qs: Call[][]): Gen {
  const { machine, cpu } = current();
  machine.memory.mb(cpu.id);
  const mine = qs[cpu.id]!;
  while (mine.length > 0) {
    const call = mine.shift()!;
    yield* call.func();
    machine.memory.mb(current().cpu.id);
    call.done = true;
  }
}

/** Each CPU's queue of calls (call_single_queue), with the IPI line registered on first use. */
function queues(m: Machine): Call[][] {
  let q = m.ext.get(KEY) as Call[][] | undefined;
  if (q === undefined) {
    const qs: Call[][] = m.cpus.map(() => []);
    m.ext.set(KEY, (q = qs));
    m.requestIrq(LINE, () => call_function_interrupt(qs), { cpus: [], count: 0 });
  }
  return q;
}

function* run_locally(func: smp_call_func_t): Gen {
  const flags = local_irq_save();
  yield* func();
  local_irq_restore(flags);
}

/** Queues func on `cpu` and raises the IPI there; returns the call, to wait on. */
function send(cpu: number, func: smp_call_func_t): Call {
  const { machine: m, cpu: me } = current();
  m.memory.mb(me.id); // llist_add() onto the target's queue: a full barrier before the IPI
  const call: Call = { func, done: false };
  queues(m)[cpu]!.push(call);
  m.raiseIrq(cpu, LINE);
  return call;
}

export const ENXIO = 6;

/** smp_call_function_single(): runs func on `cpu`; with `wait`, spins until it has run. Returns 0, or -ENXIO if that CPU is offline. */
function* smp_call_function_single_impl(cpu: number, func: smp_call_func_t, wait: boolean): Gen<number> {
  preempt_disable(); // get_cpu()
  if (!current().machine.cpu(cpu).online) {
    preempt_enable();
    yield `smp_call_function_single(): cpu${cpu} is offline, -ENXIO`;
    return -ENXIO;
  }
  if (cpu === current().cpu.id) {
    yield* run_locally(func);
  } else {
    const call = send(cpu, func);
    yield `IPI to cpu${cpu}`;
    if (wait) {
      yield spinWait(() => call.done, `cpu${cpu} has run the call`);
      current().machine.memory.rmb(current().cpu.id); // csd_lock_wait() is an acquire
    }
  }
  preempt_enable(); // put_cpu()
  yield "smp_call_function_single() returns";
  return 0;
}

/** on_each_cpu(): IPIs to every other online CPU, then func here with interrupts off; with `wait`, spins until all have run. */
function* on_each_cpu_impl(func: smp_call_func_t, wait: boolean): Gen {
  preempt_disable();
  const m = current().machine;
  const me = current().cpu.id;
  const calls = m.cpus.filter((c) => c.id !== me && c.online).map((c) => send(c.id, func));
  yield `IPIs to ${calls.length} other cpu(s)`;
  yield* run_locally(func);
  if (wait) for (const c of calls) if (!c.done) yield spinWait(() => c.done, "every cpu has run the call");
  if (wait) m.memory.rmb(current().cpu.id);
  preempt_enable();
  yield "on_each_cpu() returns";
}

export const smp_call_function_single = kernel_call(smp_call_function_single_impl);
export const on_each_cpu = kernel_call(on_each_cpu_impl);
