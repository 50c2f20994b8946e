import * as os from "node:os";
import { defineConfig } from "vitest/config";

/** KRH_JUNIT=path: a JUnit XML report there too, for CI dashboards. */
export function junit(env: Record<string, string | undefined>) {
  const file = env.KRH_JUNIT;
  return file ? { reporters: ["default", "junit"], outputFile: { junit: file } } : {};
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "properties/**/*.test.ts", "examples/**/*.test.ts"],
    // Every core: the test files are CPU-bound hunts, and vitest's default leaves one core idle.
    maxWorkers: os.availableParallelism(),
    // One module graph per worker, not per file: the harness keeps its state per machine, and loading it again for each of some ninety files cost more than a tenth of the run.
    isolate: false,
    // Node's own import, through tsx's loader, as the command line runs the code: Vite's module runner reaches every
    // import through a getter, and the suite took a sixth longer for it. Nothing here mocks modules or tests in source.
    experimental: { viteModuleRunner: false, nodeLoader: false },
    execArgv: ["--import", "tsx"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    ...junit(process.env),
  },
});
