// RCU lists, kfree_rcu, polled grace periods and SRCU: an updater removes
// an entry a reader may be on, and frees it early or in time.
import { describe, expect, it } from "vitest";
import {
  DEFINE_SRCU,
  INIT_LIST_HEAD,
  LIST_HEAD,
  check_not_freed,
  defineModel,
  fc,
  hunt,
  kfree,
  kfree_rcu,
  kthread_run,
  list_add_tail_rcu,
  list_del_rcu,
  list_next_rcu,
  msleep,
  poll_state_synchronize_rcu,
  rcu_init,
  rcu_read_lock,
  rcu_read_unlock,
  srcu_read_lock,
  srcu_read_unlock,
  start_poll_synchronize_rcu,
  synchronize_rcu,
  synchronize_srcu,
  variantConfig,
  wait_event,
} from "../../src/index.ts";
import type { Gen, list_head } from "../../src/index.ts";

type Entry = list_head & { value: number };

const lookup = defineModel<number>({
  name: "rcu_list_lookup",
  description: "a reader walks an RCU list while an updater removes and frees an entry",
  variants: {
    synchronize: { description: "list_del_rcu, synchronize_rcu, kfree", correct: true },
    "kfree-rcu": { description: "list_del_rcu, kfree_rcu", correct: true },
    polled: { description: "list_del_rcu, a polled grace period, then kfree", correct: true },
    "free-at-once": { description: "list_del_rcu, kfree at once: a reader on the entry follows freed memory", correct: false },
    srcu: { description: "an SRCU list whose reader sleeps; synchronize_srcu before kfree", correct: true },
    "srcu-no-sync": { description: "the SRCU updater frees without synchronize_srcu", correct: false },
  },
  properties: {},
  defaults: { cpus: 2, maxSteps: 600 },
  workload: () => fc.constant(0),
  setup(variant) {
    rcu_init();
    const srcu = variant.startsWith("srcu") ? DEFINE_SRCU("list_srcu") : undefined;
    const head = LIST_HEAD("list");
    const a = INIT_LIST_HEAD({ name: "a", value: 1 }) as Entry;
    const b = INIT_LIST_HEAD({ name: "b", value: 2 }) as Entry;
    list_add_tail_rcu(a, head);
    list_add_tail_rcu(b, head);
    kthread_run(function* reader(): Gen {
      const idx = srcu ? srcu_read_lock(srcu) : (rcu_read_lock(), 0);
      yield srcu ? "srcu_read_lock()" : "rcu_read_lock()";
      for (let p = list_next_rcu<Entry>(head, head); p !== null; p = list_next_rcu<Entry>(p, head)) {
        check_not_freed(p, `entry ${p.name}`);
        yield `read ${p.name}`;
        if (srcu) yield* msleep(1); // an SRCU reader may sleep
      }
      if (srcu) srcu_read_unlock(srcu, idx);
      else rcu_read_unlock();
      yield "read-side section ends";
    }, "reader", { cpu: 0 });
    kthread_run(function* updater(): Gen {
      list_del_rcu(a);
      yield "list_del_rcu(a)";
      if (variant === "synchronize") yield* synchronize_rcu();
      if (variant === "srcu") yield* synchronize_srcu(srcu!);
      if (variant === "polled") {
        const cookie = start_poll_synchronize_rcu();
        yield "start_poll_synchronize_rcu()";
        yield wait_event(() => poll_state_synchronize_rcu(cookie), "the grace period of the cookie has ended");
      }
      if (variant === "kfree-rcu") kfree_rcu(a);
      else kfree(a);
      yield "free a";
    }, "updater", { cpu: 1 });
  },
});

describe("RCU lists and SRCU", () => {
  it.each(["synchronize", "kfree-rcu", "polled", "srcu"])("%s: no reader ever follows a freed entry", (variant) => {
    const r = hunt({ model: lookup, variant, config: variantConfig(lookup, variant), runs: 800, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });

  it.each(["free-at-once", "srcu-no-sync"])("%s: the reader follows the freed entry", (variant) => {
    const cx = hunt({ model: lookup, variant, config: variantConfig(lookup, variant), runs: 800, seed: 1 }).counterexample!;
    expect(cx.property).toBe("use-after-free");
    expect(cx.failure.message).toBe("reader dereferences a (reading a->next), which was freed");
  });
});
