// The device's side, after drivers/vhost/vhost.c and vhost-net's
// handle_tx(), run by a backend thread in the driver domain: take the
// buffers the guest made available, use them, publish used->idx, and
// interrupt the guest only when its used_event says so; when the ring is
// empty, re-enable kicks by writing avail_event and check the ring again
// (vhost_enable_notify()) before sleeping until the next kick.
import type { Gen, wait_queue_head_t } from "../../kernel/index.ts";
import { DECLARE_WAIT_QUEUE_HEAD, READ_ONCE, WRITE_ONCE, smp_mb, smp_rmb, smp_wmb, violation, wait_event, wake_up } from "../../kernel/index.ts";
import type { evtchn_port } from "./evtchn.ts";
import { notify_remote_via_evtchn, xen_evtchn_do_upcall } from "./evtchn.ts";
import type { Ghost, Variant } from "./ghost.ts";
import { badHead, badIndex } from "./ghost.ts";
import type { Vring } from "./vring.ts";
import { NUM, u16, vring_need_event, vring_need_event_int } from "./vring.ts";

/** struct vhost_virtqueue: the backend's private state of the queue. */
export class vhost_virtqueue {
  /** The last avail->idx read. */
  avail_idx: number;
  last_avail_idx: number;
  last_used_idx: number;
  /** used->idx at the last interrupt decision; not valid before the first. */
  signalled_used: number;
  signalled_used_valid = false;
  /** The backend thread's wait for a kick: the flag the upcall sets, and the queue it wakes. */
  kicked = false;
  readonly wq: wait_queue_head_t = DECLARE_WAIT_QUEUE_HEAD("vq->kick_wq");

  constructor(
    readonly vring: Vring,
    /** The guest's port: the device's interrupt. */
    readonly call_port: evtchn_port,
    readonly ghost: Ghost,
    readonly v: Variant,
    readonly descState: (head: number) => number | null,
    start: number,
  ) {
    this.avail_idx = start;
    this.last_avail_idx = start;
    this.last_used_idx = start;
    this.signalled_used = start;
  }
}

/** vhost_get_avail_idx(): reads avail->idx (checking it moved by at most the ring's size), then smp_rmb() before the entries. */
function* vhost_get_avail_idx(vq: vhost_virtqueue, what: string): Gen<number> {
  const idx = READ_ONCE(vq.vring.avail.idx);
  const bad = badIndex(idx) ?? (u16(idx - vq.last_avail_idx) > NUM ? `Guest moved avail index from ${vq.last_avail_idx} to ${idx}` : undefined);
  if (bad !== undefined) violation("index-wrap", `the device reads avail->idx = ${idx}: ${bad}`);
  vq.avail_idx = idx;
  const more = idx !== vq.last_avail_idx;
  // Ensure the available ring entry read happens after the avail_idx read.
  if (more) smp_rmb();
  yield `${what}avail->idx = ${idx}${more ? ", smp_rmb()" : ": empty"}`;
  return idx;
}

/** vhost_get_vq_desc(): the next available head, or null when the ring is empty. */
function* vhost_get_vq_desc(vq: vhost_virtqueue): Gen<number | null> {
  if (vq.avail_idx === vq.last_avail_idx) {
    yield* vhost_get_avail_idx(vq, "");
    if (vq.avail_idx === vq.last_avail_idx) return null;
  }
  const slot = vq.last_avail_idx & (NUM - 1);
  const head = READ_ONCE(vq.vring.avail.ring[slot]!);
  const badH = badHead(head);
  if (badH !== undefined) violation("index-wrap", `the device reads avail->ring[${slot}] = ${head}: ${badH}`);
  const g = vq.ghost;
  const buf = vq.descState(head);
  if (buf === null) violation("consumed-once", `the device takes desc ${head} from avail->ring[${slot}], which carries no buffer`);
  else {
    if (g.consumed.has(buf)) violation("consumed-once", `the device consumes buffer ${buf} a second time`);
    const want = g.availAt.get(vq.last_avail_idx);
    if (want !== buf) violation("index-wrap", `the device finds buffer ${buf} at avail index ${vq.last_avail_idx}, where the driver put buffer ${want ?? "none"}`);
    g.consumed.add(buf);
  }
  vq.last_avail_idx = u16(vq.last_avail_idx + 1);
  yield `avail->ring[${slot}] = desc ${head}: consume buffer ${buf}`;
  return head;
}

