// CPU hotplug (kernel/cpu.c, include/linux/cpuhotplug.h). cpu_down() takes
// cpu_hotplug_lock for writing, runs the online states' teardowns on the
// outgoing CPU (its hotplug thread cpuhp/N), then stop_machine(): once every
// online CPU can run its stopper (no handler running, its thread
// preemptible) and the outgoing CPU has no interrupt pending, that CPU goes
// offline in one step (take_cpu_down()) and its threads move to another.
// Then, on the CPU that took it down, the kernel's DEAD steps adopt what it
// left (its timers, tasklets, RCU callbacks) and the prepare states'
// teardowns run. cpu_up() does the reverse. With the `hotplug` setting N,
// the schedule may also take CPUs down and up, up to N times in a run
// (`env hotplug down:cpuN`), as a user writing to
// /sys/devices/system/cpu/cpuN/online would.
import type { Context } from "../sim/context.ts";
import { current, currentMachine } from "../sim/current.ts";
import type { EnvEvent } from "../sim/events.ts";
import type { EnvSource, Machine } from "../sim/machine.ts";
import type { Gen } from "../sim/step.ts";
import { kernel_hotplug_steps } from "./cpuhp.ts";
import type { Code } from "./module.ts";
import { run_module_code } from "./module.ts";
import { down_read, down_write, rw_semaphore, up_read, up_write } from "./rwlock.ts";
import { kthread_run, wait_event } from "./sched.ts";
import { might_sleep } from "./sleep.ts";
import { kernel_call } from "./kernel_call.ts";

export const EBUSY = 16;
export const EINVAL = 22;

/** Where a state's callbacks run: on the CPU itself once it is up (AP), or on the CPU that brings it up or took it down (BP). */
export const CPUHP_AP_ONLINE_DYN = "CPUHP_AP_ONLINE_DYN";
export const CPUHP_BP_PREPARE_DYN = "CPUHP_BP_PREPARE_DYN";
export type cpuhp_state = typeof CPUHP_AP_ONLINE_DYN | typeof CPUHP_BP_PREPARE_DYN;

/** A state's callback: gets the CPU, returns 0 or a negative errno. */
export type cpuhp_callback = Code<[number]>;

interface State {
  readonly id: number;
  readonly stage: cpuhp_state;
  readonly name: string;
  readonly startup: cpuhp_callback | null;
  readonly teardown: cpuhp_callback | null;
}

/** A callback handed to a CPU's hotplug thread, and what it returned. */
interface ApWork {
  readonly what: string;
  readonly fn: cpuhp_callback;
  done: boolean;
  ret: number;
}

class Hotplug {
  readonly cpu_hotplug_lock = new rw_semaphore("cpu_hotplug_lock");
  readonly states: State[] = [];
  nextId = 1;
  readonly work: (ApWork | null)[];
  readonly threads: (Context | null)[];
  constructor(readonly m: Machine) {
    this.work = m.cpus.map(() => null);
    this.threads = m.cpus.map(() => null);
  }
}

const KEY = {};

function hotplug(m: Machine = currentMachine()): Hotplug {
  let h = m.ext.get(KEY) as Hotplug | undefined;
  if (h === undefined) m.ext.set(KEY, (h = new Hotplug(m)));
  return h;
}

// ---- who is online ----

/** cpu_online(): whether the CPU is in cpu_online_mask. */
export const cpu_online = (cpu: number): boolean => currentMachine().cpu(cpu).online;

/** num_online_cpus(). */
export const num_online_cpus = (): number => currentMachine().cpus.filter((c) => c.online).length;

/** for_each_online_cpu(): the online CPUs, lowest first. */
export const online_cpus = (): number[] => currentMachine().cpus.filter((c) => c.online).map((c) => c.id);

/** cpus_read_lock() (get_online_cpus()): holds hotplug off; may sleep. */
export const cpus_read_lock = (): Gen => down_read(hotplug().cpu_hotplug_lock);
export const cpus_read_unlock = (): Gen => up_read(hotplug().cpu_hotplug_lock);

// ---- running a state's callback ----

/** cpuhp/N, the CPU's hotplug thread: runs the online states' callbacks handed to it, on its CPU. */
function* cpuhp_thread_fun(h: Hotplug, cpu: number): Gen {
  for (;;) {
    const w = h.work[cpu];
    if (w === null || w === undefined) {
      yield wait_event(() => h.work[cpu] !== null, `cpu${cpu} has a hotplug callback to run`);
      continue;
    }
    const ret = yield* run_module_code(w.fn.owner, w.what, w.fn(cpu));
    w.ret = typeof ret === "number" ? ret : 0;
    w.done = true;
    h.work[cpu] = null;
    yield `cpuhp_thread_fun: ${w.what} = ${w.ret}`;
  }
}

