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
  /** The context holding what it waits for (a lock's owner), for deadlock cycles. */
  readonly holder?: () => string | null;
  /** Give up the CPU even though `until` holds already (schedule(), a yield). */
  readonly yieldCpu?: boolean;
  /**
   * The virtual time at which the wait ends whatever the condition (a
   * timeout, a resend interval, udelay). `until` must hold from then on; the
   * clock jumps to the nearest deadline once nothing else can progress.
   */
  readonly deadline?: number;
  /**
   * The property broken when the run ends with the context still waiting
   * here and nothing else able to go on (default: deadlock): a sleeper on a
   * wait queue that nobody will wake is a lost wakeup.
   */
  readonly stuck?: string;
}

export type Step = string | Wait;

/** A context's code: a generator whose every yield ends one atomic step. */
export type Gen<R = void> = Generator<Step, R, undefined>;

const describe = (what: string | (() => string)) => (typeof what === "string" ? () => what : what);

export function spinWait(until: () => boolean, what: string | (() => string), holder?: () => string | null): Wait {
  return { kind: "wait", until, what: describe(what), sleep: false, holder };
}

export function sleepWait(until: () => boolean, what: string | (() => string), holder?: () => string | null): Wait {
  return { kind: "wait", until, what: describe(what), sleep: true, holder };
}

/** Busy-waits until `cond` holds or the virtual clock reaches `deadline`, whichever comes first. */
export function spinWaitDeadline(cond: () => boolean, deadline: number, now: () => number, what: string | (() => string)): Wait {
  // Methods, not arrow-valued properties: tsx names every arrow a literal holds, at each call (keepNames).
  return {
    kind: "wait",
    until() {
      return now() >= deadline || cond();
    },
    what: describe(what),
    sleep: false,
    deadline,
  };
}

/** Gives the CPU to the next ready thread (this one goes to the back of the run queue). */
export function yieldWait(text: string): Wait {
  return {
    kind: "wait",
    until() {
      return true;
    },
    what() {
      return text;
    },
    sleep: true,
    yieldCpu: true,
  };
}
