// CPU hotplug: cpu_down()/cpu_up() from model code and as schedule events,
// threads pushed off the outgoing CPU, what it leaves (timers, tasklets, RCU
// callbacks) adopted, cpuhp states, and rcu_barrier() across it.
import { describe, expect, it } from "vitest";
import {
  CPUHP_AP_ONLINE_DYN,
  CPUHP_BP_PREPARE_DYN,
  DEFINE_SPINLOCK,
  EBUSY,
  EINVAL,
  ntb_hosts,
  request_irq,
  call_rcu,
  complete,
  completion,
  cpu_down,
  cpu_online,
  cpu_up,
  cpuhp_setup_state,
  cpus_read_lock,
  cpus_read_unlock,
  current_name,
  defineModel,
  fc,
  hunt,
  in_serving_softirq,
  init_completion,
  installKernel,
  kthread_run,
  mod_timer,
  module,
  module_function,
  module_unload,
  num_online_cpus,
  online_cpus,
  rcu_barrier,
  rcu_init,
  smp_call_function_single,
  smp_processor_id,
  spin_lock,
  spin_unlock,
  tasklet_schedule,
  tasklet_setup,
  timer_setup,
  variantConfig,
  wait_event,
  wait_for_completion,
} from "../../src/index.ts";
import type { Gen } from "../../src/index.ts";
import type { ScheduleEvent } from "../../src/sim/index.ts";
import { Machine, setBooting } from "../../src/sim/index.ts";

const step = (cpu: number): ScheduleEvent => ({ kind: "step", cpu });

function machine(cpus: number, boot: () => void): Machine {
  const m = new Machine({ cpus, maxSteps: 3000, trace: true });
  installKernel(m, { lockdep: true });
  setBooting(m);
  try {
    boot();
  } finally {
    setBooting(null);
  }
  return m;
}

/** Steps `thread` (wherever it is) until `done` holds. */
function runUntil(m: Machine, thread: string, done: () => boolean): void {
  for (let i = 0; !done(); i++) {
    const t = m.thread(thread)!;
    if (i > 300 || !m.apply(step(t.cpu), m.steps)) throw new Error(`${thread} cannot go on: ${t.lastLabel}`);
  }
}

const labelled = (m: Machine, thread: string, text: string) => () => m.trace.some((t) => t.ctx === thread && t.text.startsWith(text));

