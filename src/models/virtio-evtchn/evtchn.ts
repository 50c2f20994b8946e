// Xen event channels (drivers/xen/events/events_2l.c, xen/common/event_channel.c)
// as the ring's notification transport. EVTCHNOP_send sets the port's pending
// bit in shared_info with a locked test-and-set; only when the bit was clear
// does Xen mark an upcall pending on the bound vCPU. The upcall comes
// whenever that vCPU next takes interrupts (the schedule says when), clears
// the bit and calls the port's handler. A send while the bit is still set is
// coalesced into the upcall already on its way: several sends, one upcall.
import type { Gen } from "../../kernel/index.ts";
import { raise_irq, request_irq, smp_mb } from "../../kernel/index.ts";

export class evtchn_port {
  /** The pending bit in shared_info (set and cleared by locked operations: every CPU sees it at once). */
  pending = false;
  sent = 0;
  coalesced = 0;
  /** Upcalls whose handler ran. */
  upcalls = 0;
  constructor(
    readonly name: string,
    /** The vCPU the port is bound to. */
    readonly cpu: number,
  ) {}
}

/** bind_evtchn_to_irqhandler(): the port's upcall runs `handler` on its vCPU, after clear_evtchn(). */
export function bind_evtchn_to_irqhandler(port: evtchn_port, handler: (port: evtchn_port) => Gen): void {
  request_irq(port.name, () => handler(port), { cpus: [port.cpu], count: 0 });
}

/**
 * The upcall's entry: xen_evtchn_do_upcall() takes the pending selector
 * with xchg (a full barrier) and clear_evtchn() clears the port's bit, so a
 * send from now on raises a new upcall. Part of the handler's first step.
 */
export function xen_evtchn_do_upcall(port: evtchn_port): void {
  smp_mb();
  port.pending = false;
  port.upcalls++;
}

/**
 * notify_remote_via_evtchn(): the EVTCHNOP_send hypercall. A trap into Xen,
 * which takes the channel's lock: a full barrier for the sender. Part of the
 * caller's step.
 */
export function notify_remote_via_evtchn(port: evtchn_port): "sent" | "coalesced" {
  smp_mb();
  if (port.pending) {
    port.coalesced++;
    return "coalesced";
  }
  port.pending = true;
  port.sent++;
  raise_irq(port.cpu, port.name);
  return "sent";
}
