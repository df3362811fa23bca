// Once per run, for the end-to-end tests: the Pulumi CLI with its plugins (built on first use, then
// cached per user) and `npm install` in every project folder the tests run (as each README says).
// Also sweeps namespaces this run made. The project folders are claimed for the run (claimProjects).
import path from "node:path";
import type { TestProject } from "vitest/node";
import { claimProjects, ensureEngine, installProject, repoRoot } from "./engine";
import { removeRunNamespaces, runId } from "./netns";

declare module "vitest" {
  export interface ProvidedContext {
    engineEnv: Record<string, string>;
    runId: string;
  }
}

/** The Pulumi projects the end-to-end tests run with the plain CLI. */
export const projects = ["examples/lab", "examples/vm-macvtap", "examples/host-shim", "examples/fleet", "examples/automation", "test/projects/many", "test/projects/scanned", "test/projects/reboot", "test/projects/overlay", "test/projects/dhcp"];

export default async function setup(project: TestProject) {
  const release = claimProjects();
  const { env } = await ensureEngine();
  for (const dir of projects) await installProject(path.join(repoRoot, dir));
  project.provide("engineEnv", { ...process.env, ...env } as Record<string, string>);
  project.provide("runId", runId);
  return async () => {
    await removeRunNamespaces(runId);
    release();
  };
}
