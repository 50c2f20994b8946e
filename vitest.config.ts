import { defineConfig } from "vitest/config";

/** KRH_JUNIT=path: a JUnit XML report there too, for CI dashboards. */
export function junit(env: Record<string, string | undefined>) {
  const file = env.KRH_JUNIT;
  return file ? { reporters: ["default", "junit"], outputFile: { junit: file } } : {};
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "properties/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    ...junit(process.env),
  },
});
