// A network driver's receive path, written with nothing but the library's
// kernel API: the NIC's interrupt takes a reference on the device's private
// data and queues work to process the packet; the work drops it; a watchdog
// timer (a softirq) reads the statistics the thread updates; the module's
// exit tears it all down, drops the last reference and unloads.
import { defineModel, fc } from "kernel-race-harness";
import type { Gen, timer_list, work_struct } from "kernel-race-harness";
import {
  DEFINE_SPINLOCK,
  INIT_WORK,
  alloc_workqueue,
  cancel_work_sync,
  check_not_freed,
  destroy_workqueue,
  free_irq,
  kfree,
  kref,
  kref_get,
  kref_put,
  kthread_run,
  mod_timer,
  module,
  module_function,
  module_unload,
  queue_work,
  request_irq,
  spin_lock,
  spin_lock_bh,
  spin_unlock,
  spin_unlock_bh,
  timer_setup,
  timer_shutdown_sync,
} from "kernel-race-harness";

interface Priv {
  name: string;
  ref: kref;
  rx_packets: number;
}

export default defineModel<{ packets: number }>({
  name: "refcounted-driver",
  description: "an interrupt, a workqueue item, a softirq timer and a thread share refcounted private data, and the module unloads",
  variants: {
    correct: { description: "exit: free_irq, timer_shutdown_sync, cancel_work_sync, destroy_workqueue, then the last kref_put, then unload", correct: true },
    "cancel-leaks-ref": { description: "exit cancels a queued work item without dropping the reference the interrupt took for it: the object is never freed", correct: false },
    "no-timer-shutdown": { description: "exit forgets the watchdog timer: it fires after the module is gone", correct: false },
    "stats-without-bh": { description: "the thread updates the statistics with spin_lock, not spin_lock_bh: the watchdog softirq can interrupt it", correct: false },
    "irq-without-get": { description: "the interrupt queues the work without taking a reference for it", correct: false },
  },
  properties: { "no-leak": "after the module is unloaded, its private data has been freed" },
  defaults: { cpus: 2, maxSteps: 600 },
  workload: () => fc.record({ packets: fc.integer({ min: 1, max: 2 }) }),
  workloadHelp: "{ packets: 1-2 }",
  setup(variant, w) {
    const mod = new module("mydrv");
    const priv: Priv = { name: "priv", ref: new kref("priv->ref"), rx_packets: 0 };
    const stats_lock = DEFINE_SPINLOCK("priv->stats_lock");
    const wq = alloc_workqueue("mydrv_rx");
    let freed = false;
    const release = () => {
      kfree(priv);
      freed = true;
    };

    const rx_work = INIT_WORK(
      "priv->rx_work",
      module_function(mod, "mydrv_rx_work", function* (_w: work_struct): Gen {
        check_not_freed(priv, "priv in mydrv_rx_work");
        yield "mydrv_rx_work: process the packet";
        kref_put(priv.ref, release);
        yield "kref_put(&priv->ref)";
      }),
    );

    const watchdog = timer_setup(
      "priv->watchdog",
      module_function(mod, "mydrv_watchdog", function* (_t: timer_list): Gen {
        yield* spin_lock(stats_lock);
        yield `mydrv_watchdog: rx_packets = ${priv.rx_packets}`;
        yield* spin_unlock(stats_lock);
      }),
    );

    request_irq(
      "nic",
      module_function(mod, "mydrv_interrupt", function* (): Gen {
        // A reference for the work item; if it is queued already, that one carries it.
        if (variant !== "irq-without-get") kref_get(priv.ref);
        if (!queue_work(wq, rx_work) && variant !== "irq-without-get") kref_put(priv.ref, release);
        yield "mydrv_interrupt: kref_get, queue_work(rx_work)";
      }),
      { cpus: [0, 1], count: w.packets },
    );

    kthread_run(function* mydrv_thread(): Gen {
      mod_timer(watchdog);
      yield "mod_timer(&priv->watchdog)";
      if (variant === "stats-without-bh") yield* spin_lock(stats_lock);
      else yield* spin_lock_bh(stats_lock);
      priv.rx_packets++;
      yield "rx_packets++";
      if (variant === "stats-without-bh") yield* spin_unlock(stats_lock);
      else yield* spin_unlock_bh(stats_lock);
    }, "mydrv_thread", { cpu: 0 });

    kthread_run(function* mydrv_exit(): Gen {
      yield* free_irq("nic");
      if (variant !== "no-timer-shutdown") yield* timer_shutdown_sync(watchdog);
      // A work item taken off the queue never runs: the reference it held is dropped here.
      if ((yield* cancel_work_sync(rx_work)) && variant !== "cancel-leaks-ref") {
        kref_put(priv.ref, release);
        yield "kref_put(&priv->ref): the cancelled work's reference";
      }
      yield* destroy_workqueue(wq);
      kref_put(priv.ref, release);
      yield "kref_put(&priv->ref): the module's reference";
      module_unload(mod);
      yield "module_unload(mydrv)";
    }, "rmmod", { cpu: 1 });
    return { finals: { "no-leak": () => (freed ? undefined : `${priv.name} is never freed: ${priv.ref.refcount.refs.counter} reference(s) left`) } };
  },
});
