// The borrower's side: one call through the channel, from a context that
// cannot sleep, so it spins for the response with interrupts off.
import type { Gen, IrqFlags } from "../../kernel/index.ts";
import {
  READ_ONCE,
  WRITE_ONCE,
  clock_stalls,
  ktime_get,
  ntb_db_lost,
  ntb_peer_db_set,
  smp_rmb,
  smp_wmb,
  spin_lock_irqsave,
  spin_unlock_irqrestore,
  spin_until_timeout,
  violation,
} from "../../kernel/index.ts";
import type { Channel, Variant } from "./channel.ts";
import { DOORBELL, RESEND_US, TIMEOUT_US, TOLERATED_LOSSES } from "./channel.ts";

export const ETIMEDOUT = "ETIMEDOUT";

/** Writes the request: the id last, behind a write barrier, so the responder never sees an id before its payload. */
function* write_request(ch: Channel, id: number, reg: number, value: number, v: Variant): Gen {
  if (v.idBeforePayload) {
    WRITE_ONCE(ch.req.id, id);
    yield `req.id = ${id}`;
    smp_wmb();
    yield "smp_wmb()";
  } else if (!v.noRecheck) {
    // The buffer may still be read for a request that timed out: say it is changing.
    WRITE_ONCE(ch.req.id, 0);
    yield "req.id = 0";
    if (!v.noWmb) {
      smp_wmb();
      yield "smp_wmb()";
    }
  }
  WRITE_ONCE(ch.req.reg, reg);
  yield `req.reg = ${reg}`;
  WRITE_ONCE(ch.req.value, value);
  yield `req.value = ${value}`;
  if (!v.idBeforePayload) {
    if (!v.noWmb) {
      smp_wmb();
      yield "smp_wmb()";
    }
    WRITE_ONCE(ch.req.id, id);
    yield `req.id = ${id}`;
  }
}

/** ntb_chan_call(): asks the device owner to write `value` to register `reg`; returns what the register held before, or ETIMEDOUT. */
export function* ntb_chan_call(ch: Channel, who: string, reg: number, value: number, v: Variant): Gen<number | typeof ETIMEDOUT> {
  let flags: IrqFlags | undefined;
  if (!v.noLock) flags = yield* spin_lock_irqsave(ch.lock);
  const g = ch.ghost;
  if (g.inside.length > 0) violation("one-caller", { message: `${who} uses the channel while ${g.inside[0]!.who} is inside it (request ${g.inside[0]!.id})`, contexts: [who, g.inside[0]!.who] });

  const id = ++ch.next_id;
  g.written.set(id, { reg, value });
  const call = { who, id, start: ktime_get(), stalls: clock_stalls() };
  const lostBefore = ntb_db_lost(DOORBELL);
  g.inside.push(call);
  yield `request ${id}: reg ${reg} = ${value}`;

  yield* write_request(ch, id, reg, value, v);
  const rang = ntb_peer_db_set(DOORBELL);
  yield `ring the owner's doorbell (${rang})`;

  const deadline = call.start + TIMEOUT_US;
  let resend = call.start + RESEND_US;
  let result: number | typeof ETIMEDOUT;
  for (;;) {
    const until = v.noResend ? deadline : Math.min(resend, deadline);
    yield spin_until_timeout(() => READ_ONCE(ch.resp.id) === id, until, `resp.id == ${id} or ${until} us`);
    if (READ_ONCE(ch.resp.id) === id) {
      yield `resp.id == ${id}`;
      smp_rmb();
      result = READ_ONCE(ch.resp.value);
      const computed = g.computed.get(id);
      if (result !== computed)
        violation("matched-response", `${who}'s request ${id} returns ${result}, but the response computed for it was ${computed ?? "never computed"}`);
      yield `smp_rmb(), resp.value = ${result}`;
      break;
    }
    if (ktime_get() >= deadline) {
      result = ETIMEDOUT;
      const lost = ntb_db_lost(DOORBELL) - lostBefore;
      // Liveness: only a responder that was let run, and no more lost doorbells than the timeout allows for.
      if (lost <= TOLERATED_LOSSES && clock_stalls() === call.stalls)
        violation("no-timeout", `${who}'s request ${id} times out after ${TIMEOUT_US} us with ${lost} doorbell(s) lost, and the channel is built to ride out ${TOLERATED_LOSSES}`);
      yield `request ${id} times out`;
      break;
    }
    const again = ntb_peer_db_set(DOORBELL);
    resend += RESEND_US;
    yield `no response yet: ring the doorbell again (${again})`;
  }
  g.inside.splice(g.inside.indexOf(call), 1);
  if (flags !== undefined) yield* spin_unlock_irqrestore(ch.lock, flags);
  return result;
}
