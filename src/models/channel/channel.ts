// The channel: a request buffer in the device owner's memory and a response
// buffer in the borrower's, each mapped by the other host through the bridge,
// a doorbell to the owner, and the borrower's lock that makes it a channel.
import type { shared_t, spinlock_t } from "../../kernel/index.ts";
import { DEFINE_SPINLOCK, ntb_region } from "../../kernel/index.ts";

/** The requester raises the doorbell again after this many µs without a response. */
export const RESEND_US = 100;
/** The requester gives up after this many µs. */
export const TIMEOUT_US = 1000;
/** The responder polls this long after a doorbell or a served request before it sleeps. */
export const POLL_US = 50;
/** How long a write of each device register takes to complete, µs. */
export const REGISTER_LATENCY_US = [0, 50, 150, 300] as const;
/** Doorbells lost in one call that the timeout is dimensioned to ride out: every lost ring costs one resend interval. */
export const TOLERATED_LOSSES = Math.floor((TIMEOUT_US - Math.max(...REGISTER_LATENCY_US) - POLL_US) / RESEND_US) - 1;

export const DOORBELL = "ntb-db";

/** How a variant departs from the right channel. */
export interface Variant {
  noLock: boolean;
  idBeforePayload: boolean;
  noWmb: boolean;
  noRmb: boolean;
  noResend: boolean;
  noDuplicateCheck: boolean;
  noRecheck: boolean;
}

export interface Call {
  readonly who: string;
  readonly id: number;
  readonly start: number;
  /** The clock's stall count when the call began (see clock_stalls()). */
  readonly stalls: number;
}

/** What really happened, to check the channel against. */
export class Ghost {
  /** The payload each request id was given by its requester. */
  readonly written = new Map<number, { reg: number; value: number }>();
  /** How often the responder executed each id, and the response it computed. */
  readonly executed = new Map<number, number>();
  readonly computed = new Map<number, number>();
  /** The call inside the channel (between taking and giving back the lock). */
  readonly inside: Call[] = [];
}

export class Channel {
  readonly lock: spinlock_t = DEFINE_SPINLOCK("ntb_chan_lock");
  /** The borrower's request counter, under the lock. */
  next_id = 0;
  readonly req: Record<"id" | "reg" | "value", shared_t>;
  readonly resp: Record<"id" | "value", shared_t>;
  /** The owner's doorbell handler sets it; the daemon clears it when it wakes. */
  db_pending = false;
  /** The last id the responder served (owner memory). */
  last_served = 0;
  /** The device's registers (owner side). */
  readonly regs = REGISTER_LATENCY_US.map(() => 0);
  readonly ghost = new Ghost();

  constructor() {
    this.req = ntb_region("req", { host: "owner", mappedBy: ["borrower"], words: { id: 0, reg: 0, value: 0 } });
    this.resp = ntb_region("resp", { host: "borrower", mappedBy: ["owner"], words: { id: 0, value: 0 } });
  }
}
