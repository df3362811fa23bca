// Runs a plan on a host in one round trip, then reads back; on a failure, takes back what was done with
// an explicit undo stack (newest first) and reports the step that failed.
import { classify, Iproute2Error, missingProgram, sudoRefusal, type ErrorContext, type FailureKind } from "./exec/errors";
import type { Command, CommandResult, Runner } from "./exec/runner";
import { batchCommand } from "./exec/ipBatch";
import { describeStep, groupCommand, groupSteps, isCommandStep, stepsOf, undoSteps, type IpStep, type Step } from "./plan/steps";
import { readBackCommands, type ReadBack } from "./state/readBack";

export interface ApplyOptions {
  context: ErrorContext;
  /** What to read back, in the same round trip after the steps. */
  readBack?: ReadBack;
  /** A hint for a failure, given what failed (e.g. "exists" on `link add` -> mention `adopt`). */
  hint?: (kind: FailureKind, step: IpStep | undefined) => string | undefined;
}

const batchFailure = /^Command failed -:(\d+)$/m;
const batchFailureLines = /^Command failed -:\d+$/m;

/** The command's own words, without iproute2's batch bookkeeping line. */
export function commandMessage(result: CommandResult): string {
  const text = result.stderr.replace(batchFailure, "").trim() || result.stdout.trim();
  return text || `exit code ${result.exitCode}`;
}

/**
 * The errors of a `-force` undo batch that leave something undone. An undo that finds its work done
 * already (an address to delete that is gone, one to add that is there: the kernel drops and keeps
 * things as links go down and up) has reached what it wanted.
 */
function unsettledErrors(result: CommandResult): string[] {
  const messages = result.stderr.split(batchFailureLines).map((m) => m.trim()).filter(Boolean);
  return messages.filter((m) => !["not-found", "exists"].includes(classify(m)));
}

/** Runs `commands` on `runner`; a runner that cannot run them at all becomes an Iproute2Error. */
export async function runOn(runner: Runner, commands: Command[], context: ErrorContext): Promise<CommandResult[]> {
  let results: CommandResult[];
  try {
    results = await runner.run(commands);
  } catch (cause) {
    if (cause instanceof Iproute2Error) throw cause;
    const missing = programNotFound(cause);
    if (missing !== undefined) throw notInstalled(missing, context, cause);
    throw new Iproute2Error("unreachable", context, `could not run commands: ${(cause as Error).message}`, undefined, { cause });
  }
  // The runners' shells run each command: one not on the host's PATH is the shell's (or sudo's) "not found".
  const missing = missingProgram(results.at(-1));
  if (missing !== undefined) throw notInstalled(missing, context);
  return results;
}

function notInstalled(program: string, context: ErrorContext, cause?: unknown): Iproute2Error {
  return new Iproute2Error("failed", context, `the ${program} command was not found`, `Install ${program === "ip" ? "iproute2" : program}`, { cause });
}

/**
 * The program a runner could not start because it is not there: only a spawn's ENOENT (execa keeps
 * it as the cause), never another file's (a lock file that went away is not a missing `ip`).
 */
function programNotFound(cause: unknown): string | undefined {
  for (let error = cause; error instanceof Error; error = error.cause) {
    const { code, syscall } = error as NodeJS.ErrnoException;
    if (code === "ENOENT" && syscall?.startsWith("spawn ")) return syscall.slice("spawn ".length);
  }
  return undefined;
}

/**
 * Runs a delete plan (one step per object). Something already gone, or in a namespace already gone, is
 * what delete wanted: success.
 */