describe("cpu_down() and cpu_up()", () => {
  it("push the outgoing CPU's threads to another and run nothing there; a per-CPU thread comes home with it, a bound one loses its binding", () => {
    const log: string[] = [];
    let go = false;
    const m = machine(2, () => {
      for (const [name, opts] of [["percpu", { percpu: true }], ["bound", { pinned: true }]] as const) {
        kthread_run(
          function* (): Gen {
            log.push(`${name} on cpu${smp_processor_id()}`);
            yield "first";
            yield wait_event(() => go, "go");
            log.push(`${name} on cpu${smp_processor_id()}`);
          },
          name,
          { cpu: 1, ...opts },
        );
      }
      kthread_run(
        function* (): Gen {
          const down = yield* cpu_down(1);
          log.push(`cpu_down = ${down}, cpu1 online ${cpu_online(1)}, ${num_online_cpus()} online, percpu on cpu${m.thread("percpu")!.cpu}`);
          const last = yield* cpu_down(0);
          log.push(`cpu_down(0) = ${last}`);
          const up = yield* cpu_up(1);
          log.push(`cpu_up = ${up}, online ${online_cpus().join(",")}`);
          go = true;
          yield "go";
        },
        "admin",
        { cpu: 0 },
      );
    });
    expect(m.apply(step(1), 0)).toBe(true);
    expect(m.apply({ kind: "preempt", cpu: 1, to: "bound" }, 1)).toBe(true);
    expect(m.apply(step(1), 2)).toBe(true);
    m.drain(3);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual([
      "percpu on cpu1",
      "bound on cpu1",
      "cpu_down = 0, cpu1 online false, 1 online, percpu on cpu0",
      `cpu_down(0) = ${-EBUSY}`,
      "cpu_up = 0, online 0,1",
      "bound on cpu0",
      "percpu on cpu1",
    ]);
    const text = m.trace.map((t) => t.text);
    expect(text).toContain("cpu1 goes offline; bound (no longer affine to cpu1), percpu (per-CPU) move to cpu0");
    expect(text).toContain("cpu1 comes online; percpu back on it");
    expect(m.thread("bound")!.pinned).toBe(false);
  });

  it("a device's interrupts for the outgoing CPU go to the one that took it down", () => {
    const seen: number[] = [];
    const m = machine(2, () => {
      request_irq("nic", function* () {
        seen.push(smp_processor_id());
        yield "nic";
      }, { cpus: [1], count: 1 });
      kthread_run(function* (): Gen {
        yield* cpu_down(1);
      }, "admin", { cpu: 0 });
    });
    runUntil(m, "admin", () => m.thread("admin")!.done);
    expect(m.enabledEvents()).toContainEqual({ kind: "irq", cpu: 0, line: "nic" });
    expect(m.apply({ kind: "irq", cpu: 0, line: "nic" }, m.steps)).toBe(true);
    m.drain(m.steps);
    expect(seen).toEqual([0]);
  });

  it("a CPU of another host is not this host's to take down", () => {
    const log: number[] = [];
    const m = machine(4, () => {
      ntb_hosts([
        { name: "a", cpus: [0, 1] },
        { name: "b", cpus: [2, 3] },
      ]);
      kthread_run(function* (): Gen {
        log.push(yield* cpu_down(3), yield* cpu_down(1));
      }, "admin", { cpu: 0 });
    });
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual([-EINVAL, 0]);
  });

  it("stop_machine() waits until every online CPU can be preempted for the stopper", () => {
    const lock = { l: DEFINE_SPINLOCK("unused") };
    const m = machine(2, () => {
      lock.l = DEFINE_SPINLOCK("dev->lock");
      kthread_run(
        function* (): Gen {
          yield* spin_lock(lock.l);
          yield "critical section";
          yield* spin_unlock(lock.l);
        },
        "holder",
        { cpu: 1 },
      );
      kthread_run(function* (): Gen {
        yield* cpu_down(1);
      }, "admin", { cpu: 0 });
    });
    expect(m.apply(step(1), 0)).toBe(true); // holder takes the lock: cpu1 cannot be preempted
    runUntil(m, "admin", () => m.thread("admin")!.lastLabel.startsWith("sleeps until stop_machine()"));
    expect(m.thread("admin")!.lastLabel).toBe("sleeps until stop_machine() can run (holder on cpu1 cannot be preempted for the stopper)");
    expect(m.apply(step(0), m.steps)).toBe(false);
    m.drain(m.steps);
    expect(m.failure).toBeUndefined();
    expect(m.cpu(1).online).toBe(false);
    expect(m.thread("holder")!.done).toBe(true);
  });

  it("what the outgoing CPU leaves is adopted: its timers, tasklets and RCU callbacks run on the CPU that took it down", () => {
    const ran: string[] = [];
    const where = (what: string) => ran.push(`${what} on cpu${smp_processor_id()}${in_serving_softirq() ? " (softirq)" : ""}`);
    const m = machine(2, () => {
      rcu_init();
      const timer = timer_setup("dev->timer", function* () {
        where("timer");
        yield "timer";
      });
      const tasklet = tasklet_setup("dev->tasklet", function* () {
        where("tasklet");
        yield "tasklet";
      });
      kthread_run(
        function* (): Gen {
          mod_timer(timer);
          tasklet_schedule(tasklet);
          call_rcu({}, function* () {
            where("rcu callback");
            yield "cb";
          });
          yield "arm, schedule, queue";
        },
        "T1",
        { cpu: 1 },
      );
      kthread_run(function* (): Gen {
        yield* cpu_down(1);
      }, "admin", { cpu: 0 });
    });
    expect(m.apply(step(1), 0)).toBe(true);
    runUntil(m, "admin", () => m.thread("admin")!.done);
    expect(ran).toEqual([]);
    const text = m.trace.map((t) => t.text);
    expect(text).toContain("timers_dead_cpu: dev->timer move to cpu0");
    expect(text).toContain("takeover_tasklets: dev->tasklet move to cpu0");
    expect(text).toContain("rcutree_migrate_callbacks: 1 callback(s) of cpu1 adopted by cpu0");
    m.drain(m.steps);
    expect(m.failure).toBeUndefined();
    expect(ran.sort()).toEqual(["rcu callback on cpu0 (softirq)", "tasklet on cpu0 (softirq)", "timer on cpu0 (softirq)"]);
  });

  it("a grace period under way takes the outgoing CPU's quiescent state as it goes, and a later one does not wait for it", () => {
    const cb = function* () {
      yield "cb";
    };
    const m = machine(2, () => {
      rcu_init();
      kthread_run(function* (): Gen {
        call_rcu({}, cb);
        yield "call_rcu";
      }, "T1", { cpu: 1 });
      kthread_run(function* (): Gen {
        yield* cpu_down(1);
        call_rcu({}, cb);
        yield "call_rcu";
      }, "admin", { cpu: 0 });
    });
    const rcu = () => m.envSources.find((s) => s.name === "rcu")!;
    const gp = (arg: string) => expect(m.apply({ kind: "env", source: "rcu", arg }, m.steps), arg).toBe(true);
    expect(m.apply(step(1), 0)).toBe(true);
    gp("gp-start");
    runUntil(m, "admin", labelled(m, "admin", "take_cpu_down"));
    expect(m.trace.at(-1)?.text).toBe("take_cpu_down: cpu1 is offline; cpu1 passes a quiescent state for grace period 1 as it goes");
    runUntil(m, "admin", () => m.thread("admin")!.done);
    expect(rcu().enabled().map((e) => e.arg)).toEqual(["qs-cpu0"]);
    gp("qs-cpu0");
    gp("gp-end");
    gp("gp-start");
    expect(rcu().enabled().map((e) => e.arg)).toEqual(["qs-cpu0"]);
    gp("qs-cpu0");
    gp("gp-end");
    m.drain(m.steps);
    expect(m.failure).toBeUndefined();
  });
});

