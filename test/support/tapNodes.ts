// Macvtaps at the default device node, /dev/tap<ifindex>: /dev is this machine's (a simulated SSH host's
// too), and a macvtap in a fresh namespace gets the same ifindex in every file, so the second file's
// node would be refused as another live device's. Files run two at a time (vitest.config.mts): those
// that make such a macvtap take turns, under a lock of the run's own.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { repoRoot } from "./engine";
import { runId } from "./netns";

/** The run's lock file (removed after the run by the integration project's teardown). */
export const tapNodesLock = path.join(repoRoot, ".work", `${runId}-tap-nodes.lock`);

/** Waits for the run's lock on the default tap nodes and holds it; the function returned lets go. */
export async function holdDefaultTapNodes(): Promise<() => Promise<void>> {
  mkdirSync(path.dirname(tapNodesLock), { recursive: true });
  // A flock held by a process of its own until its standard input closes: a test's await cannot hold one.
  const holder = execa("flock", ["-x", tapNodesLock, "sh", "-c", "echo held && exec cat >/dev/null"], { stdin: "pipe", stdout: "pipe", reject: false });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once("data", () => resolve());
    void holder.then((result) => reject(new Error(`could not lock ${tapNodesLock}: ${result.stderr}`)));
  });
  return async () => {
    holder.stdin.end();
    await holder;
  };
}
