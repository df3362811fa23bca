import type { VethPairDesired, VethPairState } from "../model";
import { connectionRule, diffProperties, type PropertyDiff } from "./diff";
import { addressChanges, addressStep, attributeChange, upChange, upStep } from "./linkSteps";
import { netnsTarget } from "./macvlanLink";
import type { IpStep } from "./steps";

/**
 * Equivalent to:
 *   ip [-n NETNS] link add name NAME [mtu N] type veth peer name PEER [netns PEERNS] [mtu N]
 *   ip addr add ... / ip link set ... up, on each end in its namespace
 * Deleting either end deletes both, so undoing the first step removes everything.
 */
export function planVethCreate(d: VethPairDesired): IpStep[] {
  const mtu = d.mtu !== undefined ? ["mtu", String(d.mtu)] : [];
  return [
    {
      netns: d.netns,
      args: [
        // "name" always: a bare NAME such as "up" or "mtu" would be read as a keyword.
        "link", "add", "name", d.name, ...mtu, "type", "veth", "peer", "name", d.peerName,
        ...(d.peerNetns !== d.netns ? ["netns", netnsTarget(d.peerNetns)] : []), ...mtu,
      ],
      undo: [{ netns: d.netns, args: ["link", "del", "dev", d.name] }],
    },
    ...d.addresses.map((a) => addressStep(d.netns, d.name, "add", a)),
    ...d.peerAddresses.map((a) => addressStep(d.peerNetns, d.peerName, "add", a)),
    ...(d.up ? [upStep(d.netns, d.name, true), upStep(d.peerNetns, d.peerName, true)] : []),
  ];
}

/** Addresses, MTU (both ends) and up state change in place. */
export function planVethUpdate(cur: VethPairState, d: VethPairDesired): IpStep[] {
  const ends = addressChanges(d.netns, d.name, cur.addresses, d.addresses);
  const peers = addressChanges(d.peerNetns, d.peerName, cur.peerAddresses, d.peerAddresses);
  return [
    ...ends.removals,
    ...peers.removals,
    ...attributeChange(d.netns, d.name, "mtu", cur.mtu, d.mtu),
    ...attributeChange(d.peerNetns, d.peerName, "mtu", cur.mtu, d.mtu),
    ...ends.additions,
    ...peers.additions,
    ...upChange(d.netns, d.name, cur.up, d.up),
    ...upChange(d.peerNetns, d.peerName, cur.up, d.up),
  ];
}

export function planVethDelete(cur: Pick<VethPairState, "netns" | "name">): IpStep[] {
  return [{ netns: cur.netns, args: ["link", "del", "dev", cur.name] }];
}

export function diffVeth(olds: Record<string, unknown>, news: Record<string, unknown>): PropertyDiff {
  return diffProperties(
    {
      name: { replace: true },
      peerName: { replace: true },
      netns: { replace: true },
      peerNetns: { replace: true },
      addresses: { set: true },
      peerAddresses: { set: true },
      mtu: { kernelChosenWhenUnset: true },
      up: {},
      connection: connectionRule,
    },
    olds,
    news,
  );
}
