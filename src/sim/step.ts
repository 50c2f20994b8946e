// What a context yields. Code between two yields is one atomic step; the
// string it yields names that step in the trace. A Wait says the context
// cannot go on until a condition holds, so the machine knows it is blocked.

export interface Wait {
  readonly kind: "wait";
  /** True once the context may go on. */
  readonly until: () => boolean;
  /** What it waits for, for traces and deadlock reports. */
  readonly what: () => string;
  /** A sleeping thread gives up its CPU; a spinning context keeps it. */
  readonly sleep: boolean;
}

export type Step = string | Wait;

/** A context's code: a generator whose every yield ends one atomic step. */
export type Gen<R = void> = Generator<Step, R, undefined>;

export function spinWait(until: () => boolean, what: string | (() => string)): Wait {
  return { kind: "wait", until, what: typeof what === "string" ? () => what : what, sleep: false };
}

export function sleepWait(until: () => boolean, what: string | (() => string)): Wait {
  return { kind: "wait", until, what: typeof what === "string" ? () => what : what, sleep: true };
}
