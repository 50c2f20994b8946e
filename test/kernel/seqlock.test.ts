// A seqlock-protected pair: a reader that accepts a torn pair is caught;
// without its smp_rmb() only where loads can pass each other.
import { describe, expect, it } from "vitest";
import { DEFINE_SEQLOCK, DEFINE_SHARED, READ_ONCE, WRITE_ONCE, defineModel, fc, hunt, kthread_run, raw_read_seqcount, read_seqbegin, read_seqretry, spin_until, variantConfig, violation, write_seqlock, write_sequnlock } from "../../src/index.ts";
import type { Gen } from "../../src/index.ts";

const pair = defineModel<number>({
  name: "seqlock_pair",
  description: "a writer updates two words under a seqlock; a reader copies them",
  variants: {
    correct: { description: "read_seqbegin, two loads, read_seqretry", correct: true },
    "no-retry": { description: "the reader never checks read_seqretry()", correct: false },
    "no-rmb": { description: "the reader takes the count with a plain load, no smp_rmb() before the data", correct: false, config: { memory: "weak" } },
  },
  properties: { "consistent-pair": "a read the seqlock accepts sees both words of one write" },
  defaults: { cpus: 2, maxSteps: 300, memory: "sc" },
  workload: () => fc.constant(0),
  setup(variant) {
    const sl = DEFINE_SEQLOCK("pair_lock");
    const a = DEFINE_SHARED("pair.a", 0);
    const b = DEFINE_SHARED("pair.b", 0);
    kthread_run(function* writer(): Gen {
      for (let n = 1; n <= 2; n++) {
        yield* write_seqlock(sl);
        WRITE_ONCE(a, n);
        yield `a = ${n}`;
        WRITE_ONCE(b, n);
        yield `b = ${n}`;
        yield* write_sequnlock(sl);
      }
    }, "writer", { cpu: 0 });
    kthread_run(function* reader(): Gen {
      for (;;) {
        let seq: number;
        if (variant === "no-rmb") {
          yield spin_until(() => raw_read_seqcount(sl.seqcount) % 2 === 0, "no write in progress");
          seq = raw_read_seqcount(sl.seqcount);
          yield `seq = ${seq}`;
          if (seq % 2 === 1) continue;
        } else seq = yield* read_seqbegin(sl);
        const x = READ_ONCE(a);
        yield `x = a (${x})`;
        const y = READ_ONCE(b);
        yield `y = b (${y})`;
        if (variant !== "no-retry" && read_seqretry(sl, seq)) {
          yield "read_seqretry: again";
          continue;
        }
        if (x !== y) violation("consistent-pair", `the reader accepted a = ${x}, b = ${y}`);
        yield "accept";
        return;
      }
    }, "reader", { cpu: 1 });
  },
});

describe("seqlock", () => {
  it.each(["sc", "tso", "pso", "weak"])("the right reader never accepts a torn pair under %s", (memory) => {
    const r = hunt({ model: pair, variant: "correct", config: variantConfig(pair, "correct", { memory }), runs: 1000, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });

  it("a reader that never retries accepts a torn pair even under sc", () => {
    expect(hunt({ model: pair, variant: "no-retry", config: variantConfig(pair, "no-retry"), runs: 1000, seed: 1 }).counterexample?.property).toBe("consistent-pair");
  });

  it("a reader without smp_rmb() after taking the count is caught under weak, and only there", () => {
    expect(hunt({ model: pair, variant: "no-rmb", config: variantConfig(pair, "no-rmb"), runs: 3000, seed: 1, strategy: "pct" }).counterexample?.property).toBe("consistent-pair");
    for (const memory of ["sc", "tso", "pso"])
      expect(hunt({ model: pair, variant: "no-rmb", config: variantConfig(pair, "no-rmb", { memory }), runs: 1000, seed: 1 }).counterexample?.failure.message).toBeUndefined();
  });
});
