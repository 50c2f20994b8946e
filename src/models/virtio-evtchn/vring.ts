// The split virtqueue's shared ring (include/uapi/linux/virtio_ring.h) as
// the guest grants it to the backend: the available ring the driver writes,
// the used ring the device writes, and the two event indices of
// VIRTIO_RING_F_EVENT_IDX. Every field is a shared word, so the memory
// modes apply to each load and store. Indices are u16 and run freely; a
// slot is `idx & (NUM - 1)`.
import type { shared_t } from "../../kernel/index.ts";
import { DEFINE_SHARED } from "../../kernel/index.ts";

/** Entries in the ring (a power of two, small so that slots and indices wrap in a short run). */
export const NUM = 4;

/** The C conversion to u16. */
export const u16 = (x: number): number => x & 0xffff;

/**
 * vring_need_event() (include/uapi/linux/virtio_ring.h): notify if the other
 * side's event index lies in [old_idx, new_idx), in u16 arithmetic:
 * (__u16)(new_idx - event_idx - 1) < (__u16)(new_idx - old_idx).
 */
export function vring_need_event(event_idx: number, new_idx: number, old_idx: number): boolean {
  return u16(new_idx - event_idx - 1) < u16(new_idx - old_idx);
}

/**
 * The same test without the (__u16) casts: C promotes the u16 operands to
 * int, so the differences are signed and unbounded, and the test is wrong
 * whenever [old_idx, new_idx) straddles 65535 -> 0 and the event index lies
 * past the wrap.
 */
export function vring_need_event_int(event_idx: number, new_idx: number, old_idx: number): boolean {
  return new_idx - event_idx - 1 < new_idx - old_idx;
}

export interface VringAvail {
  /** avail->idx: the driver's next free slot, published after the entries. */
  readonly idx: shared_t;
  /** avail->ring[]: descriptor heads. */
  readonly ring: shared_t[];
  /** avail->ring[num], vring_used_event(): "interrupt me when used->idx passes this". */
  readonly used_event: shared_t;
}

export interface VringUsed {
  readonly idx: shared_t;
  /** used->ring[].id: the heads the device has used. */
  readonly ring: shared_t[];
  /** used->ring[num], vring_avail_event(): "kick me when avail->idx passes this". */
  readonly avail_event: shared_t;
}

export interface Vring {
  readonly avail: VringAvail;
  readonly used: VringUsed;
}

/** A ring's NUM entries, each a shared word named after it ("avail.ring[0]" ...). */
function slots(name: string): shared_t[] {
  return new Array(NUM).fill(null).map((_, i) => DEFINE_SHARED(`${name}[${i}]`, 0));
}

/** vring_init() on a ring whose indices all start at `start` (as if `start` buffers had gone through it already). */
export function vring_init(start: number): Vring {
  return {
    avail: { idx: DEFINE_SHARED("avail.idx", start), ring: slots("avail.ring"), used_event: DEFINE_SHARED("avail.used_event", start) },
    used: { idx: DEFINE_SHARED("used.idx", start), ring: slots("used.ring"), avail_event: DEFINE_SHARED("used.avail_event", start) },
  };
}
