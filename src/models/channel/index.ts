// Device lending over a PCIe non-transparent bridge: the borrower's kernel
// asks the device owner's daemon to write device registers, from contexts
// that cannot sleep, through a request/response channel in mapped memory.
import fc from "fast-check";
import type { Gen, MachineConfig } from "../../kernel/index.ts";
import { clock_stalls, defineModel, kthread_run, ktime_get, ntb_db_request, ntb_hosts, timekeeping_init } from "../../kernel/index.ts";
import { Channel, DOORBELL, REGISTER_LATENCY_US, TIMEOUT_US, TOLERATED_LOSSES } from "./channel.ts";
import type { Variant } from "./channel.ts";
import { ntb_chan_call } from "./requester.ts";
import { ntb_daemon, ntb_db_event } from "./responder.ts";

export interface ChannelWorkload {
  /** Requester threads on the borrower host: where each runs, and the register writes it asks for. */
  requesters: { cpu: number; calls: { reg: number; value: number }[] }[];
}

function workload(config: MachineConfig): fc.Arbitrary<ChannelWorkload> {
  checkConfig(config);
  const call = fc.record({ reg: fc.integer({ min: 0, max: REGISTER_LATENCY_US.length - 1 }), value: fc.integer({ min: 1, max: 9 }) });
  const requester = fc.record({ cpu: fc.integer({ min: 0, max: config.cpus - 2 }), calls: fc.array(call, { minLength: 1, maxLength: 2 }) });
  return fc.record({ requesters: fc.array(requester, { minLength: 1, maxLength: 3 }) });
}

function checkConfig(config: MachineConfig): void {
  if (config.cpus < 2) throw new Error(`channel needs cpus >= 2 (the borrower's, then one for the owner), got ${config.cpus}`);
  const lost = config.lostIrqs;
  if (typeof lost !== "number" || !Number.isInteger(lost) || lost < 0) throw new Error(`channel: lostIrqs must be a whole number >= 0, got ${String(lost)}`);
}

/** A requester thread: makes its register-write calls through the channel, one after the other. */
function* requester_thread(ch: Channel, who: string, calls: { reg: number; value: number }[], v: Variant): Gen {
  for (const c of calls) yield* ntb_chan_call(ch, who, c.reg, c.value, v);
}

export default defineModel<ChannelWorkload>({
  name: "channel",
  description: "a request/response channel between two hosts over a PCIe NTB: request ids, doorbells that may be lost, resends and timeouts",
  variants: {
    correct: {
      description: "id 0, smp_wmb(), payload, smp_wmb(), id; resend every interval; the responder skips ids it has served and reads the id again after the payload",
      correct: true,
    },
    "id-before-payload": { description: "the requester writes the id before the payload: a polling responder executes the old payload", correct: false },
    "no-wmb": {
      description: "the right program order but no write barrier on either side: under pso the id overtakes the payload",
      correct: false,
      config: { memory: "pso" },
    },
    "no-rmb": {
      description: "the responder reads the payload after the id with no read barrier: under weak its loads are satisfied out of order",
      correct: false,
      config: { memory: "weak" },
    },
    "no-lock": { description: "requesters do not take the channel's lock", correct: false },
    "no-resend": { description: "the doorbell is rung once: one lost doorbell and the call times out", correct: false },
    "no-duplicate-check": { description: "the responder takes every doorbell for a new request and executes a resent one again", correct: false },
    "no-recheck": {
      description: "the requester does not mark the buffer as changing and the responder does not read the id again: after a timeout the next request is written over one being read",
      correct: false,
    },
  },
  properties: {
    "matched-response": "a call that succeeds returns the response computed for its own request",
    "exact-payload": "the responder executes exactly the payload written for that request id",
    "at-most-once": "each request executes at most once",
    "one-caller": "requesters exclude each other: one call at a time is inside the channel",
    "no-timeout": `with the responder let run (no stall of the clock) and at most ${TOLERATED_LOSSES} doorbells lost during a call, the call succeeds before its ${TIMEOUT_US} us timeout`,
    "bounded-call": `a call inside the channel returns, with a response or a timeout, within ${TIMEOUT_US} us (unless the clock stalled it)`,
  },
  defaults: { cpus: 3, maxSteps: 4000, memory: "sc", lostIrqs: 2 },
  maxEvents: 100,
  workload,
  workloadHelp: "{ requesters: [{ cpu: a borrower cpu (0 to cpus-2), calls: [{ reg: 0-3, value: 1-9 }, ...1-2] }, ...1-3] }",
  setup(variant, w, config) {
    checkConfig(config);
    const owner = config.cpus - 1;
    ntb_hosts([
      { name: "borrower", cpus: new Array(owner).fill(null).map((_, i) => i) },
      { name: "owner", cpus: [owner] },
    ]);
    timekeeping_init();
    const ch = new Channel();
    const v: Variant = {
      noLock: variant === "no-lock",
      idBeforePayload: variant === "id-before-payload",
      noWmb: variant === "no-wmb",
      noRmb: variant === "no-rmb",
      noResend: variant === "no-resend",
      noDuplicateCheck: variant === "no-duplicate-check",
      noRecheck: variant === "no-recheck",
    };
    ntb_db_request(DOORBELL, () => ntb_db_event(ch), { cpu: owner, lossBudget: config.lostIrqs as number });
    kthread_run(() => ntb_daemon(ch, v), "ntb-daemon", {
      cpu: owner,
      pinned: true,
      daemon: true,
      parkedUntil: {
        cond() {
          return ch.db_pending;
        },
        what: "a doorbell",
      },
    });
    w.requesters.forEach((r, i) => {
      if (r.cpu >= owner) throw new Error(`requester ${i} is on cpu${r.cpu}, which is the owner host's; borrower cpus are 0-${owner - 1}`);
      const who = `req${i}`;
      kthread_run(() => requester_thread(ch, who, r.calls, v), who, { cpu: r.cpu });
    });
    return {
      invariants: {
        "bounded-call"() {
          const late = ch.ghost.inside.find((c) => ktime_get() - c.start > TIMEOUT_US && clock_stalls() === c.stalls);
          return late && { message: `${late.who}'s request ${late.id} has been inside the channel ${ktime_get() - late.start} us, past its ${TIMEOUT_US} us bound`, contexts: [late.who] };
        },
      },
    };
  },
});
