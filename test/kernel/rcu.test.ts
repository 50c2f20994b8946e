import { describe, expect, it } from "vitest";
import type { Gen, RcuFlavor } from "../../src/kernel/index.ts";
import {
  call_rcu,
  complete,
  current_name,
  in_hardirq,
  in_serving_softirq,
  preemptible,
  completion,
  del_timer_sync,
  free_irq,
  installKernel,
  kfree,
  kthread_run,
  mod_timer,
  module,
  module_function,
  module_unload,
  msleep,
  on_each_cpu,
  preempt_disable,
  preempt_enable,
  rcu_barrier,
  rcu_barrier_count_from_zero,
  rcu_dereference,
  rcu_init,
  rcu_read_lock,
  rcu_read_unlock,
  request_irq,
  smp_call_function_single,
  smp_processor_id,
  synchronize_rcu,
  timer_setup,
  wait_for_completion,
} from "../../src/kernel/index.ts";
import type { ScheduleEvent } from "../../src/sim/index.ts";
import { Machine, setBooting } from "../../src/sim/index.ts";

const step = (cpu = 0): ScheduleEvent => ({ kind: "step", cpu });
const env = (source: string, arg: string | number): ScheduleEvent => ({ kind: "env", source, arg });

/** A machine with RCU, built by `boot` as a model's setup would. */
function machine(cpus: number, boot: (m: Machine) => void, flavor: RcuFlavor = "consolidated") {
  const m = new Machine({ cpus, maxSteps: 2000, trace: true });
  installKernel(m, { lockdep: true });
  setBooting(m);
  try {
    rcu_init({ flavor });
    boot(m);
  } finally {
    setBooting(null);
  }
  return m;
}

const gpEvents = (m: Machine) => m.envSources.find((s) => s.name === "rcu")!.enabled().map((e) => String(e.arg));

describe("grace periods", () => {
  it("wait for a reader that was inside its read-side section when they started, even once it is preempted", () => {
    const log: string[] = [];
    const m = machine(1, () => {
      kthread_run(
        function* () {
          rcu_read_lock();
          yield "reader in";
          yield "still in";
          rcu_read_unlock();
          log.push("reader out");
          yield "out";
        },
        "reader",
        { cpu: 0 },
      );
      kthread_run(
        function* () {
          yield* synchronize_rcu();
          log.push("synchronized");
        },
        "syncer",
        { cpu: 0 },
      );
    });
    m.apply(step(), 0); // the reader enters
    m.apply({ kind: "preempt", cpu: 0, to: "syncer" }, 1);
    m.apply(step(), 2); // synchronize_rcu() sleeps
    expect(gpEvents(m)).toEqual(["gp-start"]);
    m.apply(env("rcu", "gp-start"), 3);
    expect(gpEvents(m)).toEqual(["qs-cpu0"]); // the reader is preempted: cpu0 is quiescent, yet...
    m.apply(env("rcu", "qs-cpu0"), 4);
    expect(gpEvents(m)).toEqual([]); // ...the grace period cannot end while the reader is inside
    m.drain(5);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual(["reader out", "synchronized"]);
  });

  it("under consolidated RCU, preemption disabled holds the CPU's quiescent state; under rcu_preempt it does not", () => {
    for (const [flavor, expected] of [
      ["consolidated", ["gp-start"]],
      ["rcu_preempt", ["gp-start", "qs-cpu0"]],
    ] as const) {
      const seen: string[] = [];
      const m = machine(
        1,
        () => {
          kthread_run(
            function* () {
              call_rcu({}, function* () {});
              preempt_disable();
              yield "preempt off";
              preempt_enable();
              yield "on";
            },
            "T0",
            { cpu: 0 },
          );
        },
        flavor,
      );
      m.apply(step(), 0);
      seen.push(...gpEvents(m));
      m.apply(env("rcu", "gp-start"), 1);
      seen.push(...gpEvents(m).filter((a) => a.startsWith("qs")));
      expect(seen).toEqual(expected);
    }
  });

  it("invoke the callbacks of one CPU in the order they were queued, only after a grace period begun after call_rcu()", () => {
    const order: string[] = [];
    const m = machine(1, () => {
      kthread_run(
        function* () {
          for (const name of ["a", "b", "c"]) {
            call_rcu({}, function* () {
              order.push(name);
            });
            yield `call_rcu(${name})`;
          }
        },
        "T0",
        { cpu: 0 },
      );
    });
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(order).toEqual(["a", "b", "c"]);
    expect(m.trace.filter((t) => t.cpu < 0).map((t) => t.text)).toEqual([
      "grace period 1 starts",
      "cpu0 passes a quiescent state for grace period 1",
      "grace period 1 ends",
    ]);
  });
});

