// The module's exit path, variant by variant: stop everything that posts
// callbacks, make sure the callbacks have run, unload.
import type { Gen, task_struct, timer_list } from "../../kernel/index.ts";
import { del_timer_sync, free_irq, kthread_stop, module_unload, rcu_barrier, rcu_barrier_count_from_zero, synchronize_rcu } from "../../kernel/index.ts";
import type { ModuleData } from "./list.ts";
import { demo_free_all } from "./list.ts";

/** del_timer_sync(), if the module armed its timer. */
function* stop_timer(timer: timer_list | null): Gen {
  if (timer !== null) yield* del_timer_sync(timer);
}

export function* demo_exit(d: ModuleData, variant: string, threads: task_struct[], timer: timer_list | null, irqLine: string | null): Gen {
  for (const t of threads) yield* kthread_stop(t);
  if (irqLine !== null) yield* free_irq(irqLine);
  switch (variant) {
    case "barrier-unload":
    case "early-free":
      yield* stop_timer(timer);
      yield* rcu_barrier();
      break;
    case "no-barrier":
      yield* stop_timer(timer);
      break;
    case "synchronize-instead":
      yield* stop_timer(timer);
      yield* synchronize_rcu();
      break;
    case "timer-after-barrier":
      yield* rcu_barrier(); // the timer is still armed: it can post after this
      yield* stop_timer(timer);
      break;
    case "count-from-zero":
      yield* stop_timer(timer);
      yield* rcu_barrier_count_from_zero();
      break;
    default:
      throw new Error(`no variant ${variant}`);
  }
  yield* demo_free_all(d);
  module_unload(d.mod);
  yield `module ${d.mod.name} unloaded`;
}
