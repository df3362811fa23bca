import type { VethPairDesired, VethPairState } from "../model";
import { announceAgainStep, announces, announceStep, needsAnnouncingAnew } from "./announce";
import { spliced } from "../shape";
import { addressesRule, diffProperties, linkPropertyRules, type PropertyDiff, type PropertyRule } from "./diff";
import { ipv6ReadySteps, runningDad } from "./ipv6Ready";
import { addressChanges, addressStep, attributeChange, markChange, markSteps, upChange, upStep } from "./linkSteps";
import { netnsTarget } from "./macvlanLink";
import type { IpStep, Step } from "./steps";

/**
 * Equivalent to:
 *   ip [-n NETNS] link add name NAME [mtu N] type veth peer name PEER [netns PEERNS] [mtu N]
 *   ip [-n NETNS] link set dev NAME alias MARK; ip [-n PEERNS] link set dev PEER alias MARK
 *   [ip netns exec NETNS sysctl net.ipv4.conf.NAME.arp_notify=1 net.ipv6.conf.NAME.ndisc_notify=1]
 *   ip addr add ... [nodad] / ip link set ... up, on each end in its namespace
 *   [wait until their IPv6 addresses have left tentative]
 * Deleting either end deletes both, so undoing the first step removes everything.
 */
export function planVethCreate(d: VethPairDesired): Step[] {
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
    // Both ends carry the mark: either may be read alone (a refresh, a scan of one namespace).
    ...markSteps(d.netns, d.name, d.owner),
    ...markSteps(d.peerNetns, d.peerName, d.owner),
    // Each end's settings, where it has addresses to announce.
    ...(announces(d) ? [announceStep(d.netns, d.name, true)] : []),
    ...(announces({ announce: d.announce, addresses: d.peerAddresses }) ? [announceStep(d.peerNetns, d.peerName, true)] : []),
    ...d.addresses.map((a) => addressStep(d.netns, d.name, "add", a, d.nodad)),
    ...d.peerAddresses.map((a) => addressStep(d.peerNetns, d.peerName, "add", a, d.nodad)),
    ...(d.up ? [upStep(d.netns, d.name, true), upStep(d.peerNetns, d.peerName, true)] : []),
    ...(d.up && !d.nodad
      ? [...ipv6ReadySteps(d.netns, d.name, d.addresses), ...ipv6ReadySteps(d.peerNetns, d.peerName, d.peerAddresses)]
      : []),
  ];
}

/** Addresses, MTU (both ends), announce, up state and the owner's mark (both ends) change in place. */
export function planVethUpdate(cur: VethPairState, d: VethPairDesired): Step[] {
  const nodad = { current: cur.nodad, desired: d.nodad };
  const ends = addressChanges(d.netns, d.name, cur.addresses, d.addresses, nodad);
  const peers = addressChanges(d.peerNetns, d.peerName, cur.peerAddresses, d.peerAddresses, nodad);
  // An end's settings are written while it has addresses to announce, as at create.
  const announceChange = (netns: string | undefined, name: string, current: string[], desired: string[]): Step[] => {
    const [written, wanted] = [announces({ announce: cur.announce, addresses: current }), announces({ announce: d.announce, addresses: desired })];
    return written !== wanted ? [announceStep(netns, name, wanted, written)] : [];
  };
  // What the kernel announces on its own: addresses present when an end comes up with carrier, and IPv6
  // ones whose DAD ends. Announced anew: an up end's new IPv4 addresses, and IPv6 ones added without
  // DAD; and the first end's, when both come up: it came up while its peer was down, without carrier.
  const announceAgain = (netns: string | undefined, name: string, added: string[]): Step[] =>
    cur.up && d.up && d.announce && needsAnnouncingAnew(added, d.nodad) ? [announceAgainStep(netns, name)] : [];
  const comesUp = !cur.up && d.up;
  const ready = (netns: string | undefined, name: string, all: string[], added: string[]) =>
    d.up ? ipv6ReadySteps(netns, name, runningDad(all, added, comesUp, nodad)) : [];
  return [
    ...ends.removals,
    ...peers.removals,
    ...announceChange(d.netns, d.name, cur.addresses, d.addresses),
    ...announceChange(d.peerNetns, d.peerName, cur.peerAddresses, d.peerAddresses),
    ...attributeChange(d.netns, d.name, "mtu", cur.mtu, d.mtu),
    ...attributeChange(d.peerNetns, d.peerName, "mtu", cur.mtu, d.mtu),
    ...ends.additions,
    ...peers.additions,
    ...announceAgain(d.netns, d.name, ends.added),
    ...announceAgain(d.peerNetns, d.peerName, peers.added),
    ...upChange(d.netns, d.name, cur.up, d.up),
    ...upChange(d.peerNetns, d.peerName, cur.up, d.up),
    ...(comesUp && d.announce && needsAnnouncingAnew(d.addresses, d.nodad) ? [announceAgainStep(d.netns, d.name)] : []),
    ...markChange(d.netns, d.name, cur.owner, d.owner),
    ...markChange(d.peerNetns, d.peerName, cur.owner, d.owner),
    ...ready(d.netns, d.name, d.addresses, ends.added),
    ...ready(d.peerNetns, d.peerName, d.peerAddresses, peers.added),
  ];
}

export function planVethDelete(cur: Pick<VethPairState, "netns" | "name">): IpStep[] {
  return [{ netns: cur.netns, args: ["link", "del", "dev", cur.name] }];
}

/** A pair's own fields, and its name and namespaces, replace it: neither end is renamed or moved. */
const vethPropertyRules: Record<string, PropertyRule> = {
  ...spliced(linkPropertyRules, {
    name: { peerName: { replace: true } },
    netns: { peerNetns: { replace: true } },
    addresses: { peerAddresses: addressesRule, mtu: linkPropertyRules.mtu },
  }),
  name: { replace: true },
  netns: { replace: true },
};

export function diffVeth(olds: Record<string, unknown>, news: Record<string, unknown>): PropertyDiff {
  return diffProperties(vethPropertyRules, olds, news);
}
