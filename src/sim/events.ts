// The schedule: a list of deliberate deviations from the default policy.
// Every strategy emits these, every counterexample stores them, replay
// consumes them.

/** Run one atomic step of whatever is on top of this CPU. */
export interface StepEvent {
  kind: "step";
  cpu: number;
}

/** Deliver an interrupt on this CPU (pending, or a fresh one from its device). */
export interface IrqEvent {
  kind: "irq";
  cpu: number;
  line: string;
}

/** Take the CPU away from its running thread and give it to `to`. */
export interface PreemptEvent {
  kind: "preempt";
  cpu: number;
  to: string;
}

/** Move a preemptible thread to another CPU's run queue. */
export interface MigrateEvent {
  kind: "migrate";
  thread: string;
  cpu: number;
}

/**
 * An event of the environment (a grace period advancing, a timer firing, an
 * interrupt lost, a store becoming visible). `source` names the environment
 * source that owns it; `arg` is that source's own detail.
 */
export interface EnvEvent {
  kind: "env";
  source: string;
  arg?: string | number;
}

/**
 * No environment event now: the one list an EnvSource's enabled() may return
 * for that (it is asked at every step), frozen, so that no caller changes it.
 */
export const NO_ENV_EVENTS: EnvEvent[] = Object.freeze([]) as unknown as EnvEvent[];

export type ScheduleEvent = StepEvent | IrqEvent | PreemptEvent | MigrateEvent | EnvEvent;

export const EVENT_KINDS = ["step", "irq", "preempt", "migrate", "env"] as const;

export function describeEvent(e: ScheduleEvent): string {
  switch (e.kind) {
    case "step":
      return `step cpu${e.cpu}`;
    case "irq":
      return `irq ${e.line} on cpu${e.cpu}`;
    case "preempt":
      return `preempt cpu${e.cpu} to ${e.to}`;
    case "migrate":
      return `migrate ${e.thread} to cpu${e.cpu}`;
    case "env":
      return e.arg === undefined ? `env ${e.source}` : `env ${e.source} ${e.arg}`;
  }
}

/** Checks the shape of one event read from a file; returns what is wrong, if anything. */
export function eventShapeError(e: unknown, envSources: readonly string[]): string | undefined {
  if (typeof e !== "object" || e === null || Array.isArray(e)) return "is not an object";
  const o = e as Record<string, unknown>;
  const isCpu = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const isName = (v: unknown) => typeof v === "string" && v.length > 0;
  switch (o.kind) {
    case "step":
      return isCpu(o.cpu) ? undefined : "needs a cpu number";
    case "irq":
      if (!isCpu(o.cpu)) return "needs a cpu number";
      return isName(o.line) ? undefined : "needs a line name";
    case "preempt":
      if (!isCpu(o.cpu)) return "needs a cpu number";
      return isName(o.to) ? undefined : "needs a thread name in 'to'";
    case "migrate":
      if (!isCpu(o.cpu)) return "needs a cpu number";
      return isName(o.thread) ? undefined : "needs a thread name";
    case "env":
      if (!isName(o.source)) return "needs a source name";
      if (!envSources.includes(o.source as string))
        return `names unknown environment source '${String(o.source)}' (known: ${envSources.join(", ") || "none"})`;
      if (o.arg !== undefined && typeof o.arg !== "string" && typeof o.arg !== "number")
        return "has an arg that is neither a string nor a number";
      return undefined;
    default:
      return `has unknown kind '${String(o.kind)}' (known: ${EVENT_KINDS.join(", ")})`;
  }
}
