// A module whose list is read under RCU and whose removals free elements
// through call_rcu() from a thread, a timer and an interrupt handler; then
// its exit path, which must not unload while a callback can still run.
import fc from "fast-check";
import type { Gen, MachineConfig, RcuFlavor, timer_list } from "../../kernel/index.ts";
import { add_timer_on, defineModel, kthread_run, mod_timer, module, module_function, rcu_init, request_irq, timer_setup } from "../../kernel/index.ts";
import { demo_exit } from "./exit.ts";
import { ModuleData, demo_add, demo_del, demo_del_atomic, demo_read } from "./list.ts";

export interface RcuWorkload {
  /** Elements on the list when the module loads. */
  elements: number;
  /** The updater thread: where it runs and what it does. */
  updater: { cpu: number; ops: ("del" | "add")[] };
  readers: { cpu: number; reads: number }[];
  /** The device interrupt removes an element each time it fires. */
  irq: { cpu: number; count: number };
  /** The timer removes an element each time it expires, and re-arms itself `count` times in all. */
  timer: { cpu: number; count: number };
  /** Where the exit path (rmmod) runs. */
  exitCpu: number;
}

function workload(config: MachineConfig): fc.Arbitrary<RcuWorkload> {
  const cpu = fc.integer({ min: 0, max: config.cpus - 1 });
  return fc.record({
    elements: fc.integer({ min: 1, max: 4 }),
    updater: fc.record({ cpu, ops: fc.array(fc.constantFrom<"del" | "add">("del", "add"), { minLength: 0, maxLength: 3 }) }),
    readers: fc.array(fc.record({ cpu, reads: fc.integer({ min: 1, max: 2 }) }), { maxLength: 2 }),
    irq: fc.record({ cpu, count: fc.integer({ min: 0, max: 2 }) }),
    timer: fc.record({ cpu, count: fc.integer({ min: 0, max: 2 }) }),
    exitCpu: cpu,
  });
}

/** The updater thread: deletes and adds elements, in order. */
function* demo_updater(d: ModuleData, ops: readonly ("del" | "add")[]): Gen {
  for (const op of ops) yield* op === "del" ? demo_del(d) : demo_add(d);
}

/** A reader thread: walks the list `reads` times. */
function* demo_reader(d: ModuleData, reads: number): Gen {
  for (let k = 0; k < reads; k++) yield* demo_read(d);
}

/** The timer function: removes an element, and re-arms the timer while it has expiries left. */
function* demo_timer_fn(d: ModuleData, t: timer_list): Gen {
  yield* demo_del(d);
  if (--d.timer_left > 0) {
    mod_timer(t);
    yield "mod_timer(demo_timer)";
  }
}

export default defineModel<RcuWorkload>({
  name: "rcu",
  description: "a module that frees list elements through call_rcu() from a thread, a timer and an interrupt, and its exit path",
  variants: {
    "barrier-unload": { description: "exit: stop the threads, free_irq, del_timer_sync, rcu_barrier, unload", correct: true },
    "no-barrier": { description: "exit: unload right after the last call_rcu() is posted", correct: false },
    "synchronize-instead": { description: "exit: synchronize_rcu() where rcu_barrier() belongs; it waits for a grace period, not for callbacks", correct: false },
    "timer-after-barrier": { description: "exit: rcu_barrier() before del_timer_sync(): the still armed timer posts call_rcu() after the barrier", correct: false },
    "count-from-zero": {
      description: "exit: the original rcu_barrier() (count from zero, on_each_cpu), under preemptible RCU before v4.20",
      correct: false,
      config: { cpus: 2, rcuFlavor: "rcu_preempt" },
    },
    "early-free": { description: "kfree() right after list_del_rcu(), no grace period: a reader still on the element reads freed memory", correct: false },
  },
  properties: {
    "no-leak": "after the run, every element the module allocated was freed, once",
  },
  defaults: { cpus: 2, maxSteps: 6000, rcuFlavor: "consolidated" },
  maxEvents: 100,
  workload,
  workloadHelp:
    "{ elements: 1-4, updater: { cpu, ops: ['del'|'add', ...0-3] }, readers: [{ cpu, reads: 1-2 }, ...0-2], irq: { cpu, count: 0-2 }, timer: { cpu, count: 0-2 }, exitCpu }",
  setup(variant, w, config) {
    rcu_init({ flavor: config.rcuFlavor as RcuFlavor });
    const mod = new module("demo");
    const d = new ModuleData(mod, variant === "early-free");
    for (let i = 0; i < w.elements; i++) {
      const el = d.newElement();
      el.next = d.first;
      d.first = el;
    }
    const threads = [
      kthread_run(module_function(mod, "demo_updater", () => demo_updater(d, w.updater.ops)), "updater", { cpu: w.updater.cpu }),
      ...w.readers.map((r, i) => kthread_run(module_function(mod, "demo_reader", () => demo_reader(d, r.reads)), `reader${i}`, { cpu: r.cpu })),
    ];
    let timer = null;
    if (w.timer.count > 0) {
      d.timer_left = w.timer.count;
      timer = timer_setup("demo_timer", module_function(mod, "demo_timer_fn", (t: timer_list) => demo_timer_fn(d, t)));
      add_timer_on(timer, w.timer.cpu);
    }
    const irqLine = w.irq.count > 0 ? "demo_dev" : null;
    if (irqLine !== null) request_irq(irqLine, module_function(mod, "demo_interrupt", () => demo_del_atomic(d)), { cpus: [w.irq.cpu], count: w.irq.count });
    kthread_run(() => demo_exit(d, variant, threads, timer, irqLine), "rmmod", { cpu: w.exitCpu });
    return {
      finals: {
        "no-leak"() {
          return d.freed === d.allocated ? undefined : `${d.allocated} element(s) allocated, ${d.freed} freed`;
        },
      },
    };
  },
});
