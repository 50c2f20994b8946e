// A shadow driver (Swift et al., "Recovering Device Drivers", OSDI 2004): the
// shadow sits between the kernel and a driver, logs the configuration it was
// given and the requests in flight in it, and when the driver fails it masks
// the driver's interrupt, tears the driver down, starts a fresh instance,
// replays the logged configuration, resubmits the requests that were in
// flight and then those queued meanwhile, so that every caller sees each of
// its requests completed exactly once.
//
// Everything the shadow knows is under one lock, `shadow->lock`, taken with
// interrupts saved in threads and plainly in the interrupt handler. Every
// call into the driver is made under it, so a request reaches the driver
// only in a state the shadow has seen.
import type { Gen } from "../../kernel/index.ts";
import { DEFINE_SPINLOCK, spin_lock, spin_lock_irqsave, spin_unlock, spin_unlock_irqrestore, violation, wait_event } from "../../kernel/index.ts";

/** One I/O request of a caller. */
export interface request {
  name: string;
  /** Ghost: how many times it was completed to its caller. */
  completions: number;
}

/** An operation a caller sends through the shadow: I/O, or a configuration change (the new setting). */
export type op = { kind: "io"; req: request } | { kind: "config"; value: string };

/** The driver's life: one instance per generation. */
export type drv_state = "live" | "failed" | "torn-down" | "restarting" | "configured";

/** One instance of the driver (what a restart throws away and makes anew). */
export class driver_instance {
  state: drv_state = "live";
  /** The configuration this instance was given (null: none yet). */
  config: string | null;
  constructor(
    readonly gen: number,
    config: string | null,
  ) {
    this.config = config;
  }
}

/** The device's descriptor ring: posted requests, then completed ones waiting for the interrupt handler. */
export interface device_ring {
  posted: { req: request; gen: number }[];
  done: { req: request; gen: number }[];
}

export class shadow_dev {
  readonly lock = DEFINE_SPINLOCK("shadow->lock");
  drv = new driver_instance(1, "cfg0");
  /** The configuration log: the setting last applied through the shadow. */
  config = "cfg0";
  /** The in-flight log: requests handed to the driver and not yet completed. */
  inflight: request[] = [];
  /** Operations that arrived while the driver was recovering, in order. */
  queue: op[] = [];
  recovering = false;
  /** The generation detected as failed: its completions are stale. */
  dead_gen = 0;
  /** The interrupt line is masked (disable_irq): delivery runs no handler. */
  irq_masked = false;
  /** Handlers of the line running now (for synchronize_irq). */
  handlers = 0;
  readonly dev: device_ring = { posted: [], done: [] };
  /** The fault injector has made the driver fail. */
  crashed = false;
  /** Ghost: every I/O request issued. */
  readonly issued: request[] = [];
}

export type Variant = "correct" | "stale-completion" | "irq-unmasked" | "no-queue";

/**
 * The driver's submit routine (called with shadow->lock held). `fresh`: a
 * caller's request, as opposed to one the shadow replays.
 */
function* drv_submit(s: shadow_dev, req: request, fresh: boolean): Gen {
  const d = s.drv;
  if (fresh && s.recovering) violation("no-io-during-restart", `${req.name} reaches driver #${d.gen} (${d.state}) while the shadow is recovering it`);
  if (d.state === "failed" || d.state === "torn-down") {
    // A dead driver does nothing with it; the in-flight log still holds it.
    yield `driver #${d.gen} (${d.state}): ${req.name} is lost inside it`;
    return;
  }
  if (d.config !== s.config) violation("config-before-io", `${req.name} reaches driver #${d.gen} (${d.state}) configured with ${d.config ?? "nothing"}, the log says ${s.config}`);
  s.dev.posted.push({ req, gen: d.gen });
  yield `driver #${d.gen}: post ${req.name} to the device`;
}

/** The driver's configuration routine (called with shadow->lock held). */
function* drv_configure(s: shadow_dev, value: string): Gen {
  const d = s.drv;
  if (d.state !== "failed" && d.state !== "torn-down") d.config = value;
  s.config = value;
  yield `driver #${d.gen}: set ${value} (logged)`;
}

/** A caller's request, through the shadow. */
export function* shadow_submit(s: shadow_dev, o: op, variant: Variant): Gen {
  const flags = yield* spin_lock_irqsave(s.lock);
  if (s.recovering && variant !== "no-queue") {
    s.queue.push(o);
    yield `shadow: driver recovering, ${o.kind === "io" ? o.req.name : o.value} queued`;
  } else if (o.kind === "config") {
    yield* drv_configure(s, o.value);
  } else {
    s.inflight.push(o.req);
    yield `shadow: log ${o.req.name} in flight`;
    yield* drv_submit(s, o.req, true);
  }
  yield* spin_unlock_irqrestore(s.lock, flags);
}