/** vhost_add_used(): the used entry, smp_wmb(), then used->idx. */
function* vhost_add_used(vq: vhost_virtqueue, head: number): Gen {
  const slot = vq.last_used_idx & (NUM - 1);
  WRITE_ONCE(vq.vring.used.ring[slot]!, head);
  yield `used->ring[${slot}] = desc ${head}`;
  // Make sure buffer is written before we update index.
  smp_wmb();
  const buf = vq.descState(head);
  if (buf !== null) vq.ghost.usedAt.set(vq.last_used_idx, buf);
  vq.last_used_idx = u16(vq.last_used_idx + 1);
  WRITE_ONCE(vq.vring.used.idx, vq.last_used_idx);
  yield `smp_wmb(), used->idx = ${vq.last_used_idx}`;
}

/**
 * vhost_signal(): vhost_notify() decides, with smp_mb() between the used
 * index's store and used_event's load (paired with the guest's barrier in
 * virtqueue_poll()), then the interrupt is an event-channel send.
 */
function* vhost_signal(vq: vhost_virtqueue): Gen {
  smp_mb();
  const old_idx = vq.signalled_used;
  const valid = vq.signalled_used_valid;
  const new_idx = (vq.signalled_used = vq.last_used_idx);
  vq.signalled_used_valid = true;
  const event = READ_ONCE(vq.vring.avail.used_event);
  const need = !valid || (vq.v.intNeedEvent ? vring_need_event_int(event, new_idx, old_idx) : vring_need_event(event, new_idx, old_idx));
  vq.ghost.lastSignal = { event, new_idx, old_idx, notify: need, first: !valid };
  const why = valid ? `need_event(${event}, ${new_idx}, ${old_idx})` : "first signal";
  yield `smp_mb(); ${why}: ${need ? "interrupt" : "no interrupt"}`;
  if (!need) return;
  const r = notify_remote_via_evtchn(vq.call_port);
  yield `interrupt: notify_remote_via_evtchn() (${r})`;
}

/**
 * vhost_enable_notify(): kicks back on by writing avail_event = avail_idx;
 * "they could have slipped one in as we were doing that: make sure it's
 * written, then check again": smp_mb(), avail->idx. True if there is more.
 */
function* vhost_enable_notify(vq: vhost_virtqueue): Gen<boolean> {
  // A kick from now on is for the sleep this may lead to.
  vq.kicked = false;
  WRITE_ONCE(vq.vring.used.avail_event, vq.avail_idx);
  yield `vhost_enable_notify(): avail_event = ${vq.avail_idx}`;
  smp_mb();
  yield* vhost_get_avail_idx(vq, "smp_mb(), ");
  return vq.avail_idx !== vq.last_avail_idx;
}

/** The backend's upcall for its port: clear_evtchn(), then wake the backend thread (vhost_poll_wakeup()). */
export function* vhost_kick(vq: vhost_virtqueue, port: evtchn_port): Gen {
  xen_evtchn_do_upcall(port);
  vq.kicked = true;
  wake_up(vq.wq);
  yield "kick: wake the backend";
}

/**
 * The backend thread: handle_tx() whenever kicked: use every available
 * buffer, then signal once for the batch (vhost_net_signal_used()); when the
 * ring is empty, enable kicks and check again; sleep until the next kick.
 */
export function* backend(vq: vhost_virtqueue): Gen {
  for (;;) {
    for (;;) {
      const head = yield* vhost_get_vq_desc(vq);
      if (head !== null) {
        yield* vhost_add_used(vq, head);
        continue;
      }
      // The ring ran dry: signal the batch used so far (vhost_net_signal_used()).
      if (vq.last_used_idx !== vq.signalled_used) yield* vhost_signal(vq);
      if (!(yield* vhost_enable_notify(vq))) break;
      // vhost_disable_notify(): nothing to write with event index.
    }
    yield* wait_event(vq.wq, () => vq.kicked);
  }
}
