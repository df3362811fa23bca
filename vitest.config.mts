import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The order files start in. Files of a group run two at a time, so a group ends when its longest chain
 * of files does: starting the slowest first (the real reboot is the longest file by far) keeps one
 * worker from being left with it at the end. Vitest orders by the last run's durations when its cache
 * has them and by file size on a clean clone; these, the slowest of each group in a clean-clone run
 * (docs/testing.md), go first either way.
 */
class SlowestFirst extends BaseSequencer {
  static readonly slowest = ["e2e/rebootGuest", "e2e/scan", "e2e/lab", "e2e/fleet", "e2e/dhcpOverSsh", "integration/announce", "integration/dhcpProgram"];

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = SlowestFirst.slowest.findIndex((name) => file.moduleId.endsWith(`/test/${name}.test.ts`));
      return at < 0 ? SlowestFirst.slowest.length : at;
    };
    const sorted = await super.sort(files);
    return sorted.map((file, index) => ({ file, index })).sort((a, b) => rank(a.file) - rank(b.file) || a.index - b.index).map(({ file }) => file);
  }
}

/**
 * End-to-end files that run last and alone. The reboot simulation runs the real restore program, which
 * replays every part on the machine (another file's object it deleted a moment ago too), and checks
 * that the folder goes with its last part; both it and bootWithoutSystemd make a Macvtap at the default
 * node /dev/tap<ifindex>, which another file's macvtap in a fresh namespace (the same ifindex) may hold.
 */
const endToEndAlone = ["test/e2e/rebootSimulation.test.ts", "test/e2e/bootWithoutSystemd.test.ts"];

// Three kinds of tests (docs/testing.md): unit (no root, no host), integration (root, the real kernel)
// and end-to-end (root, the real Pulumi CLI). Only end-to-end tests need the engine and the app folder.
export default defineConfig({
  test: {
    // Each group runs after the one before it (groupOrder), its files two at a time (the machine's 2
    // cores), as separate processes (vitest's forks pool): each file names what it makes uniquely
    // (namespaces, SSH hosts by its process id, stacks, folders, device nodes) and looks only at its own
    // (docs/testing.md), and operations on one host's boot description take turns under its lock.
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
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
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          exclude: endToEndAlone,
          globalSetup: ["test/support/globalSetup.ts"],
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e-alone",
          include: endToEndAlone,
          globalSetup: ["test/support/globalSetup.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
