// The driver's side, after drivers/virtio/virtio_ring.c (split ring,
// event-index notification suppression): add a buffer, decide whether to
// kick, get used buffers back, re-enable callbacks and check again before
// sleeping; and a frontend that submits its buffers in batches and waits
// for them, as virtio-net's transmit path does. The notifications go over
// Xen event channels: a kick is an EVTCHNOP_send to the backend's port, the
// device's interrupt an upcall on the guest's.
import type { Gen, wait_queue_head_t } from "../../kernel/index.ts";
import { DECLARE_WAIT_QUEUE_HEAD, READ_ONCE, WRITE_ONCE, smp_mb, smp_rmb, smp_wmb, violation, wait_event, wake_up } from "../../kernel/index.ts";
import type { evtchn_port } from "./evtchn.ts";
import { notify_remote_via_evtchn, xen_evtchn_do_upcall } from "./evtchn.ts";
import type { Ghost, Variant } from "./ghost.ts";
import { badHead, badIndex } from "./ghost.ts";
import type { Vring } from "./vring.ts";
import { NUM, u16, vring_need_event, vring_need_event_int } from "./vring.ts";

/** struct vring_virtqueue: the guest's private state of the queue. */
export class vring_virtqueue {
  avail_idx_shadow: number;
  /** Buffers added since the last kick decision. */
  num_added = 0;
  last_used_idx: number;
  num_free = NUM;
  /** Free descriptor heads. */
  readonly free: number[] = new Array(NUM).fill(null).map((_, i) => i);
  /** desc_state[head].data: the buffer a descriptor carries, null when free. */
  readonly desc_state: (number | null)[] = new Array<number | null>(NUM).fill(null);
  /** !(avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT) */
  cb_enabled = true;
  /** The device has sent an event since callbacks were last enabled (a hint). */
  event_triggered = false;
  /** The frontend waits for used buffers as virtio-net's stopped tx queue does: stopped, woken by the callback. */
  queue_stopped = false;
  readonly wq: wait_queue_head_t = DECLARE_WAIT_QUEUE_HEAD("vq->wq");

  constructor(
    readonly vring: Vring,
    readonly kick_port: evtchn_port,
    readonly ghost: Ghost,
    readonly v: Variant,
    start: number,
  ) {
    this.avail_idx_shadow = start;
    this.last_used_idx = start;
  }
}

/** virtqueue_add_split(), one buffer in one descriptor: the ring entry, virtio_wmb(), then avail->idx. */
export function* virtqueue_add(vq: vring_virtqueue, buf: number): Gen {
  const head = vq.free.shift()!;
  vq.num_free--;
  vq.desc_state[head] = buf;
  const slot = vq.avail_idx_shadow & (NUM - 1);
  WRITE_ONCE(vq.vring.avail.ring[slot]!, head);
  yield `buffer ${buf}: avail->ring[${slot}] = desc ${head}`;
  // Descriptors and available array need to be set before we expose the new available array entries.
  smp_wmb();
  vq.ghost.availAt.set(vq.avail_idx_shadow, buf);
  vq.avail_idx_shadow = u16(vq.avail_idx_shadow + 1);
  WRITE_ONCE(vq.vring.avail.idx, vq.avail_idx_shadow);
  vq.num_added++;
  yield `virtio_wmb(), avail->idx = ${vq.avail_idx_shadow}`;
}

/**
 * virtqueue_kick_prepare_split(): virtio_mb() (expose the new entries before
 * reading avail_event), then vring_need_event(avail_event, new, old).
 */
export function* virtqueue_kick_prepare(vq: vring_virtqueue): Gen<boolean> {
  if (!vq.v.noKickMb) smp_mb();
  const new_idx = vq.avail_idx_shadow;
  const old_idx = u16(new_idx - vq.num_added);
  vq.num_added = 0;
  const event = READ_ONCE(vq.vring.used.avail_event);
  const need = vq.v.intNeedEvent ? vring_need_event_int(event, new_idx, old_idx) : vring_need_event(event, new_idx, old_idx);
  vq.ghost.lastKick = { event, new_idx, old_idx, notify: need };
  yield `${vq.v.noKickMb ? "" : "virtio_mb(); "}need_event(${event}, ${new_idx}, ${old_idx}): ${need ? "kick" : "no kick"}`;
  return need;
}