/** Runs one state's callback for `cpu` where it belongs, and returns what it returned. */
function* invoke(h: Hotplug, st: State, cpu: number, bringup: boolean): Gen<number> {
  const fn = bringup ? st.startup : st.teardown;
  if (fn === null) return 0;
  const what = `${st.name} ${bringup ? "startup" : "teardown"}(${cpu})`;
  if (st.stage === CPUHP_BP_PREPARE_DYN) {
    const ret = yield* run_module_code(fn.owner, what, fn(cpu));
    return typeof ret === "number" ? ret : 0;
  }
  // cpuhp_invoke_ap_callback(): the CPU's hotplug thread runs it there; the caller waits.
  const thread = (h.threads[cpu] ??= kthread_run(() => cpuhp_thread_fun(h, cpu), `cpuhp/${cpu}`, { cpu, percpu: true, daemon: true }));
  const w: ApWork = { what, fn, done: false, ret: 0 };
  h.work[cpu] = w;
  yield wait_event(() => w.done, `cpuhp/${cpu} has run ${what}`, () => thread.name);
  return w.ret;
}

// ---- taking a CPU down and bringing it up ----

/** Why stop_machine() cannot run take_cpu_down() on `dying` yet, or undefined once it can. */
function stopMachineBlocked(m: Machine, dying: number, caller: Context): string | undefined {
  for (const id of m.hostOf(dying).cpus) {
    const c = m.cpu(id);
    if (!c.online) continue;
    const top = c.top();
    if (c.irqStack.length > 0) return `${top!.name} runs on cpu${c.id}`;
    if (c.current !== null && c.current !== caller && !c.preemptible()) return `${c.current.name} on cpu${c.id} cannot be preempted for the stopper`;
  }
  const pending = m.pendingHardIrqs(m.cpu(dying));
  if (pending.length > 0) return `cpu${dying} has interrupt ${pending.join(", ")} pending`;
  return undefined;
}

/**
 * takedown_cpu() and what follows it: stop_machine() runs take_cpu_down()
 * (the kernel's DYING steps, then the CPU leaves the online mask and its
 * threads move away), then the kernel's DEAD steps and the prepare states'
 * teardowns run here.
 */
function* takedown_cpu(h: Hotplug, cpu: number): Gen {
  const m = h.m;
  const me = current().ctx;
  for (let why = stopMachineBlocked(m, cpu, me); why !== undefined; why = stopMachineBlocked(m, cpu, me)) {
    const reason = why;
    yield wait_event(() => stopMachineBlocked(m, cpu, me) === undefined, `stop_machine() can run (${reason})`);
  }
  const k = kernel_hotplug_steps(m);
  // What it leaves goes to the CPU taking it down (another of its host, as the caller is).
  const to = current().cpu.id !== cpu ? current().cpu.id : m.fallbackCpu(cpu).id;
  m.takeDown(cpu, to);
  const said = k.dying.map((d) => d.fn(cpu)).filter((t) => t !== undefined);
  // This thread may have been on that CPU: the step ends here, and the rest runs where it now is.
  yield `take_cpu_down: cpu${cpu} is offline${said.length > 0 ? `; ${said.join("; ")}` : ""}`;
  for (const d of k.dead) if (d.rank < 0) yield `${d.name}: ${d.fn(cpu, to)}`;
  for (const st of [...h.states].reverse()) if (st.stage === CPUHP_BP_PREPARE_DYN) yield* invoke(h, st, cpu, false);
  for (const d of k.dead) if (d.rank > 0) yield `${d.name}: ${d.fn(cpu, to)}`;
}

function lastOnline(m: Machine, cpu: number): boolean {
  return m.hostOf(cpu).cpus.every((c) => c === cpu || !m.cpu(c).online);
}

/** Why `cpu` is not a CPU the caller may take down or bring up, if it is not: no such CPU, or one of another host. */
function notOurs(m: Machine, cpu: number): string | undefined {
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= m.cpus.length) return "no such CPU";
  return m.hostOf(cpu).cpus.includes(current().cpu.id) ? undefined : "a CPU of another host";
}

