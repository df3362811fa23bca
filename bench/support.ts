// What the benchmarks share: timing, medians, one stack's up/refresh/destroy of an inline program
// through the Automation API, and `pulumi up --yes` of a project with the plain CLI.
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type * as automation from "@pulumi/pulumi/automation";
import { CliStack } from "../test/support/cliStack";
import { openStack, type App } from "../test/support/engine";

export const seconds = (ms: number) => (ms / 1000).toFixed(2);
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function timed<T>(work: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export interface Timings {
  up: number;
  refresh: number;
  destroy: number;
  /** Host commands an unchanged-stack preview ran, and (the counter's control) a refreshing preview. */
  previewHostCommands?: { plain: number; refreshing: number };
}

export interface RunOptions {
  /**
   * Count the host commands an unchanged-stack preview runs: a folder whose `ip` logs each call to
   * `log`, put first on the provider's PATH for the preview only (so it costs the timed runs nothing).
   */
  countIp?: { dir: string; log: string };
  /** Time `up` only; the stack is then removed without a destroy (the caller removes what it made). */
  upOnly?: boolean;
}

export async function runStack(app: App, binDir: string, name: string, program: automation.PulumiFn, env: Record<string, string>, options: RunOptions = {}): Promise<Timings> {
  const stack = await openStack(app, binDir, {
    projectName: "iproute2-bench",
    stackName: name,
    program,
    envVars: env,
    workDir: path.join(app.dir, "stacks", name),
  });
  const quiet = { onOutput: () => undefined };
  let destroyed = false;
  try {
    const up = await timed(() => stack.up(quiet));
    if (options.upOnly) return { up, refresh: NaN, destroy: NaN };
    let previewHostCommands: Timings["previewHostCommands"];
    if (options.countIp) {
      const { dir, log } = options.countIp;
      const counted = async (preview: () => Promise<unknown>) => {
        writeFileSync(log, "");
        await preview();
        return readFileSync(log, "utf8").split("\n").filter(Boolean).length;
      };
      const plainPath = env.PATH ?? "";
      stack.workspace.envVars.PATH = `${dir}:${plainPath}`;
      previewHostCommands = {
        plain: await counted(() => stack.preview(quiet)),
        // A preview that refreshes reads every link: it must count some, or the counter is not in place.
        refreshing: await counted(() => stack.preview({ ...quiet, refresh: true })),
      };
      stack.workspace.envVars.PATH = plainPath;
    }
    const refresh = await timed(() => stack.refresh(quiet));
    const destroy = await timed(() => stack.destroy(quiet));
    destroyed = true;
    return { up, refresh, destroy, previewHostCommands };
  } finally {
    if (!destroyed && !options.upOnly) await stack.destroy(quiet).catch(() => undefined);
    await stack.workspace.removeStack(name, { force: true }).catch(() => undefined);
  }
}

/**
 * `pulumi up --yes` timed the way a user runs it, in a project folder with a new stack and `config`;
 * the stack is destroyed and removed afterwards (untimed).
 */
export async function timeCliUp(projectDir: string, stackName: string, config: Record<string, string>, env: Record<string, string>): Promise<number> {
  const stack = await CliStack.init(projectDir, stackName, { ...process.env, ...env } as Record<string, string>, config);
  try {
    return await timed(() => stack.ok("up", "--yes"));
  } finally {
    await stack.dispose();
  }
}

/**
 * A copy of a TypeScript Pulumi project whose program is compiled ahead of time: `main: bin/index.js`
 * in its Pulumi.yaml, compiled with the project's own tsc; node_modules is the original's.
 */
export async function precompiledCopy(projectDir: string, copyDir: string): Promise<string> {
  rmSync(copyDir, { recursive: true, force: true });
  mkdirSync(copyDir, { recursive: true });
  for (const file of ["package.json", "tsconfig.json", "index.ts"]) copyFileSync(path.join(projectDir, file), path.join(copyDir, file));
  writeFileSync(path.join(copyDir, "Pulumi.yaml"), `${readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8").trimEnd()}\nmain: bin/index.js\n`);
  symlinkSync(path.join(projectDir, "node_modules"), path.join(copyDir, "node_modules"));
  await execa(path.join(projectDir, "node_modules", ".bin", "tsc"), ["-p", copyDir]);
  return copyDir;
}
