import { defineConfig } from "vitest/config";

// Three kinds of tests (docs/testing.md): unit (no root, no host), integration (root, the real kernel)
// and end-to-end (root, the real Pulumi CLI). Only end-to-end tests need the engine and the app folder.
export default defineConfig({
  test: {
    // Integration and end-to-end tests change the kernel's state and run the Pulumi CLI: one file at a
    // time keeps their namespaces and the 2-core machine's load predictable, and each group runs after
    // the one before it (groupOrder). Unit tests touch no host: their files run two at a time, first.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/support/sweepNamespaces.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/support/globalSetup.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
