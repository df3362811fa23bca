import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    // Integration and end-to-end tests change the kernel's state and run the Pulumi CLI: one file at a
    // time keeps their namespaces and the 2-core machine's load predictable.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
