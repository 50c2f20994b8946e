// Two hosts joined by a non-transparent bridge (drivers/ntb, include/linux/ntb.h):
// each host maps a window of the other's memory, and rings the other's
// doorbell, a remote interrupt that carries no data and may be delayed,
// coalesced or lost.
import { current, currentMachine } from "../sim/current.ts";
import type { Host } from "../sim/machine.ts";
import { DEFINE_SHARED } from "./barrier.ts";
import type { shared_t } from "./barrier.ts";
import type { Code } from "./module.ts";
import { request_irq } from "./irq.ts";

/** Splits the machine's CPUs into hosts (at boot). */
export function ntb_hosts(hosts: Host[]): void {
  currentMachine().setHosts(hosts);
}

/**
 * A region of `host`'s memory, mapped by the hosts in `mappedBy` through
 * their bridge windows: its words, each with its initial value.
 */
export function ntb_region<F extends string>(name: string, opts: { host: string; mappedBy: string[]; words: Record<F, number> }): Record<F, shared_t> {
  const m = currentMachine();
  for (const h of [opts.host, ...opts.mappedBy]) if (!m.hosts.some((x) => x.name === h)) throw new Error(`region ${name}: no host '${h}'`);
  const region = { name, host: opts.host, mappedBy: opts.mappedBy };
  const out = {} as Record<F, shared_t>;
  for (const [field, initial] of Object.entries(opts.words) as [F, number][]) out[field] = DEFINE_SHARED(`${name}.${field}`, initial, region);
  return out;
}

/**
 * Registers `handler` for doorbell `line`, taken on `cpu` of the receiving
 * host; at most `lossBudget` rings of all doorbells are lost in a run.
 */
export function ntb_db_request(line: string, handler: Code, opts: { cpu: number; lossBudget: number }): void {
  const m = currentMachine();
  request_irq(line, handler, { cpus: [opts.cpu], count: 0 });
  m.enableDoorbells(opts.lossBudget).route(line, opts.cpu);
}

/**
 * ntb_peer_db_set(): rings the peer's doorbell, a register write ordered
 * after this CPU's earlier stores, as writel() is. It coalesces with a ring
 * still on its way.
 */
export function ntb_peer_db_set(line: string): "sent" | "coalesced" {
  const { machine: m, cpu } = current();
  if (m.doorbells === undefined) throw new Error(`doorbell '${line}' is not routed: call ntb_db_request() in setup`);
  return m.doorbells.ring(line, m.memory.mark(cpu.id));
}

/** Rings of `line` lost so far (for the model's checks). */
export function ntb_db_lost(line: string): number {
  return currentMachine().doorbells?.lost(line) ?? 0;
}
