import type { NetNamespaceDesired } from "../model";
import { diffProperties, hostObjectPropertyRules, type PropertyDiff } from "./diff";
import { markChange, markSteps, upChange, upStep } from "./linkSteps";
import { ownerMark } from "../ownerMark";
import type { CommandStep, IpStep, Step } from "./steps";

/** Equivalent to: `ip netns add NAME`, then `ip -n NAME link set dev lo alias MARK` (its owner's mark) and `ip -n NAME link set dev lo up`. */
export function planNetNamespaceCreate(d: NetNamespaceDesired): IpStep[] {
  return [
    { args: ["netns", "add", d.name], undo: [{ args: ["netns", "del", d.name] }] },
    ...markSteps(d.name, "lo", d.owner),
    ...(d.loopbackUp ? [upStep(d.name, "lo", true)] : []),
  ];
}

// Made nameless, its lo marked, then named: `ip netns add` names a namespace the moment it makes it,
// and the kernel makes its lo, so its mark could only come after (a kill between left an unmarked
// namespace the next create refused). The inner `$$` is ip's own process after its `exec`, in the new
// namespace. An `sh` program, so that with sudo, sudoers still needs only ip, bridge and sh.
const makeMarked = `exec unshare --net -- sh -c 'ip link set dev lo alias "$1" && exec ip netns attach "$2" "$$"' sh "$1" "$2"`;

/**
 * The create a `pulumi up` runs. With an owner: `unshare --net` makes a namespace of no name, whose lo
 * is marked before `ip netns attach NAME PID` names it, so a kill leaves no namespace or a marked one;
 * then lo up. A boot replays planNetNamespaceCreate, which says the same with `ip netns add`.
 */
export function planNetNamespaceMake(d: NetNamespaceDesired): Step[] {
  if (d.owner === undefined) return planNetNamespaceCreate(d);
  const make: CommandStep = {
    command: { argv: ["sh", "-c", makeMarked, "sh", ownerMark(d.owner), d.name] },
    describe: `make the namespace "${d.name}" (ip netns attach, its lo marked first)`,
    undo: [{ args: ["netns", "del", d.name] }],
  };
  return [make, ...(d.loopbackUp ? [upStep(d.name, "lo", true)] : [])];
}

/** Equivalent to: `ip -n NAME link set dev lo up|down`, and `... alias MARK` for a new owner. */
export function planNetNamespaceUpdate(current: NetNamespaceDesired, d: NetNamespaceDesired): IpStep[] {
  return [...markChange(d.name, "lo", current.owner, d.owner), ...upChange(d.name, "lo", current.loopbackUp, d.loopbackUp)];
}

/** Equivalent to: `ip netns del NAME`; a namespace already gone is success. */
export function planNetNamespaceDelete(current: Pick<NetNamespaceDesired, "name">): IpStep[] {
  return [{ args: ["netns", "del", current.name] }];
}

export function diffNetNamespace(olds: Record<string, unknown>, news: Record<string, unknown>): PropertyDiff {
  return diffProperties({ name: { replace: true }, loopbackUp: {}, ...hostObjectPropertyRules }, olds, news);
}
