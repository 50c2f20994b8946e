// Timers (include/linux/timer.h). Time is not modelled here: an armed timer
// becomes due when the schedule says so (an environment event "timer"), or
// in the drain once nothing else can happen. Due timers run on the CPU that
// armed them, from the timer softirq: in softirq context (lockdep's
// IN-SOFTIRQ, not IN-HARDIRQ), with interrupts enabled, so a hard interrupt
// can land inside a timer function; never while that CPU has bottom halves
// disabled.
import { current, currentMachine } from "../sim/current.ts";
import type { EnvEvent } from "../sim/events.ts";
import { NO_ENV_EVENTS } from "../sim/events.ts";
import type { EnvSource, Machine } from "../sim/machine.ts";
import type { Gen } from "../sim/step.ts";
import { spinWait } from "../sim/step.ts";
import { open_softirq } from "./bottom_half.ts";
import { CPUHP_RANK, cpuhp_kernel_dead } from "./cpuhp.ts";
import type { Code } from "./module.ts";
import { run_module_code } from "./module.ts";
import { kernel_call } from "./kernel_call.ts";

export class timer_list {
  /** Pending: armed, and not yet taken off the wheel to run. */
  armed = false;
  /** Its expiry time has come: the softirq will take it off the wheel and run it. */
  due = false;
  /** Its function is running now (base->running_timer). */
  running = false;
  cpu = 0;
  /** Its expiry on the virtual clock (µs), if it was given one; else it expires when the schedule says. */
  expires: number | undefined = undefined;
  /** timer_shutdown(): it can never be armed again. */
  shutdown = false;
  constructor(
    readonly name: string,
    /** Its function; a module's code if module_function() made it. */
    readonly fn: Code<[timer_list]>,
  ) {}
}

interface Timers {
  readonly all: timer_list[];
}

const KEY = {};
const LINE = "timer-softirq";

/** run_timer_softirq(): detach each due timer of this CPU and run it, interrupts on. */
function* run_timer_softirq(state: Timers): Gen {
  const cpu = current().cpu.id;
  for (let timer = nextDue(state, cpu); timer !== undefined; timer = nextDue(state, cpu)) {
    timer.armed = false;
    timer.due = false;
    timer.running = true;
    yield `run_timer_softirq: ${timer.name} detached`;
    yield* run_module_code(timer.fn.owner, `timer function ${timer.fn.fname ?? timer.name}`, timer.fn(timer));
    timer.running = false;
  }
}

function timers(m: Machine): Timers {
  let t = m.ext.get(KEY) as Timers | undefined;
  if (t !== undefined) return t;
  const state: Timers = { all: [] };
  m.ext.set(KEY, (t = state));
  open_softirq(LINE, () => run_timer_softirq(state), { machine: m, name: "run_timer_softirq" });
  m.addEnvSource(new TimerExpiry(m, state));
  // timers_dead_cpu(): the timers a CPU leaves armed when it goes offline move here, due ones to run here.
  cpuhp_kernel_dead(m, "timers_dead_cpu", CPUHP_RANK.timers, (dead, me) => {
    const moved = state.all.filter((t) => t.armed && t.cpu === dead);
    for (const t of moved) t.cpu = me;
    if (moved.some((t) => t.due)) m.raiseIrq(me, LINE);
    return moved.length === 0 ? `cpu${dead} had no timers` : `${moved.map((t) => t.name).join(", ")} move to cpu${me}`;
  });
  return state;
}

/**
 * Timer expiry as the environment's events ("timer"): an armed timer whose
 * time has come (or that has none) may expire. A class, not a literal of
 * closures: it is made for every run, and asked at every step.
 */
class TimerExpiry implements EnvSource {
  readonly name = "timer";
  constructor(
    private readonly m: Machine,
    private readonly state: Timers,
  ) {}
  private expirable(x: timer_list): boolean {
    return x.armed && !x.due && (x.expires === undefined || this.m.now >= x.expires);
  }
  enabled(): EnvEvent[] {
    let out = NO_ENV_EVENTS;
    for (const x of this.state.all) {
      if (!this.expirable(x)) continue;
      if (out === NO_ENV_EVENTS) out = [];
      out.push({ kind: "env", source: "timer", arg: x.name });
    }
    return out;
  }
  apply(e: EnvEvent): string {
    const timer = this.state.all.find((x) => x.name === e.arg)!;
    timer.due = true;
    this.m.raiseIrq(timer.cpu, LINE);
    return `timer ${timer.name} expires on cpu${timer.cpu}`;
  }
  drainMove(): EnvEvent | undefined {
    for (const x of this.state.all) if (this.expirable(x)) return { kind: "env", source: "timer", arg: x.name };
    return undefined;
  }
  nextDeadline(now: number): number | undefined {
    let next: number | undefined;
    for (const x of this.state.all) if (x.armed && !x.due && x.expires !== undefined && x.expires > now && (next === undefined || x.expires < next)) next = x.expires;
    return next;
  }
}

function nextDue(state: Timers, cpu: number): timer_list | undefined {
  return state.all.find((t) => t.armed && t.due && t.cpu === cpu);
}

/** timer_setup(): registers a timer. Call while setting up. */
export function timer_setup(name: string, fn: Code<[timer_list]>): timer_list {
  const t = new timer_list(name, fn);
  timers(currentMachine()).all.push(t);
  return t;
}

/**
 * mod_timer(): arms the timer on this CPU. With `expires` (µs on the
 * virtual clock, which the model turns on with timekeeping_init()) it
 * expires at that time or later; without, whenever the schedule says.
 * Returns whether it was pending. Part of the caller's step.
 */
export function mod_timer(t: timer_list, expires?: number): boolean {
  const was = t.armed;
  if (t.shutdown) return was; // a shut-down timer is never armed again
  if (expires !== undefined && !current().machine.hasClock()) throw new Error("mod_timer() with an expiry needs the clock: call timekeeping_init() in the model's setup");
  t.armed = true;
  t.due = false;
  t.cpu = current().cpu.id;
  t.expires = expires;
  return was;
}

/** add_timer_on(): arms the timer on `cpu`; usable while setting up. */
export function add_timer_on(t: timer_list, cpu: number): void {
  t.armed = true;
  t.due = false;
  t.cpu = cpu;
}

/** del_timer(): takes the timer off the wheel, due or not; true if it was pending. Does not wait for a running function. */
export function del_timer(t: timer_list): boolean {
  const was = t.armed;
  t.armed = false;
  t.due = false;
  return was;
}

/** timer_shutdown_sync(): as del_timer_sync(), and the timer can never be armed again (its function may re-arm it meanwhile: in vain). */
function* timer_shutdown_sync_impl(t: timer_list): Gen<boolean> {
  t.shutdown = true;
  return yield* del_timer_sync(t);
}

/** timer_delete_sync(): del_timer_sync()'s newer name. */
export const timer_delete_sync = (t: timer_list): Gen<boolean> => del_timer_sync(t);

/**
 * del_timer_sync(): takes the timer off the wheel, and if its function is
 * running, spins until it has returned and takes it off again (it may have
 * re-armed itself).
 */
function* del_timer_sync_impl(t: timer_list): Gen<boolean> {
  let was = false;
  for (;;) {
    was = del_timer(t) || was;
    if (!t.running) break;
    yield spinWait(() => !t.running, `timer ${t.name} has finished on cpu${t.cpu}`);
  }
  yield `del_timer_sync(${t.name})`;
  return was;
}

export const timer_shutdown_sync = kernel_call(timer_shutdown_sync_impl);
export const del_timer_sync = kernel_call(del_timer_sync_impl);
