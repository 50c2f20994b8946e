// Shadow drivers (Swift, Annamalai, Bershad, Levy, OSDI 2004): a shadow
// wraps a driver, logs its configuration and the requests in flight, and
// when the driver fails, masks its interrupt, restarts it, replays the
// configuration and then the requests, completing each exactly once to its
// caller. Two callers on two CPUs issue requests through the shadow; the
// device completes them by interrupt; the failure is an environment event of
// the schedule's choosing; recovery runs in the shadow's own thread.
import fc from "fast-check";
import { add_env_source, defineModel, kthread_run, raise_irq, request_irq } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import type { op, request, Variant } from "./driver.ts";
import { dev_interrupt, shadow_dev, shadow_recovery, shadow_submit } from "./driver.ts";

export interface ShadowDriverWorkload {
  /** What each caller (T0 on cpu0, T1 on cpu1) sends, in order: I/O requests and configuration changes. */
  callers: ("io" | "config")[][];
}

/** A caller thread: sends its requests and configuration changes through the shadow, in order. */
function* caller_thread(s: shadow_dev, mine: op[], v: Variant): Gen {
  for (const o of mine) yield* shadow_submit(s, o, v);
}

export default defineModel<ShadowDriverWorkload>({
  name: "shadow-driver",
  description: "a shadow driver that logs a driver's configuration and in-flight requests and recovers it from a failure by restart and replay",
  variants: {
    correct: { description: "completions from the failed instance are dropped, the interrupt is masked from teardown to restart, requests are queued while recovering", correct: true },
    "stale-completion": {
      description: "the shadow accepts completions from the failed instance after it took the in-flight log for replay: the request completes twice",
      correct: false,
    },
    "irq-unmasked": { description: "the interrupt is left unmasked during recovery: the old handler runs on the torn-down driver", correct: false },
    "no-queue": { description: "requests arriving during recovery are neither queued nor failed: they reach the half-restarted driver", correct: false },
  },
  properties: {
    "exactly-once": "every request completes to its caller exactly once: never twice (checked at every step), none lost (checked at the end)",
    "config-before-io": "no request reaches the driver before its configuration is replayed",
    "no-irq-after-teardown": "the failed driver's interrupt handler never runs after its teardown, before the restart has ended",
    "no-io-during-restart": "no caller's request reaches the driver while the shadow recovers it: it is queued until the restart ends",
  },
  defaults: { cpus: 2, maxSteps: 3000 },
  maxEvents: 40,
  workload: () =>
    fc.record({
      callers: fc.tuple(
        fc.array(fc.constantFrom<"io" | "config">("io", "config"), { minLength: 1, maxLength: 2 }),
        fc.array(fc.constantFrom<"io" | "config">("io", "config"), { minLength: 1, maxLength: 2 }),
      ),
    }),
  workloadHelp: '{ callers: [["io" | "config", ...1-2], [...1-2]] }',
  setup(variant, w) {
    const v = variant as Variant;
    const s = new shadow_dev();
    w.callers.forEach((ops, i) => {
      const mine: op[] = ops.map((kind, k) => {
        if (kind === "config") return { kind, value: `cfg-T${i}.${k + 1}` };
        const req: request = { name: `T${i}.r${k + 1}`, completions: 0 };
        s.issued.push(req);
        return { kind, req };
      });
      kthread_run(() => caller_thread(s, mine, v), `T${i}`, { cpu: i % 2 });
    });
    kthread_run(() => shadow_recovery(s, v), "shadowd", { cpu: 1, daemon: true });
    request_irq("dev", () => dev_interrupt(s, v), { cpus: [0, 1], count: 0 });

    // The device: completes the oldest posted request and raises its interrupt on a CPU.
    // (Methods, not arrow-valued properties, in what is made for every run: tsx names each such arrow anew.)
    add_env_source({
      name: "device",
      enabled() {
        return s.dev.posted.length === 0 ? [] : [0, 1].map((cpu) => ({ kind: "env" as const, source: "device", arg: cpu }));
      },
      apply(e) {
        const x = s.dev.posted.shift()!;
        s.dev.done.push(x);
        raise_irq(Number(e.arg), "dev");
        return `device completes ${x.req.name} (posted by driver #${x.gen}), raises dev on cpu${e.arg}`;
      },
      drainMove() {
        return s.dev.posted.length === 0 ? undefined : { kind: "env", source: "device", arg: 0 };
      },
    });
    // The failure: the driver's code faults once, when the schedule says.
    add_env_source({
      name: "fault",
      enabled() {
        return s.crashed || s.drv.state !== "live" ? [] : [{ kind: "env", source: "fault", arg: "crash" }];
      },
      apply() {
        s.crashed = true;
        s.drv.state = "failed";
        return `driver #${s.drv.gen} faults`;
      },
    });

    return {
      invariants: {
        "exactly-once"() {
          const twice = s.issued.find((r) => r.completions > 1);
          return twice ? `${twice.name} completed ${twice.completions} times` : undefined;
        },
      },
      finals: {
        "exactly-once"() {
          const lost = s.issued.filter((r) => r.completions === 0);
          return lost.length > 0 ? `${lost.map((r) => r.name).join(", ")} never completed` : undefined;
        },
      },
    };
  },
});
