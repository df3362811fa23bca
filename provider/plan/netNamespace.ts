import type { NetNamespaceDesired } from "../model";
import { diffProperties, hostObjectPropertyRules, type PropertyDiff } from "./diff";
import { markChange, markSteps, upChange, upStep } from "./linkSteps";
import type { IpStep } from "./steps";

/** Equivalent to: `ip netns add NAME`, then `ip -n NAME link set dev lo alias MARK` (its owner's mark) and `ip -n NAME link set dev lo up`. */
export function planNetNamespaceCreate(d: NetNamespaceDesired): IpStep[] {
  return [
    { args: ["netns", "add", d.name], undo: [{ args: ["netns", "del", d.name] }] },
    ...markSteps(d.name, "lo", d.owner),
    ...(d.loopbackUp ? [upStep(d.name, "lo", true)] : []),
  ];
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
