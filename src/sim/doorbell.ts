// Remote interrupts between hosts (an NTB doorbell, an MSI over a bridge).
// They carry no data. A doorbell rung while the last ring is still on its
// way coalesces with it; a ring in flight arrives when the schedule says
// (delayed as long as it likes), or is lost, as many times as the loss
// budget allows. Arriving makes the line pending on the target CPU, where
// it coalesces again with an interrupt not yet taken.
import type { EnvEvent } from "./events.ts";

interface Doorbell {
  readonly line: string;
  readonly cpu: number;
  inFlight: boolean;
  rung: number;
  coalesced: number;
  lost: number;
}

export class Doorbells {
  readonly name = "doorbell";
  private readonly bells = new Map<string, Doorbell>();

  constructor(
    /** How many rings may still be lost in this run. */
    public lossBudget: number,
    private readonly deliver: (cpu: number, line: string) => void,
  ) {}

  /** Routes the doorbell `line` to `cpu` of the receiving host. */
  route(line: string, cpu: number): void {
    if (this.bells.has(line)) throw new Error(`doorbell '${line}' routed twice`);
    this.bells.set(line, { line, cpu, inFlight: false, rung: 0, coalesced: 0, lost: 0 });
  }

  ring(line: string): "sent" | "coalesced" {
    const b = this.bell(line);
    b.rung++;
    if (b.inFlight) {
      b.coalesced++;
      return "coalesced";
    }
    b.inFlight = true;
    return "sent";
  }

  /** Rings of `line` lost so far. */
  lost(line: string): number {
    return this.bell(line).lost;
  }

  private bell(line: string): Doorbell {
    const b = this.bells.get(line);
    if (b === undefined) throw new Error(`doorbell '${line}' is not routed`);
    return b;
  }

  enabled(): EnvEvent[] {
    const out: EnvEvent[] = [];
    for (const b of this.bells.values()) {
      if (!b.inFlight) continue;
      out.push({ kind: "env", source: this.name, arg: `arrive:${b.line}` });
      if (this.lossBudget > 0) out.push({ kind: "env", source: this.name, arg: `lose:${b.line}` });
    }
    return out;
  }

  apply(e: EnvEvent): string {
    const [what, line] = String(e.arg).split(":") as [string, string];
    const b = this.bell(line);
    b.inFlight = false;
    if (what === "lose") {
      this.lossBudget--;
      b.lost++;
      return `doorbell ${line} is lost`;
    }
    this.deliver(b.cpu, line);
    return `doorbell ${line} arrives at cpu${b.cpu}`;
  }

  /** The drain lets every ring arrive. */
  drainMove(): EnvEvent | undefined {
    return this.enabled().find((e) => String(e.arg).startsWith("arrive:"));
  }
}
