// refcount_t and kref warn where Linux warns; llist and the completion
// extras do what their names say.
import { describe, expect, it } from "vitest";
import {
  completion,
  complete,
  defineModel,
  fc,
  hunt,
  kref,
  kref_get,
  kref_get_unless_zero,
  kref_put,
  kthread_run,
  llist_add,
  llist_del_all,
  llist_head,
  llist_nodes,
  llist_reverse_order,
  refcount_dec,
  refcount_dec_and_test,
  refcount_inc,
  refcount_read,
  refcount_t,
  timekeeping_init,
  ktime_get,
  clock_stalls,
  udelay,
  variantConfig,
  wait_for_completion_timeout,
} from "../../src/index.ts";
import type { llist_node } from "../../src/index.ts";

/** A shared object: a lookup thread takes a reference while the owner drops the last one. */
const lookup = defineModel<number>({
  name: "kref_lookup",
  description: "a lookup takes a reference on an object its owner is releasing",
  variants: {
    "get-after-put": { description: "kref_get() on whatever the lookup found", correct: false },
    "get-unless-zero": { description: "kref_get_unless_zero(), as lookups under RCU must", correct: true },
  },
  properties: { "no-use-after-free": "nobody uses the object once it is released" },
  defaults: { cpus: 2, maxSteps: 200 },
  workload: () => fc.constant(0),
  setup(variant) {
    const obj = { ref: new kref("obj->ref"), freed: false, usedAfterFree: false };
    const release = () => {
      obj.freed = true;
    };
    kthread_run(function* owner() {
      kref_put(obj.ref, release);
      yield "kref_put(&obj->ref, release)";
    }, "owner", { cpu: 0 });
    kthread_run(function* finder() {
      const got = variant === "get-after-put" ? (kref_get(obj.ref), true) : kref_get_unless_zero(obj.ref);
      yield got ? "kref_get(&obj->ref)" : "the object is going away";
      if (!got) return;
      if (obj.freed) obj.usedAfterFree = true;
      yield "use obj";
      kref_put(obj.ref, release);
      yield "kref_put(&obj->ref, release)";
    }, "finder", { cpu: 1 });
    return { finals: { "no-use-after-free": () => (obj.usedAfterFree ? "the finder used the object after its release" : undefined) } };
  },
});

describe("refcount_t and kref", () => {
  it("kref_get() on an object whose last reference is gone warns as Linux does: addition on 0; use-after-free", () => {
    const cx = hunt({ model: lookup, variant: "get-after-put", config: variantConfig(lookup, "get-after-put"), runs: 200, seed: 1 }).counterexample;
    expect(cx?.property).toBe("refcount");
    expect(cx?.failure.message).toBe("refcount_t obj->ref: addition on 0; use-after-free.");
  });

  it("kref_get_unless_zero() refuses a dying object, and nothing is used after its release", () => {
    const r = hunt({ model: lookup, variant: "get-unless-zero", config: variantConfig(lookup, "get-unless-zero"), runs: 300, seed: 1 });
    expect(r.counterexample).toBeUndefined();
  });

  it("underflow, saturation and a refcount_dec() to zero are warnings; a saturated count stays so", () => {
    const r = new refcount_t("r", 1);
    expect(refcount_dec_and_test(r)).toBe(true);
    expect(() => refcount_dec_and_test(r)).toThrow("refcount_t r: underflow; use-after-free.");
    expect(refcount_read(r)).toBeLessThan(0);
    expect(refcount_dec_and_test(r)).toBe(false);
    const d = new refcount_t("d", 1);
    expect(() => refcount_dec(d)).toThrow("refcount_t d: decrement hit 0; leaking memory.");
    const big = new refcount_t("big", 2 ** 31 - 1);
    expect(() => refcount_inc(big)).toThrow("refcount_t big: saturated; leaking memory.");
  });
});

describe("llist", () => {
  it("llist_add() reports an empty list, llist_del_all() takes every node newest first", () => {
    const head = new llist_head();
    const nodes = [1, 2, 3].map((v) => ({ v, next: null }) as llist_node & { v: number });
    expect(nodes.map((n) => llist_add(n, head))).toEqual([true, false, false]);
    const all = llist_del_all(head);
    expect(head.first).toBeNull();
    expect(llist_nodes<llist_node & { v: number }>(all).map((n) => n.v)).toEqual([3, 2, 1]);
    expect(llist_nodes<llist_node & { v: number }>(llist_reverse_order(all)).map((n) => n.v)).toEqual([1, 2, 3]);
  });
});

describe("completions on the clock", () => {
  const waiter = defineModel<number>({
    name: "completion_timeout",
    description: "a waiter with a timeout, completed or not",
    variants: { completed: { description: "completed at 30 us", correct: true }, never: { description: "never completed", correct: true } },
    properties: { result: "the wait returns what it should" },
    defaults: { cpus: 2, maxSteps: 100 },
    workload: () => fc.constant(0),
    setup(variant) {
      timekeeping_init();
      const done = new completion("done");
      let got: number | undefined;
      let at = -1;
      kthread_run(function* () {
        got = yield* wait_for_completion_timeout(done, 100);
        at = ktime_get();
      }, "waiter", { cpu: 0 });
      if (variant === "completed")
        kthread_run(function* () {
          yield* udelay(30);
          complete(done);
          yield "complete(&done)";
        }, "completer", { cpu: 1 });
      return {
        finals: {
          result: () => {
            // The schedule may move the clock while a thread could still run (a stall): then the
            // waiter may start late or time out, and only the time left is sure to be in range.
            if (clock_stalls() > 0) return got !== undefined && got >= 0 && got <= 100 ? undefined : `returned ${got}`;
            const want = variant === "completed" ? [70, 30] : [0, 100];
            return got === want[0] && at === want[1] ? undefined : `returned ${got} at ${at} us, expected ${want[0]} at ${want[1]} us`;
          },
        },
      };
    },
  });
  it.each(["completed", "never"])("wait_for_completion_timeout(), %s", (variant) => {
    const r = hunt({ model: waiter, variant, config: variantConfig(waiter, variant), runs: 50, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});
