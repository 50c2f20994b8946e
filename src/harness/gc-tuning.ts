// A hunt makes and drops a machine, its threads and its model every run.
// Those objects are alive at every young-generation collection (some run is
// always under way), so V8 learns to allocate them straight in the old
// generation; there they die a run later, and every pointer they hold to
// young objects is one more root for each young collection. Turned off, the
// same hunts run 10-40% faster (bench/speed.ts). The flag decides where
// objects are allocated, never what a program computes.
import * as v8 from "node:v8";

let tuned = false;

/** Turns off V8's allocation-site pretenuring for this process (once per thread: each hunt worker asks too). */
export function tuneGarbageCollector(): void {
  if (tuned) return;
  tuned = true;
  v8.setFlagsFromString("--no-allocation-site-pretenuring");
}