/** virtqueue_notify(): the kick, an event-channel send to the backend. */
export function* virtqueue_notify(vq: vring_virtqueue): Gen {
  const r = notify_remote_via_evtchn(vq.kick_port);
  yield `kick: notify_remote_via_evtchn() (${r})`;
}

/**
 * virtqueue_get_buf_ctx_split(): the next used buffer, or null. more_used()
 * reads used->idx; virtio_rmb() before the entry; with callbacks enabled the
 * new last_used_idx goes to used_event with virtio_store_mb().
 */
export function* virtqueue_get_buf(vq: vring_virtqueue): Gen<number | null> {
  const used_idx = READ_ONCE(vq.vring.used.idx);
  const bad = badIndex(used_idx) ?? (u16(used_idx - vq.last_used_idx) > NUM ? `used->idx moved from ${vq.last_used_idx} to ${used_idx}, more than ${NUM} entries` : undefined);
  if (bad !== undefined) violation("index-wrap", `the driver reads used->idx = ${used_idx}: ${bad}`);
  if (used_idx === vq.last_used_idx) {
    yield `used->idx = ${used_idx}: nothing used`;
    return null;
  }
  yield `used->idx = ${used_idx}`;
  // Only get used array entries after they have been exposed by host.
  smp_rmb();
  const slot = vq.last_used_idx & (NUM - 1);
  const head = READ_ONCE(vq.vring.used.ring[slot]!);
  const g = vq.ghost;
  const badH = badHead(head);
  if (badH !== undefined) violation("index-wrap", `the driver reads used->ring[${slot}] = ${head}: ${badH}`);
  const buf = vq.desc_state[head] ?? null;
  if (buf === null) violation("consumed-once", `the driver takes desc ${head} from used->ring[${slot}], which carries no buffer`);
  else {
    if (!g.consumed.has(buf)) violation("consumed-once", `the driver reclaims buffer ${buf}, which the device has not consumed`);
    if (g.reclaimed.has(buf)) violation("consumed-once", `the driver reclaims buffer ${buf} a second time`);
    const want = g.usedAt.get(vq.last_used_idx);
    if (want !== buf) violation("index-wrap", `the driver finds buffer ${buf} at used index ${vq.last_used_idx}, where the device used buffer ${want ?? "none"}`);
    g.reclaimed.add(buf);
    // detach_buf_split()
    vq.desc_state[head] = null;
    vq.free.push(head);
    vq.num_free++;
  }
  vq.last_used_idx = u16(vq.last_used_idx + 1);
  yield `virtio_rmb(), used->ring[${slot}] = desc ${head}: buffer ${buf} back`;
  if (vq.cb_enabled) {
    // If we expect an interrupt for the next entry, tell host by writing event index and flush out the write before the read in the next get_buf call.
    WRITE_ONCE(vq.vring.avail.used_event, vq.last_used_idx);
    smp_mb();
    yield `virtio_store_mb(used_event = ${vq.last_used_idx})`;
  }
  return buf;
}

/** virtqueue_disable_cb_split(): with event index, writes 0 to used_event ("a hack"), unless the device has sent an event already. */
export function* virtqueue_disable_cb(vq: vring_virtqueue): Gen {
  if (!vq.cb_enabled) return;
  vq.cb_enabled = false;
  if (vq.event_triggered) return;
  WRITE_ONCE(vq.vring.avail.used_event, 0);
  yield "virtqueue_disable_cb(): used_event = 0x0";
}

/** virtqueue_enable_cb_prepare_split(): callbacks back on, used_event = last_used_idx; returns it for virtqueue_poll(). */
export function* virtqueue_enable_cb_prepare(vq: vring_virtqueue): Gen<number> {
  vq.cb_enabled = true;
  vq.event_triggered = false;
  const last = vq.last_used_idx;
  WRITE_ONCE(vq.vring.avail.used_event, last);
  yield `virtqueue_enable_cb_prepare(): used_event = ${last}`;
  return last;
}

