// Runs a plan on a host in one round trip, then reads back; on a failure, takes back what was done with
// an explicit undo stack (newest first) and reports the step that failed.
import { classify, Iproute2Error, type ErrorContext, type FailureKind } from "./exec/errors";
import type { Command, CommandResult, Runner } from "./exec/runner";
import { describeStep, groupCommand, groupSteps, undoSteps, type IpStep } from "./plan/steps";

export interface ApplyOptions {
  context: ErrorContext;
  /** Commands that read the result back, run in the same round trip after the steps. */
  readBack?: Command[];
  /** A hint for a failure, given what failed (e.g. "exists" on `link add` -> mention `adopt`). */
  hint?: (kind: FailureKind, step: IpStep | undefined) => string | undefined;
}

const batchFailure = /^Command failed -:(\d+)$/m;

/** The command's own words, without iproute2's batch bookkeeping line. */
export function commandMessage(result: CommandResult): string {
  const text = result.stderr.replace(batchFailure, "").trim() || result.stdout.trim();
  return text || `exit code ${result.exitCode}`;
}

/** Runs `commands` on `runner`; a runner that cannot run them at all becomes an Iproute2Error. */
export async function runOn(runner: Runner, commands: Command[], context: ErrorContext): Promise<CommandResult[]> {
  try {
    return await runner.run(commands);
  } catch (cause) {
    if (cause instanceof Iproute2Error) throw cause;
    const missing = (cause as { code?: unknown }).code === "ENOENT";
    throw new Iproute2Error(
      missing ? "failed" : "unreachable",
      context,
      missing ? "the ip command was not found" : `could not run commands: ${(cause as Error).message}`,
      missing ? "Install iproute2" : undefined,
      { cause },
    );
  }
}

/** Runs `steps` then `readBack`; returns the read-back results. */
export async function applyPlan(runner: Runner, steps: IpStep[], options: ApplyOptions): Promise<CommandResult[]> {
  const groups = groupSteps(steps);
  const readBack = options.readBack ?? [];
  const results = await runOn(runner, [...groups.map((g) => groupCommand(g)), ...readBack], options.context);
  const failedAt = results.findIndex((r) => r.exitCode !== 0);
  if (failedAt === -1 && results.length === groups.length + readBack.length) return results.slice(groups.length);

  const failure = results[failedAt] ?? results.at(-1);
  let done = steps;
  let failedStep: IpStep | undefined;
  const group = groups[failedAt];
  if (group && failure) {
    const line = Number(batchFailure.exec(failure.stderr)?.[1] ?? 1);
    failedStep = group.steps[line - 1];
    done = steps.slice(0, group.first + line - 1);
  }

  const undo = undoSteps(done);
  const rollbackErrors: string[] = [];
  for (const undoGroup of groupSteps(undo)) {
    // -force: keep undoing after one undo step fails, so as much as possible is taken back.
    const [result] = await runOn(runner, [groupCommand(undoGroup, ["-force"])], options.context);
    if (result && result.exitCode !== 0) rollbackErrors.push(commandMessage(result));
  }

  const message = failure ? commandMessage(failure) : "no result";
  const kind = failure ? classify(failure.stderr) : "failed";
  const what = failedStep ? `step "${describeStep(failedStep)}" failed: ${message}` : `reading back failed: ${message}`;
  const rolledBack =
    undo.length === 0
      ? ""
      : rollbackErrors.length === 0
        ? `; rolled back the ${done.length} step(s) done before it`
        : `; rolling back failed too (${rollbackErrors.join("; ")}): check the host by hand`;
  throw new Iproute2Error(kind, options.context, what + rolledBack, options.hint?.(kind, failedStep));
}