describe("where callbacks run", () => {
  function where(opts: { use_softirq?: boolean }) {
    const seen: string[] = [];
    const m = new Machine({ cpus: 1, maxSteps: 2000, trace: true });
    installKernel(m, { lockdep: true });
    setBooting(m);
    try {
      rcu_init(opts);
      kthread_run(
        function* () {
          call_rcu({}, function* cb() {
            seen.push(`${current_name()} softirq=${in_serving_softirq()} hardirq=${in_hardirq()} preemptible=${preemptible()}`);
            yield "cb";
          });
          yield "call_rcu";
        },
        "T0",
        { cpu: 0 },
      );
    } finally {
      setBooting(null);
    }
    m.drain(0);
    expect(m.failure).toBeUndefined();
    return seen;
  }

  it("in the RCU softirq of the CPU that queued them, as a default Linux build does", () => {
    expect(where({})).toEqual(["rcu-softirq#1 softirq=true hardirq=false preemptible=false"]);
  });

  it("in the rcuc/N kthread, preemption off, with use_softirq off", () => {
    expect(where({ use_softirq: false })).toEqual(["rcuc/0 softirq=false hardirq=false preemptible=false"]);
  });
});

describe("rcu_barrier()", () => {
  it("waits for a callback that rcu_do_batch has taken off the list and not yet finished", () => {
    const mod = new module("m");
    const m = machine(2, () => {
      kthread_run(
        function* () {
          call_rcu(
            {},
            module_function(mod, "slow_cb", function* () {
              yield "first half";
              yield "second half";
            }),
          );
          yield "call_rcu";
        },
        "poster",
        { cpu: 0 },
      );
      kthread_run(
        function* () {
          yield* rcu_barrier();
          module_unload(mod);
          yield "unloaded";
        },
        "rmmod",
        { cpu: 1 },
      );
    });
    // The callback's grace period ends; cpu0's RCU softirq takes the batch and starts the callback...
    const setup: ScheduleEvent[] = [step(0), step(0), env("rcu", "gp-start"), env("rcu", "qs-cpu0"), env("rcu", "qs-cpu1"), env("rcu", "gp-end"), { kind: "irq", cpu: 0, line: "rcu-softirq" }, step(0), step(0)];
    // ...then rmmod's rcu_barrier() looks at cpu0: its list is empty, the callback is in flight.
    const barrier: ScheduleEvent[] = [step(1), step(1), step(1), { kind: "irq", cpu: 0, line: "ipi" }, step(0)];
    [...setup, ...barrier].forEach((e, i) => expect(m.apply(e, i), JSON.stringify(e)).toBe(true));
    expect(m.trace.filter((t) => t.ctx === "rcu-softirq#1").map((t) => t.text)).toEqual(["interrupt rcu-softirq taken", "rcu_do_batch: 1 callback(s) ready", "first half"]);
    expect(m.trace.at(-1)?.text).toBe("rcu_barrier_handler: barrier callback behind slow_cb, count -> 3");
    m.drain(setup.length + barrier.length);
    expect(m.failure).toBeUndefined();
  });

  it("the original count-from-zero form, under rcu_preempt, returns early when a grace period ends inside on_each_cpu()", () => {
    const mod = new module("m");
    const m = machine(
      2,
      () => {
        kthread_run(
          function* () {
            call_rcu({}, module_function(mod, "cb", function* () {}));
            yield "call_rcu";
            yield* rcu_barrier_count_from_zero();
          },
          "rmmod",
          { cpu: 0 },
        );
      },
      "rcu_preempt",
    );
    const events: ScheduleEvent[] = [step(), step(), step(), step()]; // call_rcu, mutex, count = 0, IPIs sent
    events.push({ kind: "irq", cpu: 1, line: "ipi" }, step(1), step(1)); // cpu1 counts itself in and returns
    events.push(env("rcu", "gp-start"), env("rcu", "qs-cpu0"), env("rcu", "qs-cpu1"), env("rcu", "gp-end"), { kind: "irq", cpu: 1, line: "rcu-softirq" }, step(1), step(1));
    events.forEach((e, i) => expect(m.apply(e, i), JSON.stringify(e)).toBe(true));
    // rmmod goes on to return before cpu0's softirq runs its callback.
    while (m.failure === undefined && !m.thread("rmmod")!.done) expect(m.apply(step(0), events.length), "rmmod can go on").toBe(true);
    expect(m.failure?.property).toBe("rcu-barrier");
    expect(m.failure?.message).toMatch(/^rcu_barrier\(\) returns while cb \(queued on cpu0 at event 0\) has not run; rcu_barrier_callback on cpu1 took the count to 0 at event 13$/);
  });
});