/** virtqueue_poll(): virtio_mb(), then whether used->idx moved past `last` (the device used a buffer meanwhile). */
export function* virtqueue_poll(vq: vring_virtqueue, last: number): Gen<boolean> {
  smp_mb();
  const used_idx = READ_ONCE(vq.vring.used.idx);
  const more = used_idx !== last;
  yield `virtqueue_poll(): virtio_mb(), used->idx = ${used_idx}${more ? " (more)" : ""}`;
  return more;
}

/**
 * The guest's upcall for the ring's port: clear_evtchn(), then
 * vring_interrupt(): nothing to do unless more_used(); else note the event
 * and run the callback, which disables callbacks and wakes the frontend's
 * queue if it is stopped (virtio-net's skb_xmit_done(): netif_wake_subqueue()).
 */
export function* vring_interrupt(vq: vring_virtqueue, port: evtchn_port): Gen {
  xen_evtchn_do_upcall(port);
  const used_idx = READ_ONCE(vq.vring.used.idx);
  if (used_idx === vq.last_used_idx) {
    yield `vring_interrupt(): used->idx = ${used_idx}: no work`;
    return;
  }
  vq.event_triggered = true;
  vq.cb_enabled = false; // virtqueue_disable_cb(): the event is triggered, nothing to write
  const stopped = vq.queue_stopped;
  if (stopped) {
    vq.queue_stopped = false;
    wake_up(vq.wq);
  }
  yield `vring_interrupt(): used->idx = ${used_idx}: callback${stopped ? ", wake" : ""}`;
}

/** Reclaims every used buffer there is (free_old_xmit_skbs()). */
function* reclaim(vq: vring_virtqueue): Gen {
  while ((yield* virtqueue_get_buf(vq)) !== null);
}

/**
 * Nothing used to reclaim and the frontend must wait, as virtio-net's
 * start_xmit() does when its ring is full: stop the queue, then
 * virtqueue_enable_cb() (re-enable, then virtqueue_poll(): a buffer used
 * after the last get_buf, whose interrupt was decided before used_event's
 * store or came before the queue stopped, is seen by nobody else, so look
 * again), then sleep until the callback wakes the queue. The no-recheck
 * variant sleeps right after re-enabling.
 */
function* wait_for_used(vq: vring_virtqueue): Gen {
  vq.queue_stopped = true;
  yield "netif_stop_subqueue()";
  const last = yield* virtqueue_enable_cb_prepare(vq);
  if (!vq.v.noRecheck && (yield* virtqueue_poll(vq, last))) {
    // More came: the queue goes on (netif_start_subqueue()), callbacks off again.
    vq.queue_stopped = false;
    yield* virtqueue_disable_cb(vq);
    return;
  }
  yield* wait_event(vq.wq, () => !vq.queue_stopped);
}

/**
 * The frontend: adds its buffers batch by batch, deciding after each batch
 * whether to kick; when the ring is full it kicks what it has added and
 * waits for used buffers; at the end it waits until the device has used
 * them all and it has reclaimed them.
 */
export function* frontend(vq: vring_virtqueue, batches: number[]): Gen {
  let buf = 0;
  for (const batch of batches) {
    for (let i = 0; i < batch; i++) {
      while (vq.num_free === 0) {
        // The queue stops: kick what was added (virtio-net kicks when the queue is stopped).
        if (vq.num_added > 0 && (yield* virtqueue_kick_prepare(vq))) yield* virtqueue_notify(vq);
        yield* reclaim(vq);
        if (vq.num_free === 0) yield* wait_for_used(vq);
      }
      yield* virtqueue_add(vq, buf++);
    }
    if (yield* virtqueue_kick_prepare(vq)) yield* virtqueue_notify(vq);
  }
  for (;;) {
    yield* reclaim(vq);
    if (vq.num_free === NUM) break;
    yield* wait_for_used(vq);
  }
  yield `all ${buf} buffers used and reclaimed`;
}
