// The public library API: what a user imports to model their own mechanism
// and hunt it. The built-in models use nothing but this.
export * from "./kernel/index.ts";
export type { Gen, Step, Wait, ScheduleEvent, Failure, Violation, TraceEntry } from "./sim/index.ts";
export { Machine } from "./sim/index.ts";
export { hunt } from "./harness/hunt.ts";
export type { HuntOptions, HuntResult } from "./harness/hunt.ts";
export { Run, runSchedule } from "./harness/run.ts";
export { minimize, minimizeSchedule, removableEvents } from "./harness/minimize.ts";
export type { Counterexample, Saved } from "./harness/counterexample.ts";
export { FORMAT, writeCounterexample, readCounterexampleFile, counterexampleFiles, serialize } from "./harness/counterexample.ts";
export { replayCounterexample, replayFile, replayAll, describeReplay } from "./harness/replay.ts";
export { renderTrace } from "./explain/trace-text.ts";
export { loadModelFile, modelShapeError, ModelFileError } from "./harness/model-file.ts";
// fast-check itself, at the version the harness pins: a model's workload is one of its arbitraries.
export { default as fc } from "fast-check";
export { litmusOutcomes } from "./harness/litmus.ts";
export type { LitmusTest } from "./harness/litmus.ts";
