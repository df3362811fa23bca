// A stack for an end-to-end test: in a project folder of this repository, named for this run (so runs
// and tests never share one), run with the engine the global setup installed.
import path from "node:path";
import { inject } from "vitest";
import { CliStack } from "./cliStack";
import { repoRoot } from "./engine";

export function testStack(project: string, label: string, config: Record<string, string> = {}): Promise<CliStack> {
  return CliStack.init(path.join(repoRoot, project), `${inject("runId")}-${label}`, inject("engineEnv"), config);
}
