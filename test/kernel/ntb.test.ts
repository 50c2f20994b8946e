// Hosts, mapped regions, doorbells and virtual time, one mechanism at a time.
import { describe, expect, it } from "vitest";
import {
  READ_ONCE,
  WRITE_ONCE,
  kthread_run,
  ktime_get,
  msleep,
  ntb_db_request,
  ntb_hosts,
  ntb_peer_db_set,
  ntb_region,
  spin_until_timeout,
  timekeeping_init,
  udelay,
} from "../../src/kernel/index.ts";
import type { Gen } from "../../src/kernel/index.ts";
import { Machine, setBooting } from "../../src/sim/index.ts";

function boot(cpus: number, build: (m: Machine) => void, memory: "sc" | "tso" | "pso" = "sc"): Machine {
  const m = new Machine({ cpus, maxSteps: 500, trace: true, memory });
  setBooting(m);
  try {
    build(m);
  } finally {
    setBooting(null);
  }
  return m;
}

describe("virtual time", () => {
  it("stands still while anything can progress, then jumps to the nearest deadline", () => {
    const seen: string[] = [];
    const m = boot(2, () => {
      timekeeping_init();
      kthread_run(
        function* (): Gen {
          yield* udelay(30);
          seen.push(`A woke at ${ktime_get()}`);
          yield "A done";
        },
        "A",
        { cpu: 0 },
      );
      kthread_run(
        function* (): Gen {
          for (let i = 0; i < 5; i++) yield `B step ${i} at ${ktime_get()}`;
          yield* udelay(10);
          seen.push(`B woke at ${ktime_get()}`);
          yield "B done";
        },
        "B",
        { cpu: 1 },
      );
    });
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(seen).toEqual(["B woke at 10", "A woke at 30"]);
    expect(m.trace.filter((e) => e.text.startsWith("B step")).every((e) => e.text.endsWith("at 0"))).toBe(true);
  });

  it("the schedule may move the clock past a CPU that could go on, counted as a stall; the drain never does", () => {
    // A waits 5 us on cpu0 while B has two steps to take on cpu1.
    const world = () =>
      boot(2, () => {
        timekeeping_init();
        kthread_run(() => udelay(5), "A", { cpu: 0 });
        kthread_run(function* (): Gen {
          yield "one";
          yield "two";
        }, "B", { cpu: 1 });
      });
    const m = world();
    m.apply({ kind: "step", cpu: 0 }, 0);
    expect(m.enabledEvents()).toContainEqual({ kind: "env", source: "clock", arg: 5 });
    expect(m.apply({ kind: "env", source: "clock", arg: 5 }, 1)).toBe(true);
    expect(m.stalls).toBe(1);
    expect(m.trace.at(-1)?.text).toBe("time 0 -> 5 us (a stall: something else could have gone on)");

    const fair = world();
    fair.drain(0);
    expect(fair.stalls).toBe(0);
    const texts = fair.trace.map((e) => e.text);
    expect(texts.indexOf("time 0 -> 5 us")).toBeGreaterThan(texts.indexOf("two"));
  });

  it("a thread switched out while it spins is put back still spinning: udelay() never ends early", () => {
    const seen: string[] = [];
    const m = boot(1, () => {
      timekeeping_init();
      kthread_run(
        function* (): Gen {
          yield* udelay(100);
          seen.push(`A: udelay(100) returned at ${ktime_get()}`);
          yield "A done";
        },
        "A",
        { cpu: 0 },
      );
      kthread_run(function* (): Gen {
        yield "B runs";
      }, "B", { cpu: 0 });
    });
    m.apply({ kind: "step", cpu: 0 }, 0); // A starts spinning
    expect(m.apply({ kind: "preempt", cpu: 0, to: "B" }, 1)).toBe(true);
    m.drain(2);
    expect(m.failure).toBeUndefined();
    expect(seen).toEqual(["A: udelay(100) returned at 100"]);
    expect(m.trace.map((e) => e.text)).toContain("is back on cpu0, spins until udelay(100) ends at 100 us");
  });

  it("msleep() sleeps until its time has passed, and lets the clock move", () => {
    let done = false;
    const seen: number[] = [];
    const m = boot(2, () => {
      timekeeping_init();
      kthread_run(
        function* (): Gen {
          yield* udelay(10);
          done = true;
          yield "done = 1";
        },
        "A",
        { cpu: 0 },
      );
      kthread_run(
        function* (): Gen {
          while (!done) {
            yield* msleep(1);
            seen.push(ktime_get());
          }
        },
        "B",
        { cpu: 1 },
      );
    });
    m.drain(0);
    expect(m.failure).toBeUndefined();
    expect(seen).toEqual([1000]);
  });

  it("a deadline without the clock is a clear error", () => {
    const m = boot(1, () => {
      kthread_run(() => udelay(5), "A", { cpu: 0 });
    });
    m.drain(0);
    expect(m.failure?.message).toContain("timekeeping_init()");
  });
});

