// Hunting the ticket lock from a test file: one test per variant (fixed
// seed: buggy variants caught, the correct one surviving), one per saved
// counterexample of the model, and a hunt for one property.
import { expect, it } from "vitest";
import { describeModel, expectCaught } from "kernel-race-harness/vitest";
import ticketLock from "./ticket-lock.ts";

describeModel(ticketLock, { runs: 500 });

it("without lockdep, irqs-on deadlocks: the handler spins on the ticket after its holder's", () => {
  const cx = expectCaught(ticketLock, "irqs-on", { config: { lockdep: 0 } });
  expect(cx.property).toBe("deadlock");
  expect(cx.failure.message).toMatch(/^deadlock: nic#1 on cpu(\d) spins until tx_lock serves ticket 1 \(serving 0, held by T0\); T0 on cpu\1 is interrupted by nic#1/);
});
