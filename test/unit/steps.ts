// Writing expected plan steps the way iproute2 is typed: step("ns1", "addr add 10.0.0.1/24 dev mac0").
import type { IpStep } from "../../provider/plan/steps";

/** A step in `netns` (undefined: the connection's own), its args split on spaces, with its undo steps. */
export function step(netns: string | undefined, command: string, undo?: IpStep | IpStep[]): IpStep {
  return { ...(netns !== undefined && { netns }), args: command.split(" "), ...(undo && { undo: [undo].flat() }) };
}

/** The same step, with the step that takes it back. */
export function undone(netns: string | undefined, command: string, undoNetns: string | undefined, undoCommand: string): IpStep {
  return step(netns, command, step(undoNetns, undoCommand));
}

/** Steps as data that compares exactly: no `undefined` keys, so toStrictEqual sees every difference. */
export function normalized(steps: IpStep[]): IpStep[] {
  return steps.map((s) => ({
    ...(s.netns !== undefined && { netns: s.netns }),
    args: s.args,
    ...(s.undo && { undo: normalized(s.undo) }),
  }));
}