describe("RCU callbacks across CPU hotplug", () => {
  const gp = (m: Machine, ...args: string[]) => args.forEach((arg) => expect(m.apply({ kind: "env", source: "rcu", arg }, m.steps), arg).toBe(true));

  it("adopted callbacks are ordered on the list that adopted them: one queued on the CPU once it is back may run first", () => {
    const ran: string[] = [];
    let back = false;
    const cb = (name: string) =>
      function* () {
        ran.push(`${name} on cpu${smp_processor_id()}`);
        yield name;
      };
    const m = machine(2, () => {
      rcu_init();
      kthread_run(function* (): Gen {
        call_rcu({}, cb("A"));
        yield "call_rcu(A)";
        yield wait_event(() => back, "cpu1 is back");
        call_rcu({}, cb("B"));
        yield "call_rcu(B)";
      }, "T1", { cpu: 1, percpu: true });
      kthread_run(function* (): Gen {
        yield* cpu_down(1);
        yield* cpu_up(1);
        back = true;
        yield "back";
      }, "admin", { cpu: 0 });
    });
    expect(m.apply(step(1), 0)).toBe(true);
    runUntil(m, "admin", () => m.thread("admin")!.done);
    runUntil(m, "T1", () => m.thread("T1")!.done);
    gp(m, "gp-start", "qs-cpu0", "qs-cpu1", "gp-end");
    expect(m.apply({ kind: "irq", cpu: 1, line: "rcu-softirq" }, m.steps)).toBe(true);
    m.drain(m.steps);
    expect(m.failure).toBeUndefined();
    expect(ran).toEqual(["B on cpu1", "A on cpu0"]);
  });

  it("with rcuc kthreads, the outgoing CPU's rcuc/N, pushed off it, stays parked: its callbacks are adopted, not run where it landed", () => {
    const m = machine(3, () => {
      rcu_init({ use_softirq: false });
      kthread_run(function* (): Gen {
        call_rcu({}, function* () {
          yield "cb";
        });
        yield "call_rcu";
      }, "T", { cpu: 2 });
      kthread_run(function* (): Gen {
        yield* cpu_down(2);
      }, "admin", { cpu: 0 });
    });
    expect(m.apply(step(2), 0)).toBe(true);
    gp(m, "gp-start", "qs-cpu0", "qs-cpu1", "qs-cpu2", "gp-end");
    runUntil(m, "admin", labelled(m, "admin", "take_cpu_down"));
    expect(m.thread("rcuc/2")!.cpu).toBe(0);
    expect(m.apply({ kind: "preempt", cpu: 0, to: "rcuc/2" }, m.steps)).toBe(true);
    expect(m.apply(step(0), m.steps)).toBe(true);
    expect(m.thread("rcuc/2")!.lastLabel).toBe("sleeps until cpu2 is online and has callbacks whose grace period has ended");
    m.drain(m.steps);
    expect(m.failure).toBeUndefined();
    expect(m.trace.some((t) => t.ctx === "rcuc/0" && t.text === "cb")).toBe(true);
  });
});

