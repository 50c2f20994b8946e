// Bottom halves (include/linux/bottom_half.h, kernel/softirq.c): softirqs
// run on the way out of interrupts (a softirq line, delivered when the
// schedule says or by the drain) with hard interrupts enabled, never nested
// in an interrupt, and never while the CPU has bottom halves disabled.
// Tasklets run from a softirq, one CPU at a time each.
import { current, currentMachine } from "../sim/current.ts";
import type { Machine } from "../sim/machine.ts";
import type { Gen } from "../sim/step.ts";
import { local_irq_disable, local_irq_enable } from "./irqflags.ts";
import { lockdep_softirqs_on } from "./lockdep.ts";
import type { Code } from "./module.ts";
import { run_module_code } from "./module.ts";
import { might_sleep } from "./sleep.ts";
import { wait_event } from "./sched.ts";
import { kernel_call } from "./kernel_call.ts";
import { CPUHP_RANK, cpuhp_kernel_dead } from "./cpuhp.ts";

/** local_bh_disable(): no softirq runs on this CPU until the matching local_bh_enable(); the caller is atomic too. Part of the caller's step. */
export function local_bh_disable(): void {
  const cpu = current().cpu;
  cpu.bhDisabled++;
  cpu.preemptCount++; // SOFTIRQ_DISABLE_OFFSET: in_atomic() and not preemptible
}

/** local_bh_enable(): softirqs may run again (those pending run next, as do_softirq() would). Part of the caller's step. */
export function local_bh_enable(how = "local_bh_enable()"): void {
  const cpu = current().cpu;
  if (cpu.bhDisabled === 0) throw new Error("local_bh_enable() with bottom halves enabled (unbalanced)");
  cpu.bhDisabled--;
  cpu.preemptCount--;
  if (cpu.bhDisabled === 0) lockdep_softirqs_on(how);
}

/** in_softirq(): a softirq is running here or bottom halves are disabled. */
export function in_softirq(): boolean {
  const cpu = current().cpu;
  return cpu.inSoftirq || cpu.bhDisabled > 0;
}

/** in_serving_softirq(): a softirq is running here. */
export const in_serving_softirq = (): boolean => current().cpu.inSoftirq;

/** in_hardirq(): a hard interrupt handler is running here. */
export const in_hardirq = (): boolean => current().cpu.inHardirq;

/**
 * open_softirq(): a softirq line of the machine, run by `action` with hard
 * interrupts enabled (__do_softirq()); raise it with raise_softirq(). Call
 * while setting up (the kernel's own softirqs pass the machine they are set
 * up on, and the name of their action).
 */
export function open_softirq(line: string, action: () => Gen<unknown>, opts: { machine?: Machine; name?: string } = {}): void {
  const name = opts.name ?? line;
  (opts.machine ?? currentMachine()).requestIrq(line, () => run_softirq(name, action), { cpus: [], count: 0, softirq: true });
}

/**
 * One run of a softirq's action, hard interrupts on. A module-level
 * generator, as every body the machine runs each run: V8 gives a generator
 * closure made anew its own map in the old generation, which keeps the
 * closure's run alive through every young collection.
 */
function* run_softirq(name: string, action: () => Gen<unknown>): Gen {
  local_irq_enable(name);
  yield* action();
  local_irq_disable();
  yield `${name} done`;
}

/** raise_softirq(): marks the softirq pending on this CPU; it runs on the way out of interrupts, or when bottom halves are enabled again. */
export function raise_softirq(line: string): void {
  const { machine, cpu } = current();
  machine.raiseIrq(cpu.id, line);
}

// ---- tasklets (include/linux/interrupt.h) ----

export class tasklet_struct {
  /** TASKLET_STATE_SCHED: queued to run. */
  get scheduled(): boolean {
    return this.queuedOn >= 0;
  }
  /** TASKLET_STATE_RUN: running on `cpu`. */
  running = false;
  cpu = 0;
  /** The CPU whose list it is queued on, or -1. */
  queuedOn = -1;
  /** tasklet_kill() holds SCHED: it cannot be scheduled meanwhile. */
  killing = false;
  constructor(
    readonly name: string,
    readonly func: Code<[tasklet_struct]>,
  ) {}
}

const TASKLETS = {};
const LINE = "tasklet-softirq";

/** tasklet_action(): runs the tasklets queued on this CPU. */
function* tasklet_action(queues: tasklet_struct[][]): Gen {
  const { machine, cpu } = current();
  const mine = queues[cpu.id]!;
  // One pass over the list as it is now (a tasklet scheduled meanwhile runs in the next pass).
  for (const t of mine.splice(0)) {
    if (t.running) {
      // Running on another CPU: it stays queued here; that CPU raises this softirq again when it is done.
      mine.push(t);
      continue;
    }
    t.running = true;
    t.cpu = cpu.id;
    t.queuedOn = -1;
    yield `tasklet_action: ${t.name}`;
    yield* run_module_code(t.func.owner, `tasklet ${t.func.fname ?? t.name}`, t.func(t));
    t.running = false;
    if (t.scheduled && t.queuedOn !== cpu.id) machine.raiseIrq(t.queuedOn, LINE);
  }
}

function tasklets(m: Machine): tasklet_struct[][] {
  let q = m.ext.get(TASKLETS) as tasklet_struct[][] | undefined;
  if (q !== undefined) return q;
  const queues: tasklet_struct[][] = m.cpus.map(() => []);
  m.ext.set(TASKLETS, (q = queues));
  open_softirq(LINE, () => tasklet_action(queues), { machine: m, name: "tasklet_action" });
  // takeover_tasklets(): the tasklets queued on a CPU that went offline run here.
  cpuhp_kernel_dead(m, "takeover_tasklets", CPUHP_RANK.softirq, (dead, me) => {
    const moved = queues[dead]!.splice(0);
    for (const t of moved) t.queuedOn = me;
    queues[me]!.push(...moved);
    if (moved.length > 0) m.raiseIrq(me, LINE);
    return moved.length === 0 ? `cpu${dead} had no tasklets queued` : `${moved.map((t) => t.name).join(", ")} move to cpu${me}`;
  });
  return q;
}

/** tasklet_setup() / tasklet_init(): at boot. */
export function tasklet_setup(name: string, func: Code<[tasklet_struct]>): tasklet_struct {
  tasklets(currentMachine());
  return new tasklet_struct(name, func);
}
export const tasklet_init = tasklet_setup;

/** tasklet_schedule(): queues the tasklet on this CPU unless it is queued already; it runs from the tasklet softirq. Part of the caller's step. */
export function tasklet_schedule(t: tasklet_struct): void {
  const { machine, cpu } = current();
  if (t.scheduled || t.killing) return;
  t.queuedOn = cpu.id;
  tasklets(machine)[cpu.id]!.push(t);
  machine.raiseIrq(cpu.id, LINE);
}

/** tasklet_kill(): waits until the tasklet is neither queued nor running. May sleep. */
function* tasklet_kill_impl(t: tasklet_struct): Gen {
  might_sleep(`tasklet_kill(${t.name})`);
  // Waits for a queued run to happen, then takes SCHED itself, so that it is not scheduled again, and waits for a running one.
  if (t.scheduled) yield wait_event(() => !t.scheduled, `tasklet ${t.name} has run`);
  t.killing = true;
  if (t.running) yield wait_event(() => !t.running, `tasklet ${t.name} has finished`);
  t.killing = false;
  yield `tasklet_kill(${t.name})`;
}

export const tasklet_kill = kernel_call(tasklet_kill_impl);
