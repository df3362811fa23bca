import type { NetNamespaceDesired } from "../model";
import { connectionRule, diffProperties, type PropertyDiff } from "./diff";
import { upChange, upStep } from "./linkSteps";
import type { IpStep } from "./steps";

/** Equivalent to: `ip netns add NAME`, then `ip -n NAME link set dev lo up`. */
export function planNetNamespaceCreate(d: NetNamespaceDesired): IpStep[] {
  return [
    { args: ["netns", "add", d.name], undo: [{ args: ["netns", "del", d.name] }] },
    ...(d.loopbackUp ? [upStep(d.name, "lo", true)] : []),
  ];
}

/** Equivalent to: `ip -n NAME link set dev lo up|down`. */
export function planNetNamespaceUpdate(current: NetNamespaceDesired, d: NetNamespaceDesired): IpStep[] {
  return upChange(d.name, "lo", current.loopbackUp, d.loopbackUp);
}

/** Equivalent to: `ip netns del NAME`; a namespace already gone is success. */
export function planNetNamespaceDelete(current: Pick<NetNamespaceDesired, "name">): IpStep[] {
  return [{ args: ["netns", "del", current.name] }];
}

export function diffNetNamespace(olds: Record<string, unknown>, news: Record<string, unknown>): PropertyDiff {
  return diffProperties({ name: { replace: true }, loopbackUp: {}, adopt: {}, persist: {}, connection: connectionRule }, olds, news);
}