describe("cpuhp states", () => {
  it("online states run on the CPU in its hotplug thread; prepare states' teardowns run after it is dead, on the CPU that took it down", () => {
    const log: string[] = [];
    const m = machine(2, () => {
      kthread_run(
        function* (): Gen {
          const st = yield* cpuhp_setup_state(
            CPUHP_AP_ONLINE_DYN,
            "drv:online",
            function* (cpu: number) {
              log.push(`online ${cpu}: on cpu${smp_processor_id()} in ${current_name()}`);
              yield "startup";
              return 0;
            },
            function* (cpu: number) {
              log.push(`offline ${cpu}: on cpu${smp_processor_id()}, cpu${cpu} online ${cpu_online(cpu)}`);
              yield "teardown";
              return 0;
            },
          );
          log.push(`state ${st}`);
          yield* cpuhp_setup_state(CPUHP_BP_PREPARE_DYN, "drv:prepare", null, function* (cpu: number) {
            log.push(`dead ${cpu}: on cpu${smp_processor_id()}, cpu${cpu} online ${cpu_online(cpu)}`);
            yield "dead";
            return 0;
          });
          yield* cpu_down(1);
          yield* cpu_up(1);
        },
        "admin",
        { cpu: 0 },
      );
    });
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual([
      "online 0: on cpu0 in cpuhp/0",
      "online 1: on cpu1 in cpuhp/1",
      "state 1",
      "offline 1: on cpu1, cpu1 online true",
      "dead 1: on cpu0, cpu1 online false",
      "online 1: on cpu1 in cpuhp/1",
    ]);
  });

  it("a startup that fails rolls the CPU back down, and cpu_up() returns its error", () => {
    let fail = false;
    const log: string[] = [];
    const m = machine(2, () => {
      kthread_run(
        function* (): Gen {
          yield* cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "a", function* () {
            yield "a up";
            return 0;
          }, function* (cpu: number) {
            log.push(`a down ${cpu}`);
            yield "a down";
            return 0;
          });
          yield* cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "b", function* () {
            yield "b up";
            return fail ? -12 : 0;
          }, null);
          yield* cpu_down(1);
          fail = true;
          log.push(`cpu_up = ${yield* cpu_up(1)}, cpu1 online ${cpu_online(1)}`);
        },
        "admin",
        { cpu: 0 },
      );
    });
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(log).toEqual(["a down 1", "a down 1", "cpu_up = -12, cpu1 online false"]);
  });
});

