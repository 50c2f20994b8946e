// A model's own environment: a device, a hypervisor or a peer that acts
// when the schedule says, as the machine's grace periods, timers and
// doorbells do. A source lists the events it could take now (`enabled`),
// performs one (`apply`, returning the line for the trace), and may name
// the event the drain takes when no CPU can go on (`drainMove`). Its events
// appear in schedules as `env NAME ARG` and are shrunk like any other.
import { currentMachine, setBooting, swapBooting } from "../sim/current.ts";
import type { EnvEvent } from "../sim/events.ts";
import type { EnvSource, Machine } from "../sim/machine.ts";

export type { EnvSource } from "../sim/machine.ts";
export type { EnvEvent } from "../sim/events.ts";

/**
 * Adds a source of environment events to the machine being booted (call it
 * in setup). Names are unique. While the machine asks a source for its
 * events or applies one, the kernel calls that need only the machine work
 * (raise_irq, ktime_get, READ_ONCE of memory as it is). A source with
 * deadlines (nextDeadline) needs the clock on: timekeeping_init() in setup.
 */
export function add_env_source(src: EnvSource): void {
  const m = currentMachine();
  m.addEnvSource(new ModelEnvSource(src, m));
}

/**
 * A model's source as the machine sees it: asked and applied with the
 * machine current, so that it may read the time (ktime_get()) or memory.
 * A class, not a literal of arrows: it is made for every run, and tsx names
 * every arrow a literal holds each time the literal is made.
 */
class ModelEnvSource implements EnvSource {
  readonly name: string;
  constructor(
    private readonly src: EnvSource,
    private readonly m: Machine,
  ) {
    this.name = src.name;
  }
  enabled(): EnvEvent[] {
    const was = swapBooting(this.m);
    try {
      return this.src.enabled();
    } finally {
      setBooting(was);
    }
  }
  /** The source's own drain move; none, if it has none. */
  drainMove(): EnvEvent | undefined {
    if (this.src.drainMove === undefined) return undefined;
    const was = swapBooting(this.m);
    try {
      return this.src.drainMove();
    } finally {
      setBooting(was);
    }
  }
  /** The move it makes before anything else, if it has one. */
  eagerMove(): EnvEvent | undefined {
    if (this.src.eagerMove === undefined) return undefined;
    const was = swapBooting(this.m);
    try {
      return this.src.eagerMove();
    } finally {
      setBooting(was);
    }
  }
  /** When it will next have an event (the clock jumps there), if it says. */
  nextDeadline(now: number): number | undefined {
    if (this.src.nextDeadline === undefined) return undefined;
    const was = swapBooting(this.m);
    try {
      return this.src.nextDeadline(now);
    } finally {
      setBooting(was);
    }
  }
  apply(e: EnvEvent): string {
    const was = swapBooting(this.m);
    try {
      return this.src.apply(e);
    } finally {
      setBooting(was);
    }
  }
}
