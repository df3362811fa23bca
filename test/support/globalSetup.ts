// Once per run, for the end-to-end tests: the Pulumi CLI with its plugins (built on first use, then
// cached per user), `npm install` in every project folder the tests run (as each README says), and an
// app folder with the packed package for what is specific to the Automation API. Also sweeps
// namespaces this run made.
// A run of `vitest --project e2e` while another is running would reinstall the projects under it: don't.
import path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureEngine, installProject, repoRoot } from "./engine";
import { removeRunNamespaces, runId } from "./netns";

declare module "vitest" {
  export interface ProvidedContext {
    binDir: string;
    engineEnv: Record<string, string>;
    runId: string;
  }
}

/** The Pulumi projects the end-to-end tests run with the plain CLI. */
export const projects = ["examples/lab", "examples/vm-macvtap", "examples/host-shim", "examples/fleet", "examples/automation", "test/projects/many"];

export default async function setup(project: TestProject) {
  const { binDir, env } = await ensureEngine();
  for (const dir of projects) await installProject(path.join(repoRoot, dir));
  project.provide("binDir", binDir);
  project.provide("engineEnv", { ...process.env, ...env } as Record<string, string>);
  project.provide("runId", runId);
  return async () => {
    await removeRunNamespaces(runId);
  };
}
