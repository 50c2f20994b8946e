// The entry of a hunt worker thread: teach the thread TypeScript (tsx), then
// load the worker itself.
import { register } from "tsx/esm/api";

register();
await import("./hunt-worker.ts");
