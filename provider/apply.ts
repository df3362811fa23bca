// Runs a plan on a host in one round trip, then reads back; on a failure, takes back what was done with
// an explicit undo stack (newest first) and reports the step that failed. What a plan does to the boot
// description comes last, with the values the read-back found, in one writer run shared with the host's
// other operations that get there at the same time (a create's part costs the host a few processes, not
// a dozen).
import { classify, Iproute2Error, missingProgram, sudoRefusal, type ErrorContext, type FailureKind } from "./exec/errors";
import type { Command, CommandResult, Runner } from "./exec/runner";
import { batchCommand } from "./exec/ipBatch";
import { partOperationsCommand, type PartOperation } from "./plan/bootFiles";
import { filledPart, type PinnedLink } from "./plan/bootPart";
import { describeStep, groupCommand, groupSteps, isCommandStep, stepsOf, undoSteps, type CommandStep, type IpStep, type Step } from "./plan/steps";
import { readBackCommands, type ReadBack } from "./state/readBack";

export interface ApplyOptions {
  context: ErrorContext;
  /** What to read back, in the same round trip after the steps. */
  readBack?: ReadBack;
  /** A hint for a failure, given what failed (e.g. "exists" on `link add` -> mention `adopt`). */
  hint?: (kind: FailureKind, step: IpStep | undefined) => string | undefined;
  /** The values the kernel gave the links the plan's part pins, from the read-back's results. */
  pinned?: (readBack: CommandResult[]) => PinnedLink[] | undefined;
}

const batchFailure = /^Command failed -:(\d+)$/m;
const batchFailureLines = /^Command failed -:\d+$/m;

/**
 * The line of a batch of `lines` where iproute2 stopped. A line that fails prints "Command failed -:N";
 * one whose arguments do not parse (a master, underlay or namespace that does not exist, a value out
 * of range) ends the process at once, exit 255 with no such line, the lines before it done: its message
 * quotes the argument, sometimes with its keyword (`argument "x" is wrong: Invalid "mtu" value`), and
 * the line is the first after the last reported one that holds every word quoted. Our plans' lines
 * meet this only through a name that does not resolve or a value out of range, named once; a line
 * that failed on a word an earlier line holds too (an argument given twice) would be taken for the
 * earlier one. Undefined when neither says (`ip -n` of a missing namespace fails before it reads a line).
 */
function stoppedAt(result: CommandResult, lines: string[][]): { line: number; aborted: boolean } | undefined {
  const reported = [...result.stderr.matchAll(new RegExp(batchFailureLines.source, "gm"))].map((m) => Number(/\d+$/.exec(m[0])?.[0]));
  const after = reported.at(-1) ?? 0;
  const tail = result.stderr.split(batchFailureLines).at(-1)?.trim() ?? "";
  if (result.exitCode !== 0 && tail !== "") {
    const quoted = [...tail.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? "");
    const at = quoted.length === 0 ? -1 : lines.findIndex((args, i) => i >= after && quoted.every((word) => args.includes(word)));
    if (at !== -1) return { line: at + 1, aborted: true };
  }
  return after > 0 ? { line: after, aborted: false } : undefined;
}

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

/**
 * Runs `commands` on `runner`: their results, whatever their exit codes. An Iproute2Error when the runner
 * could not run them at all, or when the host lacks the program of the last one (settled).
 */
export function runOn(runner: Runner, commands: Command[], context: ErrorContext): Promise<CommandResult[]> {
  return settled(runner.run(commands), context);
}

