// Remote interrupts between hosts (an NTB doorbell, an MSI over a bridge).
// They carry no data. A doorbell rung while the last ring is still on its
// way coalesces with it; a ring in flight arrives when the schedule says
// (delayed as long as it likes), or is lost, as many times as the loss
// budget allows. Arriving makes the line pending on the target CPU, where
// it coalesces again with an interrupt not yet taken. The doorbell is a
// register write (writel()): it arrives only after the stores its CPU made
// before it are visible.
import type { EnvEvent } from "./events.ts";
import { NO_ENV_EVENTS } from "./events.ts";
import type { StoreMark } from "./memory.ts";

interface Doorbell {
  readonly line: string;
  readonly cpu: number;
  inFlight: boolean;
  /** The ringing CPU's stores that must be visible before the ring arrives. */
  after: StoreMark | undefined;
  lost: number;
  /** Its two events, made once (enabled() is asked at every step). */
  readonly arrive: EnvEvent;
  readonly lose: EnvEvent;
}

export class Doorbells {
  readonly name = "doorbell";
  private readonly bells = new Map<string, Doorbell>();
  /** The same doorbells in routing order, walked at every step with no iterator made. */
  private readonly all: Doorbell[] = [];

  constructor(
    /** How many rings may still be lost in this run. */
    public lossBudget: number,
    private readonly deliver: (cpu: number, line: string) => void,
    private readonly visible: (m: StoreMark) => boolean,
  ) {}

  /** Routes the doorbell `line` to `cpu` of the receiving host. */
  route(line: string, cpu: number): void {
    if (this.bells.has(line)) throw new Error(`doorbell '${line}' routed twice`);
    if (line.includes(":")) throw new Error(`doorbell '${line}': a name may not contain ':'`);
    const b: Doorbell = { line, cpu, inFlight: false, after: undefined, lost: 0, arrive: this.event(`arrive:${line}`), lose: this.event(`lose:${line}`) };
    this.bells.set(line, b);
    this.all.push(b);
  }

  ring(line: string, after: StoreMark): "sent" | "coalesced" {
    const b = this.bell(line);
    if (b.inFlight) return "coalesced";
    b.inFlight = true;
    b.after = after;
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

  private event(arg: string): EnvEvent {
    return Object.freeze({ kind: "env", source: this.name, arg });
  }

  enabled(): EnvEvent[] {
    let out = NO_ENV_EVENTS;
    for (const b of this.all) {
      if (!b.inFlight) continue;
      if (out === NO_ENV_EVENTS) out = [];
      if (b.after === undefined || this.visible(b.after)) out.push(b.arrive);
      if (this.lossBudget > 0) out.push(b.lose);
    }
    return out;
  }

  apply(e: EnvEvent): string {
    const arg = String(e.arg);
    const colon = arg.indexOf(":");
    const what = arg.slice(0, colon);
    const b = this.bell(arg.slice(colon + 1));
    const line = b.line;
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
    // The first arrival enabled() lists, without the list: the drain asks at every move.
    for (const b of this.all) if (b.inFlight && (b.after === undefined || this.visible(b.after))) return b.arrive;
    return undefined;
  }
}
