// A network driver's transmit path and its tx-completion interrupt, sharing
// the ring state through priv->lock, as in countless Linux drivers. Each
// variant is the same driver with one locking mistake (or none).
import type { Gen, IrqFlags } from "../../kernel/index.ts";
import {
  DEFINE_SPINLOCK,
  GFP_ATOMIC,
  GFP_KERNEL,
  kmalloc,
  spin_lock,
  spin_lock_irq,
  spin_lock_irqsave,
  spin_unlock,
  spin_unlock_irq,
  spin_unlock_irqrestore,
} from "../../kernel/index.ts";
import { my_lock, my_lock_t, my_unlock } from "./my-lock.ts";

export class nic_priv {
  readonly lock = DEFINE_SPINLOCK("priv->lock");
  readonly stats_lock = DEFINE_SPINLOCK("priv->stats_lock");
  /** The hand-rolled lock of the no-preempt-disable variant. */
  readonly ring_lock = new my_lock_t("priv->ring_lock");
  tx_pending = 0;
  tx_packets = 0;
  /** Ghost: what really happened. */
  sent = 0;
  completed = 0;
  counted = 0;
}

/** tx_pending++, as the load and the store it compiles to. */
function* ring_push(priv: nic_priv): Gen {
  const n = priv.tx_pending;
  yield `load tx_pending (${n})`;
  priv.tx_pending = n + 1;
  priv.sent++;
  yield `store tx_pending = ${n + 1}`;
}

/** tx_pending-- for one completed descriptor, if any is pending. */
function* ring_reap(priv: nic_priv): Gen {
  const n = priv.tx_pending;
  yield `load tx_pending (${n})`;
  if (n === 0) return;
  priv.tx_pending = n - 1;
  priv.completed++;
  yield `store tx_pending = ${n - 1}`;
}

/** tx_packets++ under whatever lock the caller holds. */
function* count_packet(priv: nic_priv): Gen {
  const n = priv.tx_packets;
  yield `load tx_packets (${n})`;
  priv.tx_packets = n + 1;
  priv.counted++;
  yield `store tx_packets = ${n + 1}`;
}

/** The stats update nested inside priv->lock; interrupts are already off. */
function* nested_stats(priv: nic_priv): Gen {
  yield* spin_lock(priv.stats_lock);
  yield* count_packet(priv);
  yield* spin_unlock(priv.stats_lock);
}

/** ndo_start_xmit, variant by variant. */
export function* nic_xmit(priv: nic_priv, variant: string, nested: boolean): Gen {
  switch (variant) {
    case "irqsave": {
      const flags = yield* spin_lock_irqsave(priv.lock);
      yield* kmalloc(64, GFP_ATOMIC);
      yield* ring_push(priv);
      if (nested) yield* nested_stats(priv);
      yield* spin_unlock_irqrestore(priv.lock, flags);
      return;
    }
    case "plain-lock-in-irq": {
      yield* spin_lock(priv.lock); // interrupts stay on: the handler can land here
      yield* ring_push(priv);
      if (nested) yield* nested_stats(priv);
      yield* spin_unlock(priv.lock);
      return;
    }
    case "unlock-irq-nested": {
      const flags = yield* spin_lock_irqsave(priv.lock);
      yield* spin_lock_irq(priv.stats_lock);
      yield* count_packet(priv);
      yield* spin_unlock_irq(priv.stats_lock); // turns interrupts on with priv->lock still held
      yield* ring_push(priv);
      yield* spin_unlock_irqrestore(priv.lock, flags);
      return;
    }
    case "shared-flags": {
      let flags: IrqFlags = yield* spin_lock_irqsave(priv.lock);
      yield* ring_push(priv);
      flags = yield* spin_lock_irqsave(priv.stats_lock); // the outer flags are overwritten
      yield* count_packet(priv);
      yield* spin_unlock_irqrestore(priv.stats_lock, flags);
      yield* spin_unlock_irqrestore(priv.lock, flags); // restores "off": interrupts stay disabled
      return;
    }
    case "sleep-under-lock": {
      const flags = yield* spin_lock_irqsave(priv.lock);
      yield* kmalloc(64, GFP_KERNEL); // may sleep, with a spinlock held and interrupts off
      yield* ring_push(priv);
      if (nested) yield* nested_stats(priv);
      yield* spin_unlock_irqrestore(priv.lock, flags);
      return;
    }
    case "no-preempt-disable": {
      yield* my_lock(priv.ring_lock); // preemption stays on: the holder can be switched out
      yield* ring_push(priv);
      yield* my_unlock(priv.ring_lock);
      return;
    }
    case "threaded-spin-lock": {
      yield* spin_lock(priv.lock); // no interrupt handler takes it: preemption off is what matters
      yield* ring_push(priv);
      yield* spin_unlock(priv.lock);
      return;
    }
  }
  throw new Error(`no variant ${variant}`);
}

/** The tx-completion interrupt handler (hardirq context, interrupts off). */
export function* nic_interrupt(priv: nic_priv, nested: boolean): Gen {
  yield* spin_lock(priv.lock);
  yield* ring_reap(priv);
  if (nested) yield* nested_stats(priv);
  yield* spin_unlock(priv.lock);
}

/** The completion work of the threaded variants, in the SCHED_FIFO interrupt thread. */
export function* nic_irq_thread(priv: nic_priv, variant: string): Gen {
  if (variant === "no-preempt-disable") {
    yield* my_lock(priv.ring_lock);
    yield* ring_reap(priv);
    yield* my_unlock(priv.ring_lock);
  } else {
    yield* spin_lock(priv.lock);
    yield* ring_reap(priv);
    yield* spin_unlock(priv.lock);
  }
}

/** Variants whose completion work runs in an interrupt thread rather than the hard handler. */
export const THREADED = ["no-preempt-disable", "threaded-spin-lock"];