/** A runner's answer, or an Iproute2Error when it could not run the commands or a program is missing. */
async function settled(running: Promise<CommandResult[]>, context: ErrorContext): Promise<CommandResult[]> {
  let results: CommandResult[];
  try {
    results = await running;
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
  return new Iproute2Error("failed", context, `the ${program} command was not found`, `Install ${program === "ip" || program === "bridge" ? "iproute2" : program}`, { cause });
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

/** The steps a plan ends with that only write or remove parts (plan/bootPart.ts puts them last), and the rest. */
function partsLast(steps: Step[]): { steps: Step[]; parts: (CommandStep & { part: PartOperation })[] } {
  let at = steps.length;
  while (at > 0 && (steps[at - 1] as CommandStep).part !== undefined) at -= 1;
  return { steps: steps.slice(0, at), parts: steps.slice(at) as (CommandStep & { part: PartOperation })[] };
}

/**
 * Part operations of one host that arrive together, each caller's in one writer run: one lock, one
 * check of the folders, the unit at most once. A part's file is in a run at most once, so a caller
 * whose file is in the run already waits for the next one. Each call is answered with its own run's
 * result: a run that could not be made fails its calls only.
 */
async function writeParts(calls: { runner: Runner; operations: PartOperation[] }[]): Promise<Promise<CommandResult[]>[]> {
  const runs: (typeof calls)[] = [];
  let files = new Set<string>();
  for (const call of calls) {
    const run = runs.at(-1);
    if (run && call.operations.every((o) => !files.has(o.file))) run.push(call);
    else {
      runs.push([call]);
      files = new Set();
    }
    for (const o of call.operations) files.add(o.file);
  }
  const answers: Promise<CommandResult[]>[] = [];
  for (const run of runs) {
    const running = writerRun(run);
    await running.catch(() => undefined);
    answers.push(...run.map(() => running));
  }
  return answers;
}

/** One writer run for `calls` (all of one machine); a failure says when others' operations shared it. */
async function writerRun(calls: { runner: Runner; operations: PartOperation[] }[]): Promise<CommandResult[]> {
  const [first] = calls;
  if (!first) return [];
  const operations = calls.flatMap((call) => call.operations);
  const results = await first.runner.run([partOperationsCommand(operations)]);
  const others = calls.length - 1;
  if (others === 0) return results;
  // Its words may name another resource's part: say the run was shared.
  const shared = ` (in one run of the boot writer with ${others} other operation${others > 1 ? "s" : ""} on this host)`;
  return results.map((r) => (r.exitCode === 0 ? r : { ...r, stderr: `${r.stderr.trimEnd()}${shared}\n` }));
}

/**
 * Runs a plan's part steps: with their markers filled from `pinned`, in the host's shared writer run;
 * else (a value not read back) as their own command, which reads the kernel's values itself. The
 * writer does them in turn, so a failure may come after some are done: the caller takes back each.
 */
async function runParts(runner: Runner, parts: (CommandStep & { part: PartOperation })[], pinned: PinnedLink[] | undefined, context: ErrorContext): Promise<CommandResult> {
  const operations = parts.map(({ part }) => (part.op === "write" && pinned ? { ...part, text: filledPart(part, pinned) } : part));
  const marked = operations.some((o) => o.op === "write" && /#(index|mac)\d+#/.test(o.text));
  const results = await settled(marked ? runner.run([partOperationsCommand(operations)]) : runner.gatherings.join(writeParts, "", { runner, operations }), context);
  const [result] = results;
  if (!result) throw new Iproute2Error("failed", context, "writing the boot description returned nothing");
  return result;
}

/**
 * Runs a delete plan (one step per object). Something already gone, or in a namespace already gone, is
 * what delete wanted: success.
 */
export async function applyDelete(runner: Runner, plan: Step[], context: ErrorContext): Promise<void> {
  const { steps, parts } = partsLast(plan);
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
  if (parts.length === 0) return;
  const result = await runParts(runner, parts, undefined, context);
  if (result.exitCode === 0) return;
  const refusal = sudoRefusal(result);
  if (refusal) throw new Iproute2Error("permission", context, `${plan.map(describeStep).join("; ")} failed: ${refusal.detail}`, refusal.hint);
  throw new Iproute2Error(classify(result.stderr), context, `${plan.map(describeStep).join("; ")} failed: ${commandMessage(result)}`);
}

/**
 * Runs `plan` then the read-back; returns the read-back results: its batch's (which, when merged into
 * the plan's last batch, is that batch's), then its extra commands'. The plan's part steps run last,
 * after the read-back (they change nothing it reads), so the read-back can share the last batch.
 */
export async function applyPlan(runner: Runner, plan: Step[], options: ApplyOptions): Promise<CommandResult[]> {
  const { steps, parts } = partsLast(plan);
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

  const results = commands.length > 0 ? await runOn(runner, commands, options.context) : [];
  const failedAt = results.findIndex((r) => r.exitCode !== 0);
  const readFrom = mergeable ? groups.length - 1 : groups.length;
  if (failedAt === -1 && results.length === commands.length) {
    const readBack = read ? results.slice(readFrom) : [];
    if (parts.length === 0) return readBack;
    // A connection lost here is a cut-off operation like one lost in the round trip before: thrown as is.
    const written = await runParts(runner, parts, options.pinned?.(readBack), options.context);
    if (written.exitCode === 0) return readBack;
    // Some may be done: each is taken back (putting back what a part was is harmless where it is so),
    // with the steps before them.
    return undoAndThrow(runner, plan, parts[0], written, options, steps.length);
  }

  const failure = results[failedAt] ?? results.at(-1);
  let done = steps;
  let failedStep: Step | undefined;
  const group = groups[failedAt];
  if (group && failure) {
    // A command step is its group; in a batch, the line that failed. A line past the group's steps is
    // a read-back line of a merged batch: every step was done.
    const line = "command" in group ? 1 : (stoppedAt(failure, group.steps.map((s) => s.args))?.line ?? 1);
    failedStep = stepsOf(group)[line - 1];
    done = failedStep ? steps.slice(0, group.first + line - 1) : steps;
  }
  return undoAndThrow(runner, done, failedStep, failure, options);
}

/** Takes back `done` (newest first), then throws for `failure`: the step that failed, or the read-back. */
async function undoAndThrow(
  runner: Runner,
  done: Step[],
  failedStep: Step | undefined,
  failure: CommandResult | undefined,
  options: ApplyOptions,
  /** How many steps were done before the one that failed (`done` may hold it too: the parts). */
  doneBefore = done.length,
): Promise<never> {
  const undo = undoSteps(done);
  const rollbackErrors: string[] = [];
  const pending = groupSteps(undo);
  for (let undoGroup = pending.shift(); undoGroup; undoGroup = pending.shift()) {
    // -force: keep undoing after one undo step fails, so as much as possible is taken back; a host
    // lost meanwhile is reported with the failure that started the rollback, not instead of it.
    const result = await runOn(runner, [groupCommand(undoGroup, ["-force"])], options.context).then(
      ([r]) => r,
      (error: unknown) => ({ exitCode: 1, stdout: "", stderr: (error as Error).message, command: groupCommand(undoGroup) }),
    );
    if (!result || result.exitCode === 0) continue;
    rollbackErrors.push(...unsettledErrors(result));
    // -force does not outlive a line that does not parse: the lines after it are undone in a batch of their own.
    const stop = "steps" in undoGroup ? stoppedAt(result, undoGroup.steps.map((s) => s.args)) : undefined;
    if ("steps" in undoGroup && stop?.aborted && stop.line < undoGroup.steps.length) {
      pending.unshift({ netns: undoGroup.netns, first: undoGroup.first + stop.line, steps: undoGroup.steps.slice(stop.line) });
    }
  }

  const refusal = sudoRefusal(failure);
  const message = refusal?.detail ?? (failure ? commandMessage(failure) : "no result");
  const kind = refusal ? "permission" : failure ? classify(failure.stderr) : "failed";
  const what = failedStep ? `step "${describeStep(failedStep)}" failed: ${message}` : `reading back failed: ${message}`;
  const hint = refusal?.hint ?? options.hint?.(kind, failedStep && !isCommandStep(failedStep) ? failedStep : undefined);
  throw new Iproute2Error(kind, options.context, what + rollbackNote(doneBefore, undo.length, rollbackErrors), hint);
}

/** The end of a failure's message: what was taken back, or that taking it back failed too. */
function rollbackNote(stepsDone: number, undos: number, rollbackErrors: string[]): string {
  if (undos === 0) return "";
  return rollbackErrors.length === 0
    ? `; rolled back the ${stepsDone} step(s) done before it`
    : `; rolling back failed too (${rollbackErrors.join("; ")}): check the host by hand`;
}
