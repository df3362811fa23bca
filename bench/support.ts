// What the benchmarks share: timing, medians, one stack's up/refresh/destroy of an inline program
// through the Automation API (with the provider's peak RSS and the state's size, measures.ts), `pulumi up
// --yes` of a project with the plain CLI, and the tables' cells.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import type * as automation from "@pulumi/pulumi/automation";
import { CliStack } from "../test/support/cliStack";
import { openStack, type App } from "../test/support/engine";
import { providerPeakRss, stateSize, type StateSize } from "./measures";

export const seconds = (ms: number) => (ms / 1000).toFixed(2);
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function timed<T>(work: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export type Op = "up" | "refresh" | "destroy";
export const ops: Op[] = ["up", "refresh", "destroy"];

/** One stack's up, refresh and destroy. */
export interface StackRun {
  /** Milliseconds per operation (NaN for one not run). */
  ms: Record<Op, number>;
  /** The dynamic-provider plugin's peak RSS during each operation, bytes (measures.ts). */
  peakRss: Record<Op, number>;
  /** The state as the file backend holds it after `up`. */
  state: StateSize;
  /**
   * What failed, per operation (recorded, and the run goes on to destroy): with `countFailures` one
   * line per resource the engine reported as failed; else (or when it named none) the operation's error.
   */
  failures: Record<Op, string[]>;
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
  /** The engine's --parallel for every operation; left out, the CLI's default (4 x GOMAXPROCS). */
  parallel?: number;
  /**
   * Follow the engine's events to list each failed resource. It has the CLI write an event log that this
   * process reads, a cost both sides of a comparison must share.
   */
  countFailures?: boolean;
}

export const benchProject = "iproute2-bench";

export async function runStack(app: App, binDir: string, name: string, program: automation.PulumiFn, env: Record<string, string>, options: RunOptions = {}): Promise<StackRun> {
  const workDir = path.join(app.dir, "stacks", name);
  const stack = await openStack(app, binDir, { projectName: benchProject, stackName: name, program, envVars: env, workDir });
  const run: StackRun = {
    ms: { up: NaN, refresh: NaN, destroy: NaN },
    peakRss: { up: NaN, refresh: NaN, destroy: NaN },
    state: { fileBytes: NaN, resources: NaN, byType: {} },
    failures: { up: [], refresh: [], destroy: [] },
  };
  // The failed resources of the running operation, by name: the engine reports each one twice (its
  // step failed; a diagnostic with the error), the diagnostic's message is the one kept.
  let failedResources = new Map<string, string>();
  const onEvent = (event: automation.EngineEvent) => {
    const failed = event.resOpFailedEvent?.metadata.urn.split("::").at(-1);
    if (failed && !failedResources.has(failed)) failedResources.set(failed, "failed");
    const diagnostic = event.diagnosticEvent;
    if (diagnostic?.severity === "error" && diagnostic.urn) failedResources.set(diagnostic.urn.split("::").at(-1) ?? "", diagnostic.message.trim());
  };
  const quiet = { onOutput: () => undefined, ...(options.parallel ? { parallel: options.parallel } : {}), ...(options.countFailures ? { onEvent } : {}) };
  const operate = async (op: Op, work: () => Promise<unknown>) => {
    failedResources = new Map();
    const start = performance.now();
    try {
      run.peakRss[op] = (await providerPeakRss(work)).peakRss;
    } catch (error) {
      // Each failed resource, when the events named them; else the operation's own error.
      if (failedResources.size === 0) run.failures[op].push(`${op} failed: ${String((error as Error).message).slice(0, 2000)}`);
    }
    run.ms[op] = performance.now() - start;
    run.failures[op].push(...[...failedResources].map(([resource, message]) => `${resource}: ${message}`));
  };
  let destroyed = false;
  try {
    await operate("up", () => stack.up(quiet));
    run.state = stateSize(env.PULUMI_BACKEND_URL ?? "", benchProject, name);
    if (options.upOnly) return run;
    if (options.countIp) {
      const { dir, log } = options.countIp;
      const counted = async (preview: () => Promise<unknown>) => {
        writeFileSync(log, "");
        await preview();
        return readFileSync(log, "utf8").split("\n").filter(Boolean).length;
      };
      const plainPath = env.PATH ?? "";
      stack.workspace.envVars.PATH = `${dir}:${plainPath}`;
      run.previewHostCommands = {
        plain: await counted(() => stack.preview(quiet)),
        // A preview that refreshes reads every link: it must count some, or the counter is not in place.
        refreshing: await counted(() => stack.preview({ ...quiet, refresh: true })),
      };
      stack.workspace.envVars.PATH = plainPath;
    }
    await operate("refresh", () => stack.refresh(quiet));
    await operate("destroy", () => stack.destroy(quiet));
    destroyed = run.failures.destroy.length === 0;
    return run;
  } finally {
    if (!destroyed && !options.upOnly) await stack.destroy(quiet).catch(() => undefined);
    await stack.workspace.removeStack(name, { force: true }).catch(() => undefined);
    removeStackLeftovers(env, benchProject, name);
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * What the file backend keeps of a removed stack: its checkpoint's `.bak`, its backups and history folders
 * (megabytes each at N = 1000, for every run of a benchmark).
 */
function removeStackLeftovers(env: Record<string, string>, project: string, stack: string): void {
  const url = env.PULUMI_BACKEND_URL ?? "";
  if (!url.startsWith("file://")) return;
  const root = path.join(url.slice("file://".length), ".pulumi");
  const stacks = path.join(root, "stacks", project);
  for (const file of existsSync(stacks) ? readdirSync(stacks) : []) {
    if (file.startsWith(`${stack}.json`)) rmSync(path.join(stacks, file), { force: true });
  }
  for (const kept of ["backups", "history"]) rmSync(path.join(root, kept, project, stack), { recursive: true, force: true });
}

/** Failures of a set of runs, one line each (empty when none), for a benchmark to print. */
export function failureLines(label: string, runs: StackRun[]): string[] {
  return runs.flatMap((run) => ops.flatMap((op) => run.failures[op].map((failure) => `${label} ${op}: ${failure}`)));
}

export const failureCount = (runs: StackRun[], op: Op) => Math.max(...runs.map((run) => run.failures[op].length));

/** Bytes as the tables print them: "812 B", "2.1 KB", "9.4 MB". */
export function bytes(value: number): string {
  if (!Number.isFinite(value)) return "-";
  if (value < 1024) return `${value.toFixed(0)} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`;
  return `${(value / 1024 / 1024).toFixed(1)} MB`;
}

/** A state table's row for one resource type: bytes per object, and how they split. */
export function resourceBytesCells(size: StateSize, type: string): string {
  const r = size.byType[type];
  return r ? `${bytes(r.total)} | ${bytes(r.inputs)} | ${bytes(r.outputs)} | ${bytes(r.rest)} | ${bytes(r.provider)}` : "- | - | - | - | -";
}

export const stateHeader = [
  "| N | resource | state file / resource (indented, as stored) | one object (compact JSON) | inputs | outputs | rest (urn, deps, stackTrace...) | of which __provider (in + out) |",
  "|---|----------|--------------------------------------------|---------------------------|--------|---------|---------------------------------|--------------------------------|",
];

export function stateRow(n: number | string, type: string, size: StateSize): string {
  return `| ${n} | ${type} | ${bytes(size.fileBytes / size.resources)} | ${resourceBytesCells(size, type)} |`;
}

/** "machine: ..., load ..." for the top of a benchmark's output: the ratios move with the machine. */
export async function machineLine(binDir: string): Promise<string> {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  const pulumi = (await execa(path.join(binDir, "pulumi"), ["version"])).stdout;
  return `machine: ${cpu}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; pulumi ${pulumi}; node ${process.version}`;
}

/**
 * `pulumi up --yes` timed the way a user runs it, in a project folder with a new stack and `config`,
 * with the provider's peak RSS; the stack is destroyed and removed afterwards (untimed).
 */
export async function timeCliUp(projectDir: string, stackName: string, config: Record<string, string>, env: Record<string, string>): Promise<{ ms: number; peakRss: number }> {
  const stack = await CliStack.init(projectDir, stackName, { ...process.env, ...env } as Record<string, string>, config);
  try {
    const start = performance.now();
    const { peakRss } = await providerPeakRss(() => stack.ok("up", "--yes"));
    return { ms: performance.now() - start, peakRss };
  } finally {
    await stack.dispose();
    const project = /^name:\s*(\S+)/m.exec(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"))?.[1] ?? "";
    removeStackLeftovers(env, project, stackName);
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

/** The lifecycle tables' header: N MacvlanLinks against N Echo resources, per operation. */
export function lifecycleHeader(extra: string[] = []): string[] {
  const columns = ["N", "op", "MacvlanLink (s)", "engine floor: Echo (s)", "ratio to floor", "provider peak RSS: MacvlanLink / Echo", "failures", ...extra];
  return [`| ${columns.join(" | ")} |`, `|${columns.map(() => "---").join("|")}|`];
}

/** One row per operation: medians of `links` and `floor` (same reps), and `extra(op)`'s cells. */
export function lifecycleRows(n: number | string, links: StackRun[], floor: StackRun[], extra: (op: Op) => string[] = () => []): string[] {
  return ops.map((op) => {
    const ours = median(links.map((r) => r.ms[op]));
    const engine = median(floor.map((r) => r.ms[op]));
    const rss = `${bytes(median(links.map((r) => r.peakRss[op])))} / ${bytes(median(floor.map((r) => r.peakRss[op])))}`;
    const failures = `${failureCount(links, op)} / ${failureCount(floor, op)}`;
    return `| ${[n, op, seconds(ours), seconds(engine), `${(ours / engine).toFixed(2)}x`, rss, failures, ...extra(op)].join(" | ")} |`;
  });
}
