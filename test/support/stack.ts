// End-to-end stacks: inline Automation API programs run by the real Pulumi CLI, with the package and
// @pulumi/pulumi loaded from the app folder's node_modules, as a user's program loads them.
import path from "node:path";
import { execa } from "execa";
import { inject } from "vitest";
import type * as automation from "@pulumi/pulumi/automation";
import type * as iproute2 from "../../provider/index";
import { appAt, engineEnvironment, loadAppModule, openStack, repoRoot } from "../../examples/support/engine";

const projectName = "iproute2-e2e";

export function app() {
  const { dir, require } = appAt(inject("appDir"));
  return {
    dir,
    auto: require("@pulumi/pulumi/automation") as typeof automation,
    pulumi: require("@pulumi/pulumi") as typeof import("@pulumi/pulumi"),
    iproute2: require("pulumi-iproute2") as typeof iproute2,
  };
}

export interface TestStack {
  stack: automation.Stack;
  /** The plain CLI on this stack's project, e.g. cli("refresh", "--yes"). */
  cli(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** The stack's exported deployment (state) as text. */
  exportText(): Promise<string>;
  /** Destroys what is left and removes the stack; safe to call twice. */
  dispose(): Promise<void>;
}

export async function testStack(label: string, program: automation.PulumiFn, config: Record<string, string> = {}): Promise<TestStack> {
  const { dir } = app();
  const stackName = `${inject("runId")}-${label}`;
  const workDir = path.join(dir, "stacks", stackName);
  const binDir = inject("binDir");
  const env = engineEnvironment(binDir);
  const stack = await openStack(appAt(dir), binDir, { projectName, stackName, program, envVars: env, workDir });
  for (const [key, value] of Object.entries(config)) await stack.setConfig(key, { value });
  let disposed = false;
  const cli = async (...args: string[]) => {
    const result = await execa("pulumi", [...args, "--stack", stackName, "--non-interactive"], {
      cwd: workDir,
      env: { ...process.env, ...env },
      reject: false,
    });
    return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
  };
  return {
    stack,
    cli,
    async exportText() {
      return JSON.stringify(await stack.exportStack());
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
      await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
    },
  };
}

/** A compiled example program (dist/examples/NAME/program.js), loaded as the app's own code. */
export function exampleProgram<T>(name: string): T {
  return loadAppModule<T>(appAt(inject("appDir")), path.join(repoRoot, "dist", "examples", name, "program.js"));
}

/** The length of the longest `__provider` text in a state file. */
export function longestProviderText(deployment: string): number {
  const resources = (JSON.parse(deployment) as { deployment?: { resources?: { outputs?: Record<string, unknown> }[] } })
    .deployment?.resources ?? [];
  return Math.max(0, ...resources.map((r) => String(r.outputs?.__provider ?? "").length));
}