export async function applyDelete(runner: Runner, steps: Step[], context: ErrorContext): Promise<void> {
  let remaining = groupSteps(steps).map((group) => groupCommand(group, ["-force"]));
  while (remaining.length > 0) {
    const results = await runOn(runner, remaining, context);
    for (const result of results) {
      const refusal = sudoRefusal(result);
      if (refusal) throw new Iproute2Error("permission", context, `${steps.map(describeStep).join("; ")} failed: ${refusal.detail}`, refusal.hint);
      const unsettled = result.exitCode === 0 ? [] : unsettledErrors(result);
      if (unsettled.length > 0) {
        throw new Iproute2Error(classify(unsettled[0] ?? ""), context, `${steps.map(describeStep).join("; ")} failed: ${unsettled.join("; ")}`);
      }
    }
    // A runner stops after a command that fails; one that found its work done already is no reason to.
    remaining = remaining.slice(Math.max(results.length, 1));
  }
}

/**
 * Runs `steps` then the read-back; returns the read-back results: its batch's (which, when merged into
 * the plan's last batch, is that batch's), then its extra commands'.
 */
export async function applyPlan(runner: Runner, steps: Step[], options: ApplyOptions): Promise<CommandResult[]> {
  const groups = groupSteps(steps);
  const read = options.readBack;
  const last = groups.at(-1);
  const mergeable = last !== undefined && "steps" in last && read !== undefined && !read.force && read.lines.length > 0 && last.netns === read.netns;
  const commands = groups.map((group) =>
    mergeable && group === last && "steps" in group
      ? batchCommand(group.netns, [...group.steps.map((s) => s.args), ...read.lines], ["-j", "-d"])
      : groupCommand(group),
  );
  if (read) commands.push(...(mergeable ? read.extra : readBackCommands(read)));

  const results = await runOn(runner, commands, options.context);
  const failedAt = results.findIndex((r) => r.exitCode !== 0);
  const readFrom = mergeable ? groups.length - 1 : groups.length;
  if (failedAt === -1 && results.length === commands.length) return read ? results.slice(readFrom) : [];

  const failure = results[failedAt] ?? results.at(-1);
  let done = steps;
  let failedStep: Step | undefined;
  const group = groups[failedAt];
  if (group && failure) {
    // A command step is its group; in a batch, the line that failed. A line past the group's steps is
    // a read-back line of a merged batch: every step was done.
    const line = "command" in group ? 1 : Number(batchFailure.exec(failure.stderr)?.[1] ?? 1);
    failedStep = stepsOf(group)[line - 1];
    done = failedStep ? steps.slice(0, group.first + line - 1) : steps;
  }

  const undo = undoSteps(done);
  const rollbackErrors: string[] = [];
  for (const undoGroup of groupSteps(undo)) {
    // -force: keep undoing after one undo step fails, so as much as possible is taken back; a host
    // lost meanwhile is reported with the failure that started the rollback, not instead of it.
    const result = await runOn(runner, [groupCommand(undoGroup, ["-force"])], options.context).then(
      ([r]) => r,
      (error: unknown) => ({ exitCode: 1, stdout: "", stderr: (error as Error).message, command: groupCommand(undoGroup) }),
    );
    if (result && result.exitCode !== 0) rollbackErrors.push(...unsettledErrors(result));
  }

  const refusal = sudoRefusal(failure);
  const message = refusal?.detail ?? (failure ? commandMessage(failure) : "no result");
  const kind = refusal ? "permission" : failure ? classify(failure.stderr) : "failed";
  const what = failedStep ? `step "${describeStep(failedStep)}" failed: ${message}` : `reading back failed: ${message}`;
  const hint = refusal?.hint ?? options.hint?.(kind, failedStep && !isCommandStep(failedStep) ? failedStep : undefined);
  throw new Iproute2Error(kind, options.context, what + rollbackNote(done.length, undo.length, rollbackErrors), hint);
}

/** The end of a failure's message: what was taken back, or that taking it back failed too. */
function rollbackNote(stepsDone: number, undos: number, rollbackErrors: string[]): string {
  if (undos === 0) return "";
  return rollbackErrors.length === 0
    ? `; rolled back the ${stepsDone} step(s) done before it`
    : `; rolling back failed too (${rollbackErrors.join("; ")}): check the host by hand`;
}
