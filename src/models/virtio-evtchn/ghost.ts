// What really happened to each buffer, to check the ring against, and how
// each variant departs from the right code.
import { NUM } from "./vring.ts";

export interface Variant {
  /** virtqueue_kick_prepare() without virtio_mb() between publishing avail->idx and reading avail_event. */
  noKickMb: boolean;
  /** vring_need_event() without the (__u16) casts, on both sides. */
  intNeedEvent: boolean;
  /** virtqueue_enable_cb() that re-enables callbacks and does not call virtqueue_poll(). */
  noRecheck: boolean;
}

/** A kick or an interrupt decision: vring_need_event(event, new, old). */
export interface Decision {
  event: number;
  new_idx: number;
  old_idx: number;
  notify: boolean;
  /** The device's first interrupt decision is no decision: vhost always signals it. */
  first?: boolean;
}

export class Ghost {
  /** The buffer the driver made available at each avail index. */
  readonly availAt = new Map<number, number>();
  /** The buffer the device used at each used index. */
  readonly usedAt = new Map<number, number>();
  /** Buffers the device has consumed. */
  readonly consumed = new Set<number>();
  /** Buffers the driver has reclaimed. */
  readonly reclaimed = new Set<number>();
  /** The driver's last kick decision and the device's last interrupt decision, for the reports. */
  lastKick?: Decision;
  lastSignal?: Decision;
}

/** Why a u16 index read from the ring is not one, if it is not. */
export function badIndex(v: number): string | undefined {
  return Number.isInteger(v) && v >= 0 && v <= 0xffff ? undefined : `${v} is not a u16`;
}

/** Why a head read from a ring is not a descriptor of this queue, if it is not. */
export function badHead(h: number): string | undefined {
  return Number.isInteger(h) && h >= 0 && h < NUM ? undefined : `head ${h} is not a descriptor (0-${NUM - 1})`;
}
