// Once per run: the Pulumi CLI (built on first use, then cached per user) and a user-style app folder
// with the packed package installed, for the end-to-end tests. Also sweeps namespaces this run made.
// A run of `vitest --project e2e` while another is running would reinstall the app under it: don't.
import path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureEngine, prepareApp, repoRoot } from "../../examples/support/engine";
import { removeRunNamespaces, runId } from "./netns";

declare module "vitest" {
  export interface ProvidedContext {
    binDir: string;
    appDir: string;
    runId: string;
  }
}

export default async function setup(project: TestProject) {
  const binDir = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "app"));
  project.provide("binDir", binDir);
  project.provide("appDir", app.dir);
  project.provide("runId", runId);
  return async () => {
    await removeRunNamespaces(runId);
  };
}
