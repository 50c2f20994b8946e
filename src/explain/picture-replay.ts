// A replay of a counterexample that also keeps, after every machine action,
// what each CPU looked like: interrupts on or off, preempt count, the thread
// and the handlers nested on it, and the locks held there. The trace says
// what happened; these snapshots say in what state, for the picture.
import { lockHolds } from "../kernel/inspect.ts";
import type { LockHold } from "../kernel/inspect.ts";
import type { AnyModel } from "../kernel/model.ts";
import type { Machine } from "../sim/machine.ts";
import type { Counterexample } from "../harness/counterexample.ts";
import { Run } from "../harness/run.ts";

export interface CpuSnapshot {
  irqsEnabled: boolean;
  preemptCount: number;
  /** The running thread, or null when the CPU is idle. */
  thread: string | null;
  /** Interrupt handlers nested on it, outermost first. */
  irqs: string[];
  /** Locks held (or waited for) by the contexts of this CPU: its handlers and every thread on its run queue. */
  holds: LockHold[];
}

export type Snapshot = CpuSnapshot[];

export interface SnapshotReplay {
  run: Run;
  /** The machine as the model's setup left it, before the first action. */
  initial: Snapshot;
  /** The machine after each action, by action index (TraceEntry.step). */
  after: Snapshot[];
}

function snapshot(m: Machine): Snapshot {
  return m.cpus.map((cpu) => {
    const holds: LockHold[] = [];
    for (const t of m.threads) if (t.cpu === cpu.id) holds.push(...lockHolds(m, t));
    for (const f of cpu.irqStack) holds.push(...lockHolds(m, f.ctx));
    return {
      irqsEnabled: cpu.irqsEnabled,
      preemptCount: cpu.preemptCount,
      thread: cpu.current?.name ?? null,
      irqs: cpu.irqStack.map((f) => f.ctx.name),
      holds,
    };
  });
}

/** Replays as runSchedule does, with tracing, taking a snapshot after every action. */
export function replayWithSnapshots(cx: Counterexample, model: AnyModel): SnapshotReplay {
  const run = new Run(model, cx.variant, cx.config, cx.workload, { trace: true, focus: cx.property });
  const m = run.machine;
  const initial = snapshot(m);
  const after: Snapshot[] = [];
  // Run installs its checks as afterStep in its constructor; wrap them. They are skipped for the action that fails, which the end snapshot covers.
  const checks = m.hooks.afterStep;
  m.hooks.afterStep = () => {
    after[m.steps - 1] = snapshot(m);
    checks?.();
  };
  for (const e of cx.schedule) {
    if (run.failure !== undefined) break;
    run.offer(e);
  }
  run.finish();
  if (m.steps > 0 && after[m.steps - 1] === undefined) after[m.steps - 1] = snapshot(m);
  for (let i = 0; i < m.steps; i++) after[i] ??= i > 0 ? after[i - 1]! : initial;
  return { run, initial, after };
}