describe("rcu_barrier() across CPU hotplug", () => {
  /** cpu2 queues a module's callback; cpu0 takes cpu2 down while cpu1 runs rmmod's rcu_barrier() and unloads. */
  function barrierVsHotplug() {
    const mod = new module("drv");
    return machine(3, () => {
      rcu_init();
      kthread_run(
        function* (): Gen {
          call_rcu({}, module_function(mod, "free_obj", function* () {
            yield "free_obj";
          }));
          yield "call_rcu";
        },
        "T",
        { cpu: 2 },
      );
      kthread_run(function* (): Gen {
        yield* cpu_down(2);
      }, "admin", { cpu: 0 });
      kthread_run(
        function* (): Gen {
          yield* rcu_barrier();
          module_unload(mod);
          yield "unloaded";
        },
        "rmmod",
        { cpu: 1 },
      );
    });
  }

  it("a barrier that has not reached the dead CPU yet has its callback entrained when the list is adopted", () => {
    const m = barrierVsHotplug();
    expect(m.apply(step(2), 0)).toBe(true);
    runUntil(m, "rmmod", labelled(m, "rmmod", "rcu_barrier: cpu0 has no callbacks"));
    runUntil(m, "admin", () => m.thread("admin")!.done);
    expect(m.trace.map((t) => t.text)).toContain("rcutree_migrate_callbacks: 2 callback(s) of cpu2 adopted by cpu0 (barrier callback behind free_obj, count -> 3)");
    m.drain(m.steps);
    expect(m.failure).toBeUndefined();
  });

  it("a barrier that reaches the CPU after it died but before its list is adopted entrains the callback there itself", () => {
    const m = barrierVsHotplug();
    expect(m.apply(step(2), 0)).toBe(true);
    runUntil(m, "admin", labelled(m, "admin", "take_cpu_down"));
    runUntil(m, "rmmod", labelled(m, "rmmod", "rcu_barrier: count -= 2"));
    expect(m.trace.map((t) => t.text)).toContain("rcu_barrier: cpu2 is offline: barrier callback behind free_obj, count -> 3");
    m.drain(m.steps);
    expect(m.failure).toBeUndefined();
    expect(m.trace.map((t) => t.text)).toContain("rcutree_migrate_callbacks: 2 callback(s) of cpu2 adopted by cpu0");
  });
});

// A driver asks every online CPU for its count and waits for as many answers
// as it asked: the CPUs must not change meanwhile.
const census = defineModel<number>({
  name: "census",
  description: "a thread asks each online CPU to report, then waits for all the reports",
  variants: {
    "cpus-read-lock": { description: "holds cpus_read_lock() from counting the CPUs to the last answer", correct: true },
    unlocked: { description: "counts the online CPUs, then calls each one without holding hotplug off", correct: false },
  },
  properties: {},
  defaults: { cpus: 3, maxSteps: 600, hotplug: 2 },
  workload: () => fc.constant(0),
  setup(variant) {
    const done = new completion("census.done");
    init_completion(done);
    let answers = 0;
    kthread_run(
      function* census(): Gen {
        if (variant === "cpus-read-lock") yield* cpus_read_lock();
        const want = num_online_cpus();
        yield `asks ${want} cpu(s)`;
        for (const cpu of online_cpus()) {
          yield* smp_call_function_single(
            cpu,
            function* report() {
              if (++answers === want) complete(done);
              yield "report";
            },
            false,
          );
        }
        yield* wait_for_completion(done);
        if (variant === "cpus-read-lock") yield* cpus_read_unlock();
      },
      "census",
      { cpu: 0 },
    );
  },
});

describe("hotplug as schedule events (the `hotplug` setting)", () => {
  it("finds the census that does not hold hotplug off: a CPU goes down between counting and calling it, and the answer never comes", () => {
    const cx = hunt({ model: census, variant: "unlocked", config: variantConfig(census, "unlocked"), runs: 500, seed: 1 }).counterexample!;
    expect(cx).toBeDefined();
    expect(cx.property).toBe("deadlock");
    expect(cx.failure.message).toMatch(/census on cpu\d sleeps until census\.done is completed/);
    expect(cx.schedule.some((e) => e.kind === "env" && e.source === "hotplug")).toBe(true);
  });

  it("the census under cpus_read_lock() survives the same hunt", () => {
    expect(hunt({ model: census, variant: "cpus-read-lock", config: variantConfig(census, "cpus-read-lock"), runs: 500, seed: 1 }).counterexample).toBeUndefined();
  });

  it("without the setting no CPU ever goes down", () => {
    const config = variantConfig(census, "unlocked", { hotplug: 0 });
    expect(hunt({ model: census, variant: "unlocked", config, runs: 300, seed: 1 }).counterexample).toBeUndefined();
  });
});
