// Timers (include/linux/timer.h). Time is not modelled here: an armed timer
// expires when the schedule says so (an environment event "timer"), or in
// the drain once nothing else can happen. Its function then runs on the CPU
// that armed it, in interrupt context (the timer softirq).
import { current, currentMachine } from "../sim/current.ts";
import type { EnvEvent } from "../sim/events.ts";
import type { Machine } from "../sim/machine.ts";
import type { Gen } from "../sim/step.ts";
import { spinWait } from "../sim/step.ts";
import type { Code } from "./module.ts";
import { module_code } from "./module.ts";

export class timer_list {
  /** Pending: armed and not yet expired. */
  armed = false;
  /** Expired and its function not yet finished. */
  running = false;
  cpu = 0;
  constructor(
    readonly name: string,
    /** Its function; a module's code if module_function() made it. */
    readonly fn: Code<[timer_list]>,
  ) {}
}

interface Timers {
  readonly all: timer_list[];
  /** Expired timers waiting for the timer interrupt on each CPU. */
  readonly expired: timer_list[][];
}

const KEY = {};
const LINE = "timer";

function timers(m: Machine): Timers {
  let t = m.ext.get(KEY) as Timers | undefined;
  if (t !== undefined) return t;
  const state: Timers = { all: [], expired: m.cpus.map(() => []) };
  m.ext.set(KEY, (t = state));
  m.requestIrq(
    LINE,
    function* () {
      // run_timer_softirq: the expired timers of this CPU, in order.
      const mine = state.expired[current().cpu.id]!;
      while (mine.length > 0) {
        const timer = mine.shift()!;
        module_code(timer.fn.owner, `timer function ${timer.fn.fname ?? timer.name}`);
        yield* timer.fn(timer);
        timer.running = false;
      }
    },
    { cpus: [], count: 0 },
  );
  const expire = (e: EnvEvent) => {
    const timer = state.all.find((x) => x.name === e.arg)!;
    timer.armed = false;
    timer.running = true;
    state.expired[timer.cpu]!.push(timer);
    m.raiseIrq(timer.cpu, LINE);
    return `timer ${timer.name} expires on cpu${timer.cpu}`;
  };
  const armed = () => state.all.filter((x) => x.armed).map((x): EnvEvent => ({ kind: "env", source: LINE, arg: x.name }));
  m.addEnvSource({ name: LINE, enabled: armed, apply: expire, drainMove: () => armed()[0] });
  return state;
}

/** timer_setup(): registers a timer. Call while setting up. */
export function timer_setup(name: string, fn: Code<[timer_list]>): timer_list {
  const t = new timer_list(name, fn);
  timers(currentMachine()).all.push(t);
  return t;
}

/** mod_timer(): arms the timer on this CPU (expiry is the schedule's choice). Part of the caller's step. */
export function mod_timer(t: timer_list): void {
  t.armed = true;
  t.cpu = current().cpu.id;
}

/** add_timer_on(): arms the timer on `cpu`; usable while setting up. */
export function add_timer_on(t: timer_list, cpu: number): void {
  t.armed = true;
  t.cpu = cpu;
}

/** del_timer(): disarms; true if it was pending. Does not wait for a running handler. */
export function del_timer(t: timer_list): boolean {
  const was = t.armed;
  t.armed = false;
  return was;
}

/**
 * del_timer_sync(): disarms, and if the function is running, spins until it
 * has finished and disarms again (it may have re-armed itself).
 */
export function* del_timer_sync(t: timer_list): Gen<boolean> {
  let was = false;
  for (;;) {
    was = del_timer(t) || was;
    if (!t.running) break;
    yield spinWait(() => !t.running, `timer ${t.name} has finished on cpu${t.cpu}`);
  }
  yield `del_timer_sync(${t.name})`;
  return was;
}