describe("doorbells", () => {
  function bell(lossBudget: number) {
    const taken: number[] = [];
    const m = boot(2, () => {
      ntb_hosts([
        { name: "a", cpus: [0] },
        { name: "b", cpus: [1] },
      ]);
      ntb_db_request(
        "db",
        function* () {
          taken.push(1);
          yield "doorbell handler";
        },
        { cpu: 1, lossBudget },
      );
      kthread_run(
        function* (): Gen {
          yield `ring: ${ntb_peer_db_set("db")}`;
          yield `ring: ${ntb_peer_db_set("db")}`;
        },
        "ringer",
        { cpu: 0 },
      );
    });
    return { m, taken };
  }

  it("a ring still on its way coalesces with the next, and arrives once", () => {
    const { m, taken } = bell(0);
    m.drain(0);
    expect(m.trace.map((e) => e.text)).toContain("ring: coalesced");
    expect(taken).toEqual([1]);
  });

  it("may be lost while the loss budget lasts, and never after", () => {
    const { m, taken } = bell(1);
    m.apply({ kind: "step", cpu: 0 }, 0);
    expect(m.apply({ kind: "env", source: "doorbell", arg: "lose:db" }, 1)).toBe(true);
    m.apply({ kind: "step", cpu: 0 }, 2);
    expect(m.isEnabled({ kind: "env", source: "doorbell", arg: "lose:db" })).toBe(false);
    m.drain(3);
    expect(taken).toEqual([1]);
  });
});

describe("hosts and mapped regions", () => {
  it("a thread never migrates to another host's CPU", () => {
    const m = boot(3, () => {
      ntb_hosts([
        { name: "a", cpus: [0, 1] },
        { name: "b", cpus: [2] },
      ]);
      kthread_run(function* (): Gen {
        yield "x";
      }, "T", { cpu: 0 });
    });
    const targets = m.enabledEvents().filter((e) => e.kind === "migrate").map((e) => (e as { cpu: number }).cpu);
    expect(targets).toEqual([1]);
  });

  it("a CPU reaches another host's memory only through a mapping", () => {
    const m = boot(2, () => {
      ntb_hosts([
        { name: "a", cpus: [0] },
        { name: "b", cpus: [1] },
      ]);
      const mapped = ntb_region("shared", { host: "b", mappedBy: ["a"], words: { x: 0 } });
      const priv = ntb_region("private", { host: "b", mappedBy: [], words: { y: 0 } });
      kthread_run(function* (): Gen {
        WRITE_ONCE(mapped.x, 1);
        yield "x = 1";
        READ_ONCE(priv.y);
        yield "read y";
      }, "T", { cpu: 0 });
    });
    m.drain(0);
    expect(m.failure?.property).toBe("oops");
    expect(m.failure?.message).toContain("region private of host b is not mapped");
  });

  it("a spinning wait reads memory as its own CPU sees it, buffered stores included", () => {
    const m = boot(2, () => {
      timekeeping_init();
      const s = ntb_region("r", { host: "host", mappedBy: [], words: { flag: 0 } });
      kthread_run(function* (): Gen {
        WRITE_ONCE(s.flag, 1);
        yield "flag = 1";
        yield spin_until_timeout(() => READ_ONCE(s.flag) === 1, 100, "flag == 1");
        yield `woke at ${ktime_get()}`;
      }, "T", { cpu: 0 });
    }, "tso");
    m.apply({ kind: "step", cpu: 0 }, 0);
    m.apply({ kind: "step", cpu: 0 }, 1);
    expect(m.memory.buffered(0)).toBe(1); // still buffered, yet the wait is over
    m.apply({ kind: "step", cpu: 0 }, 2);
    expect(m.trace.map((e) => e.text)).toContain("woke at 0");
  });
});
