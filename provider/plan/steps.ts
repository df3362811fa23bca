// A plan is a list of steps; each is one iproute2 command, the namespace it runs in, and how to take it
// back. Planning is pure: these functions build data and never touch a host.
import { batchCommand } from "../exec/ipBatch";
import type { Command } from "../exec/runner";

export interface IpStep {
  /** The namespace the command runs in (`ip -n NETNS`); undefined is the connection's own. */
  netns?: string;
  /** The command after `ip`, e.g. ["link", "set", "dev", "mac1", "up"]. */
  args: string[];
  /**
   * The steps that take this one back, in order, when undoing earlier steps does not already do that.
   * More than one where the kernel drops state as a side effect (a move drops addresses and routes).
   */
  undo?: IpStep[];
}

/** A step that is a command of its own (not an `ip` batch line), e.g. the device node program's. */
export interface CommandStep {
  command: Command;
  /** What it does, for messages: `make the device node /dev/tap7`. */
  describe: string;
  /** The commands that take it back, in order; none when there is nothing to take back. */
  undo?: Command[];
}

/** The command a step documents, as a person would type it. */
export function describeStep(step: IpStep): string {
  return ["ip", ...(step.netns !== undefined ? ["-n", step.netns] : []), ...step.args].join(" ");
}

/** Consecutive steps in the same namespace, which run as one `ip -batch`. */
export interface StepGroup {
  netns?: string;
  /** Index in the plan of the group's first step. */
  first: number;
  steps: IpStep[];
}

export function groupSteps(steps: IpStep[]): StepGroup[] {
  const groups: StepGroup[] = [];
  steps.forEach((step, index) => {
    const last = groups.at(-1);
    if (last && last.netns === step.netns) last.steps.push(step);
    else groups.push({ netns: step.netns, first: index, steps: [step] });
  });
  return groups;
}

export function groupCommand(group: StepGroup, options: string[] = []): Command {
  return batchCommand(
    group.netns,
    group.steps.map((s) => s.args),
    options,
  );
}

/** The steps that take back `done` (the steps that succeeded), newest first. */
export function undoSteps(done: IpStep[]): IpStep[] {
  return [...done].reverse().flatMap((step) => step.undo ?? []);
}
