// virtio's split-ring notification with event-index suppression
// (drivers/virtio/virtio_ring.c, drivers/vhost/vhost.c), ported to a
// paravirtual transport whose notifications are Xen event channels: the
// guest's frontend adds buffers and kicks the backend only when avail_event
// says so; the backend uses them and interrupts the guest only when
// used_event says so; each re-enables notifications and checks the ring
// again before it sleeps. A kick or an interrupt is an asynchronous,
// coalescing event-channel send.
import fc from "fast-check";
import type { MachineConfig } from "../../kernel/index.ts";
import { READ_ONCE, defineModel, kthread_run } from "../../kernel/index.ts";
import { backend, vhost_kick, vhost_virtqueue } from "./backend.ts";
import { bind_evtchn_to_irqhandler, evtchn_port } from "./evtchn.ts";
import type { Decision, Variant } from "./ghost.ts";
import { Ghost } from "./ghost.ts";
import { frontend, vring_interrupt, vring_virtqueue } from "./virtqueue.ts";
import { NUM, u16, vring_init } from "./vring.ts";

export interface VirtioEvtchnWorkload {
  /** The value every index starts at (as if that many buffers had gone through the ring): near 65535, the run wraps. */
  start: number;
  /** The frontend's batches: buffers added before each kick decision. */
  batches: number[];
}

/**
 * Starting indices: 0, and just before the wrap. In ascending order: the
 * harness shrinks a workload's numbers downwards, and fast-check's
 * constantFrom() towards the first constant; the two must agree.
 */
export const STARTS = [0, 65533, 65534, 65535] as const;

function checkConfig(config: MachineConfig): void {
  if (config.cpus !== 2) throw new Error(`virtio-evtchn runs on 2 cpus (the guest's vCPU 0, the backend's on 1), got ${config.cpus}`);
}

function workload(config: MachineConfig): fc.Arbitrary<VirtioEvtchnWorkload> {
  checkConfig(config);
  return fc.record({
    start: fc.constantFrom(...STARTS),
    batches: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 3 }),
  });
}

const decision = (who: string, d: Decision | undefined, yes: string, no: string) =>
  d === undefined
    ? `the ${who} never decided`
    : `the ${who}'s last decision was ${d.first ? "its first signal" : `vring_need_event(${d.event}, ${d.new_idx}, ${d.old_idx})`}: ${d.notify ? yes : no}`;
const traffic = (p: evtchn_port) => `${p.name}: ${p.sent} send(s) raised an upcall, ${p.coalesced} coalesced, ${p.upcalls} upcall(s) taken`;

export default defineModel<VirtioEvtchnWorkload>({
  name: "virtio-evtchn",
  description: "virtio's vring notification with event-index suppression over Xen event channels: avail_event, used_event, kicks and interrupts that coalesce",
  variants: {
    correct: {
      description: "virtio_mb() before reading avail_event, smp_mb() before reading used_event, u16 need_event, and both sides check the ring again after re-enabling notifications",
      correct: true,
    },
    "no-kick-mb": {
      description: "virtqueue_kick_prepare() reads avail_event with no full barrier after publishing avail->idx: the backend re-checks the ring before the new index is visible, the frontend reads the old avail_event, and nobody kicks",
      correct: false,
      config: { memory: "pso" },
    },
    "int-need-event": {
      description: "vring_need_event() without the (__u16) casts: promoted to int, the test is wrong when [old, new) straddles 65535 -> 0, and the kick or the interrupt is not sent",
      correct: false,
    },
    "no-recheck": {
      description: "virtqueue_enable_cb() writes used_event and sleeps without virtqueue_poll(): a buffer used in between is seen by neither side, and no interrupt comes",
      correct: false,
    },
  },
  properties: {
    "no-lost-kick": "when both sides sleep, the backend has consumed every buffer the frontend made available (avail->idx == last_avail_idx)",
    "no-lost-interrupt": "when both sides sleep, the frontend has reclaimed every buffer the backend used (used->idx == last_used_idx)",
    "consumed-once": "the backend consumes each buffer once, and the frontend reclaims each once, after the backend used it",
    "index-wrap": `indices wrap as u16: no index moves by more than the ring's ${NUM} entries, every head is a descriptor, and each buffer is found at the avail and used index it was put at`,
  },
  defaults: { cpus: 2, maxSteps: 2000, memory: "sc" },
  maxEvents: 60,
  workload,
  workloadHelp: `{ start: one of ${STARTS.join(", ")}, batches: [1-2, ...1-3] }`,
  setup(variant, w, config) {
    checkConfig(config);
    for (const b of w.batches) if (!Number.isInteger(b) || b < 1) throw new Error(`virtio-evtchn: a batch is at least one buffer, got ${b}`);
    const start = u16(w.start);
    const v: Variant = {
      noKickMb: variant === "no-kick-mb",
      intNeedEvent: variant === "int-need-event",
      noRecheck: variant === "no-recheck",
    };
    const ghost = new Ghost();
    const vring = vring_init(start);
    // One interdomain event channel; each end is a port with its own pending bit: the frontend's on the guest's vCPU 0, the backend's on cpu1.
    const guestPort = new evtchn_port("evtchn-fe", 0);
    const backendPort = new evtchn_port("evtchn-be", 1);
    const vq = new vring_virtqueue(vring, backendPort, ghost, v, start);
    const dev = new vhost_virtqueue(vring, guestPort, ghost, v, (head) => vq.desc_state[head] ?? null, start);
    bind_evtchn_to_irqhandler(guestPort, (p) => vring_interrupt(vq, p));
    bind_evtchn_to_irqhandler(backendPort, (p) => vhost_kick(dev, p));
    // Both threads are daemons: a run ends when neither can go on, and the ring (the final checks) says whether that is right.
    kthread_run(() => frontend(vq, w.batches), "frontend", { cpu: 0, pinned: true, daemon: true });
    kthread_run(() => backend(dev), "backend", { cpu: 1, pinned: true, daemon: true });
    return {
      finals: {
        "no-lost-kick"() {
          const avail = READ_ONCE(vring.avail.idx);
          if (avail === dev.last_avail_idx) return undefined;
          const n = u16(avail - dev.last_avail_idx);
          return {
            message: `both sides sleep with ${n} buffer(s) available and not consumed: avail->idx = ${avail}, the backend stopped at ${dev.last_avail_idx} with avail_event = ${READ_ONCE(vring.used.avail_event)}; ${decision("frontend", ghost.lastKick, "kick", "no kick")}; ${traffic(backendPort)}`,
            contexts: ["frontend", "backend"],
          };
        },
        "no-lost-interrupt"() {
          const used = READ_ONCE(vring.used.idx);
          if (used === vq.last_used_idx) return undefined;
          const n = u16(used - vq.last_used_idx);
          return {
            message: `both sides sleep with ${n} used buffer(s) not reclaimed: used->idx = ${used}, the frontend stopped at ${vq.last_used_idx} with used_event = ${READ_ONCE(vring.avail.used_event)}; ${decision("backend", ghost.lastSignal, "interrupt", "no interrupt")}; ${traffic(guestPort)}`,
            contexts: ["backend", "frontend"],
          };
        },
      },
    };
  },
});
