// What a model is: its variants, its properties, the workloads it can run,
// and the module-init code that builds its world on a booting machine.
import type { Arbitrary } from "fast-check";
import type { Violation } from "../sim/failure.ts";

/** Machine settings of a run; recorded in every counterexample. */
export interface MachineConfig {
  cpus: number;
  /** Actions after which a run is a hang. */
  maxSteps: number;
  /** Model-specific settings (a memory model, a timeout ...). */
  [setting: string]: number | string;
}

export interface VariantSpec {
  description: string;
  /** A correct variant must survive every hunt; a buggy one must be caught. */
  correct: boolean;
  /** Settings this variant is hunted with unless told otherwise. */
  config?: Partial<MachineConfig>;
}

/**
 * The sequential model of a mechanism: the abstract state (which objects are
 * free, which callbacks are pending, which request is outstanding). Model code
 * reports each operation at the step it takes effect with linearize(op); the
 * harness applies the operations in order, and one the sequential model does
 * not allow breaks `property`.
 */
export interface SequentialModel {
  property: string;
  apply(op: unknown): Violation | undefined;
}

/** What setup returns: the checks, closed over the world it built. */
export interface ModelInstance {
  sequential?: SequentialModel;
  /** Checked after every event and every drained step. */
  invariants?: Record<string, () => Violation | undefined>;
  /** Checked once the drain has run everything to the end. */
  finals?: Record<string, () => Violation | undefined>;
}

export interface ModelDefinition<W = unknown> {
  name: string;
  description: string;
  variants: Record<string, VariantSpec>;
  /** The model's own properties, name to one-line meaning (the machine adds its own). */
  properties: Record<string, string>;
  /** Settings every variant starts from. */
  defaults: MachineConfig;
  /** Commands a generated schedule is made of, at most (a command is one event, or a run of up to 8 steps). */
  maxEvents?: number;
  /** The workloads this model runs on a machine of this config; fast-check shrinks them. */
  workload(config: MachineConfig): Arbitrary<W>;
  /** One line on the shape of a workload, for errors about a malformed one. */
  workloadHelp?: string;
  /**
   * Module init: called while the machine boots. Create threads
   * (kthread_run), interrupt lines (request_irq) and per-CPU data; return the
   * checks. Must be deterministic in (variant, workload, config).
   */
  setup(variant: string, workload: W, config: MachineConfig): ModelInstance | void;
}

/**
 * Any model, whatever its workload type: the harness takes models through
 * this, since a model's setup takes its own workload and nothing wider.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModel = ModelDefinition<any>;

/** Properties every model has, checked by the machine and the kernel API. */
export const MACHINE_PROPERTIES: Record<string, string> = {
  deadlock: "something is left that can never make progress (the report names the cycle of who waits for whom)",
  hang: "the run did not end within its step bound",
  oops: "model code crashed (a NULL dereference, a BUG())",
  "sleep-in-atomic": "a call that may sleep in an interrupt handler, with a spinlock held, or with preemption or interrupts disabled",
  "mutual-exclusion": "no lock is held by two contexts at once",
  "irq-state": "spin_unlock_irqrestore restores what its spin_lock_irqsave found; a thread ends with no lock held, interrupts on and preempt count 0, a handler as it found them",
  lockdep: "lock usage lockdep would reject: a lock taken both in hardirq context and with hardirqs on, a circular lock order, a hardirq-safe lock held while taking a hardirq-unsafe one",
  "module-unload": "no code of a module (a callback, a timer function, a handler) runs after the module is unloaded",
  "use-after-free": "nothing reaches freed memory through rcu_dereference() or frees it twice",
  "rcu-grace-period": "an RCU callback runs only after a full grace period begun after its call_rcu()",
  "rcu-callback-order": "the callbacks queued on one CPU run in the order they were queued",
  "rcu-barrier": "when rcu_barrier() returns, every callback queued before it was called has run",
  "rcu-stall": "after the run, no RCU callback is left waiting",
  refcount: "a refcount_t never warns: no increment from 0 (use after free), no decrement below 0, no refcount_dec() to 0, no overflow",
  "lost-wakeup": "no thread sleeps on a wait queue that nobody will wake: the run ends with it asleep",
  workqueue: "no work is queued on a workqueue after it was destroyed",
};

/** Kernel settings every config has: `lockdep` 1 runs the validator, 0 leaves the hunt to find the deadlocks. */
export const KERNEL_SETTINGS: Record<string, number> = { lockdep: 1 };

/**
 * Kernel settings any model takes but a config holds only when given:
 * `failslab` N lets the schedule make up to N allocations fail in a run
 * (the kernel's fault injection), so that error paths are explored;
 * `hotplug` N lets it take CPUs other than cpu0 down and bring them back
 * up, N operations in a run.
 */
export const OPTIONAL_KERNEL_SETTINGS: Record<string, number> = { failslab: 0, hotplug: 0 };

const NAME = /^[a-z][a-z0-9_-]*$/;

/** Declares a model, checking that its names are usable in file names and on the command line. */
export function defineModel<W>(def: ModelDefinition<W>): ModelDefinition<W> {
  const bad = (what: string, n: string) => new Error(`model ${def.name}: ${what} '${n}' must be lower-case letters, digits, dashes and underscores`);
  if (!NAME.test(def.name)) throw bad("name", def.name);
  for (const v of Object.keys(def.variants)) if (!NAME.test(v)) throw bad("variant", v);
  for (const p of Object.keys(def.properties)) {
    if (!NAME.test(p)) throw bad("property", p);
    if (p in MACHINE_PROPERTIES) throw new Error(`model ${def.name}: property '${p}' is a machine property already`);
  }
  if (Object.keys(def.variants).length === 0) throw new Error(`model ${def.name} has no variants`);
  return def;
}

/** Every property a run of this model can break. */
export function allProperties(def: AnyModel): string[] {
  return [...Object.keys(def.properties), ...Object.keys(MACHINE_PROPERTIES)];
}

/** The settings a variant is hunted with, with overrides applied. */
export function variantConfig(def: AnyModel, variant: string, overrides: Partial<MachineConfig> = {}): MachineConfig {
  const v = def.variants[variant];
  if (v === undefined) throw new Error(`model ${def.name} has no variant '${variant}'`);
  const out: MachineConfig = { ...def.defaults };
  for (const [k, val] of Object.entries(KERNEL_SETTINGS)) if (!(k in out)) out[k] = val;
  for (const [k, val] of Object.entries({ ...v.config, ...overrides })) if (val !== undefined) out[k] = val;
  return out;
}
