#!/usr/bin/env node
// krh: the command line of the installed package. The sources are
// TypeScript, run through tsx's loader.
import { register } from "tsx/esm/api";

register();
const { main, setProgramName } = await import("../src/cli.ts");
setProgramName("krh");
process.exitCode = await main(process.argv.slice(2));