describe("readers in interrupt handlers, and sleeping readers", () => {
  it("an interrupt handler, even on an idle CPU, holds the grace period off until it returns", () => {
    const m = machine(2, () => {
      request_irq(
        "dev",
        function* () {
          yield "handler";
        },
        { cpus: [1], count: 1 },
      );
      kthread_run(
        function* () {
          call_rcu({}, function* () {});
          yield "call_rcu";
        },
        "T0",
        { cpu: 0 },
      );
    });
    [step(0), { kind: "irq", cpu: 1, line: "dev" } as ScheduleEvent, env("rcu", "gp-start")].forEach((e, i) => expect(m.apply(e, i)).toBe(true));
    expect(gpEvents(m)).toEqual(["qs-cpu0"]); // cpu1 is idle, but runs a handler
  });

  it("sleeping inside rcu_read_lock() is reported", () => {
    const m = machine(1, () => {
      kthread_run(
        function* () {
          rcu_read_lock();
          yield* msleep(1);
          rcu_read_unlock();
        },
        "T0",
        { cpu: 0 },
      );
    });
    m.drain(0);
    expect(m.failure?.property).toBe("sleep-in-atomic");
    expect(m.failure?.message).toContain("RCU nest depth: 1, expected: 0");
  });
});

describe("timers, cross-CPU calls, interrupts, modules", () => {
  it("a timer that re-arms itself while running is gone, and not running, once del_timer_sync returns", () => {
    const log: string[] = [];
    let t: ReturnType<typeof timer_setup>;
    const m = machine(2, () => {
      t = timer_setup(
        "t",
        module_function(new module("m"), "fn", function* (self) {
          log.push("fn in");
          mod_timer(self);
          yield "re-armed";
          log.push("fn out");
        }),
      );
      kthread_run(
        function* () {
          mod_timer(t);
          yield "armed";
        },
        "armer",
        { cpu: 1 },
      );
      kthread_run(
        function* () {
          yield* del_timer_sync(t);
          log.push(`deleted: armed ${t.armed}, running ${t.running}`);
        },
        "deleter",
        { cpu: 0 },
      );
    });
    const events: ScheduleEvent[] = [step(1), env("timer", "t"), { kind: "irq", cpu: 1, line: "timer-softirq" }, step(1), step(1), env("timer", "t"), step(0)];
    events.forEach((e, i) => expect(m.apply(e, i), JSON.stringify(e)).toBe(true));
    m.drain(events.length);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual(["fn in", "fn out", "deleted: armed false, running false"]);
  });

  it("module code still running when its module is unloaded is reported", () => {
    const mod = new module("m");
    const m = machine(2, () => {
      kthread_run(
        module_function(mod, "worker", function* () {
          yield "working";
          yield "still working";
        }),
        "worker",
        { cpu: 1 },
      );
      kthread_run(
        function* () {
          module_unload(mod); // no kthread_stop first
          yield "unloaded";
        },
        "rmmod",
        { cpu: 0 },
      );
    });
    [step(1), step(0)].forEach((e, i) => m.apply(e, i));
    expect(m.failure?.property).toBe("module-unload");
    expect(m.failure?.message).toBe("module m is unloaded while worker is still running thread worker (worker)");
  });

  it("a timer expires when the schedule says, on the CPU that armed it; del_timer_sync waits for it to finish", () => {
    const log: string[] = [];
    const m = machine(2, () => {
      const t = timer_setup(
        "t",
        module_function(new module("m"), "fn", function* () {
          log.push(`fn on cpu${smp_processor_id()}`);
          yield "fn";
          log.push("fn done");
        }),
      );
      kthread_run(
        function* () {
          mod_timer(t);
          yield "armed";
        },
        "armer",
        { cpu: 1 },
      );
      kthread_run(
        function* () {
          yield "wait";
          yield* del_timer_sync(t);
          log.push("deleted");
        },
        "deleter",
        { cpu: 0 },
      );
    });
    [step(1), env("timer", "t"), { kind: "irq", cpu: 1, line: "timer-softirq" } as ScheduleEvent, step(1), step(1), step(0), step(0)].forEach((e, i) => expect(m.apply(e, i), JSON.stringify(e)).toBe(true));
    expect(m.isEnabled(step(0))).toBe(false); // del_timer_sync spins: the function is still running on cpu1
    m.drain(7);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual(["fn on cpu1", "fn done", "deleted"]);
  });

  it("smp_call_function_single runs on the other CPU in its IPI and waits; on_each_cpu runs on every CPU", () => {
    const ran: string[] = [];
    const m = machine(3, () => {
      kthread_run(
        function* () {
          yield* smp_call_function_single(2, function* () {
            ran.push(`single on cpu${smp_processor_id()}`);
          }, true);
          yield* on_each_cpu(function* () {
            ran.push(`each on cpu${smp_processor_id()}`);
          }, true);
        },
        "caller",
        { cpu: 0 },
      );
    });
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(ran).toEqual(["single on cpu2", "each on cpu0", "each on cpu1", "each on cpu2"]);
  });

  it("free_irq waits for a handler still running on another CPU", () => {
    const log: string[] = [];
    const m = machine(2, () => {
      request_irq(
        "dev",
        function* () {
          log.push("handler in");
          yield "working";
          log.push("handler out");
        },
        { cpus: [1], count: 1 },
      );
      kthread_run(
        function* () {
          yield* free_irq("dev");
          log.push("freed");
        },
        "remover",
        { cpu: 0 },
      );
    });
    [{ kind: "irq", cpu: 1, line: "dev" } as ScheduleEvent, step(1), step(0)].forEach((e, i) => m.apply(e, i));
    m.drain(3);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual(["handler in", "handler out", "freed"]);
  });

  it("reports module code run after its module was unloaded", () => {
    const mod = new module("m");
    const m = machine(1, () => {
      kthread_run(
        function* () {
          call_rcu({}, module_function(mod, "late_cb", function* () {}));
          module_unload(mod);
          yield "unloaded with a callback pending";
        },
        "T0",
        { cpu: 0 },
      );
    });
    m.drain(0);
    expect(m.failure?.property).toBe("module-unload");
    expect(m.failure?.message).toMatch(/^RCU callback late_cb, code of module m, runs in rcu-softirq#1 on cpu0 after the module was unloaded/);
  });

  it("reports a freed object reached through rcu_dereference, and a double kfree", () => {
    const runWith = (body: () => Gen<unknown>) => {
      const m = machine(1, () => {
        kthread_run(body, "T0", { cpu: 0 });
      });
      m.drain(0);
      return m.failure;
    };
    const obj = { name: "x" };
    expect(
      runWith(function* () {
        kfree(obj);
        yield "freed";
        rcu_dereference(obj, "x");
      })?.message,
    ).toBe("T0 dereferences x, which was freed");
    const obj2 = {};
    expect(
      runWith(function* () {
        kfree(obj2);
        kfree(obj2);
        yield "twice";
      })?.property,
    ).toBe("use-after-free");
  });

  it("completions wake their waiter", () => {
    const c = new completion("done");
    const log: string[] = [];
    const m = machine(1, () => {
      kthread_run(
        function* () {
          yield* wait_for_completion(c);
          log.push("woken");
        },
        "waiter",
        { cpu: 0 },
      );
      kthread_run(
        function* () {
          complete(c);
          yield "complete";
        },
        "completer",
        { cpu: 0 },
      );
    });
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual(["woken"]);
  });
});
