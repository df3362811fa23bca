// A plan is a list of steps; each is one iproute2 command, the namespace it runs in, and how to take it
// back (or, where ip cannot do it, a command of its own with its undo). Planning is pure: these
// functions build data and never touch a host.
import { batchCommand } from "../exec/ipBatch";
import type { Command } from "../exec/runner";
import type { PartOperation } from "./bootFiles";

export interface IpStep {
  /** The namespace the command runs in (`ip -n NETNS`); undefined is the connection's own. */
  netns?: string;
  /** The command after `ip`, e.g. ["link", "set", "dev", "mac1", "up"]. */
  args: string[];
  /**
   * The steps that take this one back, in order, when undoing earlier steps does not already do that.
   * More than one where the kernel drops state as a side effect (a move drops addresses and routes).
   */
  undo?: Step[];
}

/** A step that is a command of its own (not an `ip` batch line), e.g. the device node program's. */
export interface CommandStep {
  command: Command;
  /** What it does, for messages: `make the device node /dev/tap7`. */
  describe: string;
  /** The steps that take it back, in order; none when there is nothing to take back. */
  undo?: Step[];
  /**
   * Its line in a boot description (plan/bootPart.ts), when a create's step is replayed at boot:
   * `announce NETNS DEV`. Without one the step is not replayed (a wait for duplicate address detection).
   */
  replay?: string[];
  /**
   * What it does to the host's boot description, when that is all it does: then it runs after the
   * plan's ip steps in one writer run with the host's other operations that finish together (apply.ts).
   */
  part?: PartOperation;
}

/** One step of a plan: a line of an `ip -batch`, or a command of its own. */
export type Step = IpStep | CommandStep;

export const isCommandStep = (step: Step): step is CommandStep => "command" in step;

/** The command a step documents, as a person would type it (or, for a command step, what it does). */
export function describeStep(step: Step): string {
  if (isCommandStep(step)) return step.describe;
  return ["ip", ...(step.netns !== undefined ? ["-n", step.netns] : []), ...step.args.map((arg) => (arg === "" ? '""' : arg))].join(" ");
}

/** Consecutive ip steps in the same namespace, which run as one `ip -batch`; or one command step. */
export type StepGroup = { first: number } & ({ netns?: string; steps: IpStep[] } | { command: CommandStep });

export function groupSteps(steps: Step[]): StepGroup[] {
  const groups: StepGroup[] = [];
  steps.forEach((step, index) => {
    const last = groups.at(-1);
    if (isCommandStep(step)) groups.push({ first: index, command: step });
    else if (last && "steps" in last && last.netns === step.netns) last.steps.push(step);
    else groups.push({ netns: step.netns, first: index, steps: [step] });
  });
  return groups;
}

/** The group's one process: its `ip -batch` (with `options`), or its command. */
export function groupCommand(group: StepGroup, options: string[] = []): Command {
  if ("command" in group) return group.command.command;
  return batchCommand(
    group.netns,
    group.steps.map((s) => s.args),
    options,
  );
}

/** The steps of a group, in order. */
export const stepsOf = (group: StepGroup): Step[] => ("command" in group ? [group.command] : group.steps);

/** The steps that take back `done` (the steps that succeeded), newest first. */
export function undoSteps(done: Step[]): Step[] {
  return [...done].reverse().flatMap((step): Step[] => step.undo ?? []);
}
