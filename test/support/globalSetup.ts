// Once per run, for the end-to-end tests: the Pulumi CLI with its plugins (built on first use, then
// cached per user) and `npm install` in every project folder the tests run (as each README says;
// only the first builds the package), and the test guests (built on first use, then cached per user).
// Also sweeps namespaces this run made. The project folders are claimed for the run (claimProjects).
import path from "node:path";
import type { TestProject } from "vitest/node";
import { claimProjects, ensureEngine, installProject, repoRoot } from "./engine";
import { removeRunNamespaces, runId } from "./netns";
import { buildGuest } from "./vm/qemu";
import { buildSystemdGuest } from "./vm/systemdGuest";

declare module "vitest" {
  export interface ProvidedContext {
    engineEnv: Record<string, string>;
    runId: string;
  }
}

/** The Pulumi projects the end-to-end tests run with the plain CLI. */
export const projects = ["examples/lab", "examples/vm-macvtap", "examples/host-shim", "examples/fleet", "examples/automation", "test/projects/many", "test/projects/scanned", "test/projects/reboot", "test/projects/overlay", "test/projects/dhcp"];

/** One setup for the run, whichever end-to-end project asks first (vitest runs each project's setup). */
interface SharedSetup {
  ready: Promise<{ env: Record<string, string>; release: () => void }>;
  users: number;
}
const shared = globalThis as { pi2EndToEndSetup?: SharedSetup };

async function prepare() {
  const release = claimProjects();
  const { env } = await ensureEngine();
  // The first install builds the package (its `prepare`), as in a fresh clone; the others copy that
  // build, two at a time: a build per project was eight more compilations of the same files.
  const [first = "", ...others] = projects.map((dir) => path.join(repoRoot, dir));
  await installProject(first);
  for (let i = 0; i < others.length; i += 2) {
    await Promise.all(others.slice(i, i + 2).map((dir) => installProject(dir, { packageBuilt: true })));
  }
  // Both test guests, one after the other: built at once on a machine with neither cached, their
  // apt-get runs would meet on the dpkg lock.
  await buildGuest();
  await buildSystemdGuest();
  return { env, release };
}

export default async function setup(project: TestProject) {
  const setupOfRun = (shared.pi2EndToEndSetup ??= { ready: prepare(), users: 0 });
  setupOfRun.users += 1;
  const { env, release } = await setupOfRun.ready;
  project.provide("engineEnv", { ...process.env, ...env } as Record<string, string>);
  project.provide("runId", runId);
  return async () => {
    setupOfRun.users -= 1;
    if (setupOfRun.users > 0) return;
    await removeRunNamespaces(runId);
    release();
  };
}
