/** A broken property, with where it broke. */
export interface Failure {
  property: string;
  message: string;
  /** Index in the schedule of the event during which it broke; equal to the schedule's length in the drain. */
  event: number;
  /** Index of the machine action during which it broke (see TraceEntry.step); after the last one for a deadlock. */
  step: number;
  /** Contexts involved: the one that was stepping first, then any the property named. */
  contexts: string[];
}

/** What a property check returns when it does not hold. */
export type Violation = string | { message: string; contexts?: string[] };