/**
 * cpu_down(): takes the CPU offline (0), or says why not: -EBUSY for the
 * last online CPU of its host, -EINVAL for no such CPU. An offline CPU
 * stays so (0). Sleeps; holds cpu_hotplug_lock for writing meanwhile.
 */
function* cpu_down_impl(cpu: number): Gen<number> {
  might_sleep(`cpu_down(${cpu})`);
  const h = hotplug();
  const m = h.m;
  const invalid = notOurs(m, cpu);
  if (invalid !== undefined) {
    yield `cpu_down(${cpu}) = -EINVAL: ${invalid}`;
    return -EINVAL;
  }
  yield* down_write(h.cpu_hotplug_lock); // cpus_write_lock()
  let ret = 0;
  if (!m.cpu(cpu).online) {
    yield `cpu_down(${cpu}): offline already`;
  } else if (lastOnline(m, cpu)) {
    ret = -EBUSY;
    yield `cpu_down(${cpu}) = -EBUSY: the last online CPU`;
  } else {
    // The online states' teardowns, newest first, on the outgoing CPU.
    for (const st of [...h.states].reverse()) if (st.stage === CPUHP_AP_ONLINE_DYN) yield* invoke(h, st, cpu, false);
    yield* takedown_cpu(h, cpu);
  }
  yield* up_write(h.cpu_hotplug_lock);
  return ret;
}

/**
 * cpu_up(): brings the CPU online (0). The prepare states' startups run
 * here first, then the CPU comes up and the online states' startups run on
 * it; a startup that fails rolls the CPU back down and its error is
 * returned. Sleeps; holds cpu_hotplug_lock for writing meanwhile.
 */
function* cpu_up_impl(cpu: number): Gen<number> {
  might_sleep(`cpu_up(${cpu})`);
  const h = hotplug();
  const m = h.m;
  const invalid = notOurs(m, cpu);
  if (invalid !== undefined) {
    yield `cpu_up(${cpu}) = -EINVAL: ${invalid}`;
    return -EINVAL;
  }
  yield* down_write(h.cpu_hotplug_lock);
  let ret = 0;
  if (m.cpu(cpu).online) {
    yield `cpu_up(${cpu}): online already`;
  } else {
    ret = yield* bringup(h, cpu);
  }
  yield* up_write(h.cpu_hotplug_lock);
  return ret;
}

function* bringup(h: Hotplug, cpu: number): Gen<number> {
  const prepare = h.states.filter((s) => s.stage === CPUHP_BP_PREPARE_DYN);
  const online = h.states.filter((s) => s.stage === CPUHP_AP_ONLINE_DYN);
  for (let i = 0; i < prepare.length; i++) {
    const ret = yield* invoke(h, prepare[i]!, cpu, true);
    if (ret < 0) {
      for (let j = i - 1; j >= 0; j--) yield* invoke(h, prepare[j]!, cpu, false);
      return ret;
    }
  }
  h.m.bringUp(cpu);
  yield `bringup_cpu: cpu${cpu} is online`;
  for (let i = 0; i < online.length; i++) {
    const ret = yield* invoke(h, online[i]!, cpu, true);
    if (ret < 0) {
      // Roll back: the online states brought up, newest first, then down again.
      for (let j = i - 1; j >= 0; j--) yield* invoke(h, online[j]!, cpu, false);
      yield* takedown_cpu(h, cpu);
      return ret;
    }
  }
  return 0;
}

export const cpu_down = kernel_call(cpu_down_impl);
export const cpu_up = kernel_call(cpu_up_impl);
/** remove_cpu() / add_cpu(): cpu_down() and cpu_up() under the device lock, as the kernel's own callers use them. */
export const remove_cpu = cpu_down;
export const add_cpu = cpu_up;

// ---- states a model registers ----

/**
 * cpuhp_setup_state(): registers a state's callbacks and, unless `nocalls`,
 * runs `startup` for every online CPU now (on that CPU for an online
 * state). Returns the state's number (> 0), or the error a startup
 * returned, after tearing down the CPUs it had started. Sleeps.
 */
