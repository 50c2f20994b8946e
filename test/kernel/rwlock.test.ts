// Reader-writer locks: readers share, a writer is alone, and the validator
// tells a read in an interrupt from a write with interrupts on.
import { describe, expect, it } from "vitest";
import {
  DEFINE_SHARED,
  READ_ONCE,
  WRITE_ONCE,
  DECLARE_RWSEM,
  DEFINE_RWLOCK,
  defineModel,
  down_read,
  down_write,
  fc,
  hunt,
  kthread_run,
  read_lock,
  read_unlock,
  request_irq,
  up_read,
  up_write,
  variantConfig,
  violation,
  write_lock,
  write_lock_irqsave,
  write_unlock,
  write_unlock_irqrestore,
} from "../../src/index.ts";
import type { Gen } from "../../src/index.ts";

const table = defineModel<number>({
  name: "rwlock_table",
  description: "a table read from an interrupt and from a thread, and written by a thread",
  variants: {
    "irqsave-writer": { description: "the writer disables interrupts; readers take plain read_lock", correct: true },
    "plain-writer": { description: "the writer takes write_lock with interrupts on: the reader in the interrupt spins on it", correct: false },
  },
  properties: { exclusion: "no reader sees the table while it is being written" },
  defaults: { cpus: 2, maxSteps: 300 },
  workload: () => fc.constant(0),
  setup(variant) {
    const lock = DEFINE_RWLOCK("table_lock");
    const t = { writing: false };
    function* reader(): Gen {
      yield* read_lock(lock);
      if (t.writing) violation("exclusion", "a reader sees the table mid-write");
      yield "read the table";
      yield* read_unlock(lock);
    }
    request_irq("nic", reader, { cpus: [0, 1], count: 1 });
    kthread_run(reader, "reader", { cpu: 1 });
    kthread_run(function* (): Gen {
      if (variant === "irqsave-writer") {
        const flags = yield* write_lock_irqsave(lock);
        t.writing = true;
        yield "write the table";
        t.writing = false;
        yield* write_unlock_irqrestore(lock, flags);
      } else {
        yield* write_lock(lock);
        t.writing = true;
        yield "write the table";
        t.writing = false;
        yield* write_unlock(lock);
      }
    }, "writer", { cpu: 0 });
  },
});

describe("rwlock_t", () => {
  it("readers in an interrupt and in a thread with interrupts on, the writer with them off: no report, never a reader mid-write", () => {
    const r = hunt({ model: table, variant: "irqsave-writer", config: variantConfig(table, "irqsave-writer"), runs: 1000, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });

  it("a writer with interrupts on while an interrupt reads: lockdep's {IN-HARDIRQ-R} against {HARDIRQ-ON-W}", () => {
    const cx = hunt({ model: table, variant: "plain-writer", config: variantConfig(table, "plain-writer"), runs: 1000, seed: 1 }).counterexample!;
    expect(cx.property).toBe("lockdep");
    expect(cx.failure.message).toMatch(/^inconsistent \{(IN-HARDIRQ-R\} -> \{HARDIRQ-ON-W|HARDIRQ-ON-W\} -> \{IN-HARDIRQ-R)\} usage of table_lock/);
  });

  it("without lockdep it is the deadlock it is: the interrupt's reader spins on the writer it interrupted", () => {
    const cx = hunt({ model: table, variant: "plain-writer", config: variantConfig(table, "plain-writer", { lockdep: 0 }), runs: 1000, seed: 1 }).counterexample!;
    expect(cx.property).toBe("deadlock");
    expect(cx.failure.message).toMatch(/nic#\d on cpu\d spins until table_lock is free for reading \(written by writer\)/);
  });
});

const sem = defineModel<number>({
  name: "rwsem_readers",
  description: "two readers and a writer on an rw_semaphore",
  variants: { only: { description: "-", correct: true } },
  properties: { exclusion: "readers share, the writer is alone" },
  defaults: { cpus: 3, maxSteps: 300 },
  workload: () => fc.constant(0),
  setup() {
    const s = DECLARE_RWSEM("mm->mmap_lock");
    const st = { readers: 0, writers: 0 };
    for (const [name, cpu] of [["r0", 0], ["r1", 1]] as const)
      kthread_run(function* (): Gen {
        yield* down_read(s);
        st.readers++;
        if (st.writers > 0) violation("exclusion", "a reader with the writer");
        yield "read";
        st.readers--;
        yield* up_read(s);
      }, name, { cpu });
    kthread_run(function* (): Gen {
      yield* down_write(s);
      st.writers++;
      if (st.readers > 0) violation("exclusion", "the writer with a reader");
      yield "write";
      st.writers--;
      yield* up_write(s);
    }, "w", { cpu: 2 });
  },
});

describe("rw_semaphore", () => {
  it("readers share, the writer is alone, over every schedule tried", () => {
    const r = hunt({ model: sem, variant: "only", config: variantConfig(sem, "only"), runs: 1000, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});

const twoReaders = defineModel<number>({
  name: "rwlock_release",
  description: "two readers store under the read lock; the writer that follows sees both stores",
  variants: { only: { description: "-", correct: true } },
  properties: { "sees-both": "the writer sees what both readers stored under the lock" },
  defaults: { cpus: 3, maxSteps: 400, memory: "pso" },
  workload: () => fc.constant(0),
  setup() {
    const lock = DEFINE_RWLOCK("stats_lock");
    const a = DEFINE_SHARED("stats.a", 0);
    const b = DEFINE_SHARED("stats.b", 0);
    const done = { readers: 0 };
    for (const [name, cpu, w] of [["r0", 0, a], ["r1", 1, b]] as const)
      kthread_run(function* (): Gen {
        yield* read_lock(lock);
        WRITE_ONCE(w, 1); // a per-reader counter, written under the read lock
        yield `${name}: store`;
        done.readers++;
        yield* read_unlock(lock);
      }, name, { cpu });
    kthread_run(function* (): Gen {
      yield* write_lock(lock);
      const both = done.readers === 2;
      const x = READ_ONCE(a);
      const y = READ_ONCE(b);
      if (both && (x !== 1 || y !== 1)) violation("sees-both", `the writer after both readers sees a = ${x}, b = ${y}`);
      yield "writer: read a and b";
      yield* write_unlock(lock);
    }, "w", { cpu: 2 });
  },
});

describe("rwlock_t releases", () => {
  it("a writer sees the stores of every reader that unlocked before it, not only the last one's (pso)", () => {
    const r = hunt({ model: twoReaders, variant: "only", config: variantConfig(twoReaders, "only"), runs: 1500, seed: 1 });
    expect(r.counterexample?.failure.message).toBeUndefined();
  });
});