/** The driver's completion upcall, intercepted by the shadow (in the interrupt handler). */
function* shadow_complete(s: shadow_dev, req: request, gen: number, variant: Variant): Gen {
  yield* spin_lock(s.lock);
  if (variant !== "stale-completion" && (gen !== s.drv.gen || gen === s.dead_gen)) {
    yield `shadow: ${req.name} completed by failed driver #${gen}: dropped, it will be replayed`;
  } else {
    const i = s.inflight.indexOf(req);
    if (i >= 0) s.inflight.splice(i, 1);
    req.completions++;
    yield `shadow: complete ${req.name} to its caller (completion ${req.completions})`;
  }
  yield* spin_unlock(s.lock);
}

/** The line's interrupt: the irq core (which respects the mask), then the driver's handler. */
export function* dev_interrupt(s: shadow_dev, variant: Variant): Gen {
  if (s.irq_masked) {
    yield "dev is masked: no handler runs";
    return;
  }
  s.handlers++;
  const d = s.drv;
  if (d.state === "torn-down" || d.state === "restarting") violation("no-irq-after-teardown", `the handler of driver #${d.gen} runs on its torn-down state (${d.state})`);
  yield `dev_irq (driver #${d.gen}, ${d.state}): read status, ${s.dev.done.length} done`;
  for (;;) {
    const e = s.dev.done.shift();
    if (e === undefined) break;
    yield `dev_irq: reap ${e.req.name} (posted by driver #${e.gen})`;
    yield* shadow_complete(s, e.req, e.gen, variant);
  }
  s.handlers--;
  yield "dev_irq: IRQ_HANDLED";
}

/** The shadow's recovery thread: waits for a failure, then recovers, step by step. */
export function* shadow_recovery(s: shadow_dev, variant: Variant): Gen {
  yield wait_event(() => s.crashed, "a driver failure");
  const mask = variant !== "irq-unmasked";

  // Detect: from now on requests are queued, and the in-flight log is what will be replayed.
  let flags = yield* spin_lock_irqsave(s.lock);
  s.recovering = true;
  s.dead_gen = s.drv.gen;
  const replay = [...s.inflight];
  yield `shadow: driver #${s.drv.gen} failed; recovering, replay ${replay.map((r) => r.name).join(" ") || "nothing"}`;
  yield* spin_unlock_irqrestore(s.lock, flags);

  if (mask) {
    s.irq_masked = true;
    yield "shadow: disable_irq(dev)";
    if (s.handlers > 0) yield wait_event(() => s.handlers === 0, "the dev handlers have returned");
  }

  // Tear the failed instance down and reset the device: what it held is in the logs.
  flags = yield* spin_lock_irqsave(s.lock);
  s.drv.state = "torn-down";
  s.dev.posted.length = 0;
  s.dev.done.length = 0;
  yield `shadow: tear down driver #${s.drv.gen}, reset the device`;
  yield* spin_unlock_irqrestore(s.lock, flags);

  // Restart: a fresh instance, unconfigured.
  flags = yield* spin_lock_irqsave(s.lock);
  s.drv = new driver_instance(s.drv.gen + 1, null);
  s.drv.state = "restarting";
  yield `shadow: probe driver #${s.drv.gen}`;
  yield* spin_unlock_irqrestore(s.lock, flags);

  // Replay the configuration log.
  flags = yield* spin_lock_irqsave(s.lock);
  s.drv.config = s.config;
  s.drv.state = "configured";
  yield `shadow: replay configuration ${s.config} into driver #${s.drv.gen}`;
  yield* spin_unlock_irqrestore(s.lock, flags);

  if (mask) {
    s.irq_masked = false;
    yield "shadow: enable_irq(dev)";
  }

  // Resubmit what was in flight in the failed instance.
  for (const req of replay) {
    flags = yield* spin_lock_irqsave(s.lock);
    yield* drv_submit(s, req, false);
    yield* spin_unlock_irqrestore(s.lock, flags);
  }

  // Then what was queued meanwhile; the last step ends the recovery under the lock.
  for (;;) {
    flags = yield* spin_lock_irqsave(s.lock);
    const o = s.queue.shift();
    if (o === undefined) {
      s.recovering = false;
      s.drv.state = "live";
      yield `shadow: driver #${s.drv.gen} recovered`;
      yield* spin_unlock_irqrestore(s.lock, flags);
      return;
    }
    if (o.kind === "config") yield* drv_configure(s, o.value);
    else {
      s.inflight.push(o.req);
      yield `shadow: log queued ${o.req.name} in flight`;
      yield* drv_submit(s, o.req, false);
    }
    yield* spin_unlock_irqrestore(s.lock, flags);
  }
}