function* cpuhp_setup_state_impl(stage: cpuhp_state, name: string, startup: cpuhp_callback | null, teardown: cpuhp_callback | null, nocalls = false): Gen<number> {
  might_sleep(`cpuhp_setup_state(${name})`);
  const h = hotplug();
  yield* cpus_read_lock();
  const st: State = { id: h.nextId++, stage, name, startup, teardown };
  const done: number[] = [];
  let ret = st.id;
  if (!nocalls) {
    for (const c of h.m.cpus) {
      if (!c.online) continue;
      const r = yield* invoke(h, st, c.id, true);
      if (r < 0) {
        for (const d of done.reverse()) yield* invoke(h, st, d, false);
        ret = r;
        break;
      }
      done.push(c.id);
    }
  }
  if (ret > 0) h.states.push(st);
  yield `cpuhp_setup_state(${name}) = ${ret}`;
  yield* cpus_read_unlock();
  return ret;
}

/** cpuhp_remove_state(): runs `teardown` for every online CPU (unless `nocalls`) and forgets the state. Sleeps. */
function* cpuhp_remove_state_impl(state: number, nocalls = false): Gen {
  might_sleep("cpuhp_remove_state()");
  const h = hotplug();
  yield* cpus_read_lock();
  const st = h.states.find((s) => s.id === state);
  if (st === undefined) throw new Error(`cpuhp_remove_state(${state}): no such state`);
  if (!nocalls) for (const c of h.m.cpus) if (c.online) yield* invoke(h, st, c.id, false);
  h.states.splice(h.states.indexOf(st), 1);
  yield `cpuhp_remove_state(${st.name})`;
  yield* cpus_read_unlock();
}

export const cpuhp_setup_state = kernel_call(cpuhp_setup_state_impl);
export const cpuhp_setup_state_nocalls = kernel_call((stage: cpuhp_state, name: string, startup: cpuhp_callback | null, teardown: cpuhp_callback | null) =>
  cpuhp_setup_state_impl(stage, name, startup, teardown, true),
);
export const cpuhp_remove_state = kernel_call((state: number) => cpuhp_remove_state_impl(state));
export const cpuhp_remove_state_nocalls = kernel_call((state: number) => cpuhp_remove_state_impl(state, true));

// ---- hotplug as events of the schedule ----

/**
 * The `hotplug` setting: up to `times` CPU hotplug operations in a run, at
 * moments the schedule chooses (never the drain). An operation is handed to
 * a thread, as a write to .../cpuN/online is made by a task; the boot CPU
 * (cpu0) stays up.
 */
class HotplugEvents implements EnvSource {
  readonly name = "hotplug";
  request: { down: boolean; cpu: number } | null = null;
  constructor(
    private readonly m: Machine,
    private left: number,
  ) {}
  enabled(): EnvEvent[] {
    if (this.left <= 0 || this.request !== null) return [];
    const out: EnvEvent[] = [];
    // The CPUs of the boot CPU's host, where the thread carrying requests out runs.
    for (const id of this.m.hostOf(0).cpus) {
      const c = this.m.cpu(id);
      if (c.id === 0) continue;
      if (!c.online) out.push({ kind: "env", source: this.name, arg: `up:cpu${c.id}` });
      else if (!lastOnline(this.m, c.id)) out.push({ kind: "env", source: this.name, arg: `down:cpu${c.id}` });
    }
    return out;
  }
  apply(e: EnvEvent): string {
    const [op, cpu] = String(e.arg).split(":cpu");
    this.request = { down: op === "down", cpu: Number(cpu) };
    this.left--;
    return `hotplug: echo ${this.request.down ? 0 : 1} > /sys/devices/system/cpu/cpu${cpu}/online`;
  }
}

/** The thread that carries the schedule's hotplug requests out. */
function* hotplug_writer(ev: HotplugEvents): Gen {
  for (;;) {
    if (ev.request === null) yield wait_event(() => ev.request !== null, "a hotplug request");
    const r = ev.request!;
    const ret = r.down ? yield* cpu_down(r.cpu) : yield* cpu_up(r.cpu);
    ev.request = null;
    yield `${r.down ? "cpu_down" : "cpu_up"}(${r.cpu}) = ${ret}`;
  }
}

/** Lets the schedule take CPUs down and up, `times` operations in a run (at boot; the harness does it for the `hotplug` setting). */
export function cpuhp_events_init(m: Machine, times: number): void {
  if (times <= 0 || m.cpus.length < 2 || m.envSources.some((s) => s.name === "hotplug")) return;
  const ev = new HotplugEvents(m, times);
  m.addEnvSource(ev);
  kthread_run(() => hotplug_writer(ev), "hotplug", {
    cpu: 0,
    pinned: true,
    daemon: true,
    parkedUntil: {
      cond() {
        return ev.request !== null;
      },
      what: "a hotplug request",
    },
  });
}
