// The built-in models.
import type { AnyModel } from "../kernel/model.ts";
import channel from "./channel/index.ts";
import mempool from "./mempool/index.ts";
import netbackPool from "./netback-pool/index.ts";
import rcu from "./rcu/index.ts";
import shadowDriver from "./shadow-driver/index.ts";
import spinlock from "./spinlock/index.ts";
import virtioEvtchn from "./virtio-evtchn/index.ts";
import xenBusdma from "./xen-busdma/index.ts";

export const MODELS: readonly AnyModel[] = [mempool, spinlock, rcu, channel, netbackPool, shadowDriver, xenBusdma, virtioEvtchn];

export function findModel(name: string): AnyModel | undefined {
  return MODELS.find((m) => m.name === name);
}

/** This module, for a worker thread that must find a built-in model by name itself (a parallel hunt). */
export const BUILTIN_MODELS_MODULE: string = new URL(import.meta.url).href;
