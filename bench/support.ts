// What the benchmarks share: timing, medians, and one stack's up/refresh/destroy through the real CLI.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type * as automation from "@pulumi/pulumi/automation";
import { appProjectSettings, type App } from "../examples/support/engine";

export const seconds = (ms: number) => (ms / 1000).toFixed(2);
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function timed<T>(work: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export interface Timings { up: number; refresh: number; destroy: number; previewHostCommands?: number }

export async function runStack(app: App, binDir: string, name: string, program: automation.PulumiFn, env: Record<string, string>, countLog?: string): Promise<Timings> {
  const auto = app.require("@pulumi/pulumi/automation") as typeof automation;
  const workDir = path.join(app.dir, "stacks", name);
  mkdirSync(workDir, { recursive: true });
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: "iproute2-bench", program },
    { workDir, envVars: env, projectSettings: { ...appProjectSettings(app, "iproute2-bench"), main: workDir }, pulumiCommand: await auto.PulumiCommand.get({ root: path.dirname(binDir) }) },
  );
  const quiet = { onOutput: () => undefined };
  try {
    const up = await timed(() => stack.up(quiet));
    let previewHostCommands: number | undefined;
    if (countLog) {
      writeFileSync(countLog, "");
      await stack.preview(quiet);
      previewHostCommands = readFileSync(countLog, "utf8").split("\n").filter(Boolean).length;
    }
    const refresh = await timed(() => stack.refresh(quiet));
    const destroy = await timed(() => stack.destroy(quiet));
    return { up, refresh, destroy, previewHostCommands };
  } finally {
    await stack.destroy(quiet).catch(() => undefined);
    await stack.workspace.removeStack(name, { force: true }).catch(() => undefined);
  }
}
