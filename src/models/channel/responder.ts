// The device owner's side: the doorbell handler wakes a daemon, which polls
// the request buffer for a while, executes each new request once, and
// answers with the payload first and the id last.
import type { Gen } from "../../kernel/index.ts";
import { READ_ONCE, WRITE_ONCE, ktime_get, smp_rmb, smp_wmb, spin_until_timeout, udelay, violation, wait_event } from "../../kernel/index.ts";
import type { Channel, Variant } from "./channel.ts";
import { POLL_US, REGISTER_LATENCY_US } from "./channel.ts";

/** The doorbell interrupt: it carries no data, so it only says "look". */
export function* ntb_db_event(ch: Channel): Gen {
  ch.db_pending = true;
  yield "db_pending = 1, wake the daemon";
}

/**
 * Executes request `id`: reads its payload, checks the id again (a requester
 * that timed out may be writing the next request over it), writes the
 * register, answers. Returns false when the request changed while read.
 */
function* serve(ch: Channel, id: number, v: Variant): Gen<boolean> {
  const rmb = v.noRmb ? "" : "smp_rmb(), ";
  if (!v.noRmb) smp_rmb();
  const reg = READ_ONCE(ch.req.reg);
  yield `${rmb}req.reg = ${reg}`;
  const value = READ_ONCE(ch.req.value);
  yield `req.value = ${value}`;
  if (!v.noRecheck) {
    if (!v.noRmb) smp_rmb();
    const again = READ_ONCE(ch.req.id);
    yield `${rmb}req.id = ${again}${again === id ? "" : ": it changed, read it again"}`;
    if (again !== id) return false;
  }

  const g = ch.ghost;
  const want = g.written.get(id);
  if (want === undefined || want.reg !== reg || want.value !== value)
    violation("exact-payload", `request ${id} executes reg ${reg} = ${value}, but its requester wrote ${want === undefined ? "nothing yet" : `reg ${want.reg} = ${want.value}`}`);
  const times = (g.executed.get(id) ?? 0) + 1;
  g.executed.set(id, times);
  if (times > 1) violation("at-most-once", `request ${id} (reg ${reg} = ${value}) executes a ${times === 2 ? "second" : `${times}th`} time`);
  const old = ch.regs[reg]!;
  ch.regs[reg] = value;
  g.computed.set(id, old);
  yield `execute request ${id}: reg ${reg} = ${value} (was ${old})`;
  yield* udelay(REGISTER_LATENCY_US[reg]!);

  WRITE_ONCE(ch.resp.value, old);
  yield `resp.value = ${old}`;
  if (!v.noWmb) {
    smp_wmb();
    yield "smp_wmb()";
  }
  WRITE_ONCE(ch.resp.id, id);
  ch.last_served = id;
  yield `resp.id = ${id}`;
  return true;
}

/**
 * The daemon: sleeps until a doorbell, then polls until POLL_US pass with
 * nothing new. A request is new when its id is neither 0 (being written) nor
 * the last one served; the no-duplicate-check variant takes every doorbell
 * for a new request.
 */
export function* ntb_daemon(ch: Channel, v: Variant): Gen {
  for (;;) {
    yield wait_event(() => ch.db_pending, "a doorbell");
    ch.db_pending = false;
    let poll_until = ktime_get() + POLL_US;
    let woken = true;
    yield `doorbell: poll until ${poll_until} us`;
    for (;;) {
      const id = READ_ONCE(ch.req.id);
      const fresh = id !== 0 && (id !== ch.last_served || (v.noDuplicateCheck && woken));
      woken = false;
      yield `req.id = ${id}${fresh ? "" : id === 0 ? " (being written)" : " (served already)"}`;
      if (fresh) {
        if (yield* serve(ch, id, v)) poll_until = ktime_get() + POLL_US;
        continue;
      }
      if (ktime_get() >= poll_until) break;
      const until = poll_until;
      yield spin_until_timeout(
        () => {
          const next = READ_ONCE(ch.req.id);
          return next !== 0 && next !== ch.last_served;
        },
        until,
        `a new req.id or ${until} us`,
      );
    }
  }
}
