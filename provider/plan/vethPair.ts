// Plans for a veth pair: every link's create and delete (plan/link.ts) on its two ends, its update from
// the same per-end pieces, and the diff (its names and namespaces replace it).
import type { VethPairDesired, VethPairState } from "../model";
import { spliced } from "../shape";
import { announceAgainStep, announces, needsAnnouncingAnew } from "./announce";
import { defaultDhcpOptions, dhcpCreateSteps, dhcpDeleteSteps, dhcpUpdateSteps, type DhcpEnd, type DhcpOptions } from "./dhcp";
import { addressesRule, diffProperties, linkPropertyRules, portPropertyRules, type PropertyDiff, type PropertyRule } from "./diff";
import { announcedAnew, announceSettingChange, dadWait, netnsTarget, planLinkCreate, planLinkDelete, type LinkEnd } from "./link";
import { addressChanges, attributeChange, markChange, masterChange, upChange } from "./linkSteps";
import type { IpStep, Step } from "./steps";

/** A pair's two ends, as every link's plan takes them (a pair manages no routes), each with its bridge. */
const endsOf = (d: VethPairDesired): LinkEnd[] => [
  { netns: d.netns, name: d.name, addresses: d.addresses, routes: [], master: d.master },
  { netns: d.peerNetns, name: d.peerName, addresses: d.peerAddresses, routes: [], master: d.peerMaster },
];

/**
 * Equivalent to:
 *   ip [-n NETNS] link add name NAME [mtu N] type veth peer name PEER [netns PEERNS] [mtu N]
 * then what every link's create does (plan/link.ts planLinkCreate), on each end in its namespace: both
 * ends carry the mark (either may be read alone: a refresh, a scan of one namespace), each end joins
 * its bridge in a step of its own (a `master` inside `peer ...` is ignored by the kernel), and each
 * end's announce settings are written where it has addresses to announce.
 * Deleting either end deletes both, so undoing the first step removes everything. An end with `dhcp`
 * has its client checked for first and started last (plan/dhcp.ts).
 */
export function planVethCreate(d: VethPairDesired, dhcpOptions: DhcpOptions = defaultDhcpOptions): Step[] {
  const mtu = d.mtu !== undefined ? ["mtu", String(d.mtu)] : [];
  const add: IpStep = {
    netns: d.netns,
    args: [
      // "name" always: a bare NAME such as "up" or "mtu" would be read as a keyword.
      "link", "add", "name", d.name, ...mtu, "type", "veth", "peer", "name", d.peerName,
      ...(d.peerNetns !== d.netns ? ["netns", netnsTarget(d.peerNetns)] : []), ...mtu,
    ],
    undo: [{ netns: d.netns, args: ["link", "del", "dev", d.name] }],
  };
  const dhcp = dhcpCreateSteps(clientEnds(d), dhcpOptions);
  return [...dhcp.first, ...planLinkCreate(d, add, endsOf(d)), ...dhcp.last];
}

/**
 * Where a veth add's peer's own words start (right after `type veth peer`, found as those three words: a
 * name may be any one of them), or -1 when `args` add no veth.
 */
export function vethPeerArgsAt(args: string[]): number {
  const at = args.findIndex((w, i) => w === "type" && args[i + 1] === "veth" && args[i + 2] === "peer");
  return at === -1 ? -1 : at + 3;
}

/** Each end as a DHCP client's link: the first end, then the peer. */
const clientEnds = (x: Pick<VethPairDesired, "netns" | "name" | "dhcp" | "peerNetns" | "peerName" | "peerDhcp">): [DhcpEnd, DhcpEnd] => [
  { netns: x.netns, name: x.name, dhcp: x.dhcp },
  { netns: x.peerNetns, name: x.peerName, dhcp: x.peerDhcp },
];

/** Each end of a state as a client: running (`dhcp`), or with a lease left by a dead one (`leased`). */
type ClientsOfState = Pick<VethPairState, "netns" | "name" | "dhcp" | "peerNetns" | "peerName" | "peerDhcp" | "dhcpLease" | "peerDhcpLease">;
const stateClients = (cur: ClientsOfState): [DhcpEnd & { leased: boolean }, DhcpEnd & { leased: boolean }] => {
  const [first, peer] = clientEnds(cur);
  return [
    { ...first, leased: cur.dhcpLease !== undefined },
    { ...peer, leased: cur.peerDhcpLease !== undefined },
  ];
};

/**
 * Addresses, MTU (both ends), each end's bridge, announce, up state and the owner's mark (both ends)
 * change in place, each phase on both ends before the next; neither end is moved or renamed (those
 * replace the pair).
 */
export function planVethUpdate(cur: VethPairState, d: VethPairDesired, dhcpOptions: DhcpOptions = defaultDhcpOptions): Step[] {
  const nodad = { current: cur.nodad, desired: d.nodad };
  const ends = addressChanges(d.netns, d.name, cur.addresses, d.addresses, nodad);
  const peers = addressChanges(d.peerNetns, d.peerName, cur.peerAddresses, d.peerAddresses, nodad);
  // An end's settings are written while it has addresses to announce, as at create.
  const announceChange = (netns: string | undefined, name: string, current: string[], desired: string[]): Step[] =>
    announceSettingChange(netns, name, announces({ announce: cur.announce, addresses: current }), announces({ announce: d.announce, addresses: desired }));
  // What the kernel announces on its own: addresses present when an end comes up with carrier, and IPv6
  // ones whose DAD ends. Announced anew: an up end's new IPv4 addresses, and IPv6 ones added without
  // DAD; and the first end's, when both come up: it came up while its peer was down, without carrier.
  const comesUp = !cur.up && d.up;
  // Neither end moves nor is renamed (those replace the pair): a client only comes, goes or restarts.
  const [curFirst, curPeer] = stateClients(cur);
  const [first, peer] = clientEnds(d);
  const dhcp = dhcpUpdateSteps([
    { current: curFirst, desired: first },
    { current: curPeer, desired: peer },
  ], dhcpOptions);
  return [
    ...dhcp.first,
    ...ends.removals,
    ...peers.removals,
    ...announceChange(d.netns, d.name, cur.addresses, d.addresses),
    ...announceChange(d.peerNetns, d.peerName, cur.peerAddresses, d.peerAddresses),
    ...masterChange(d.netns, d.name, cur.master, d.master),
    ...masterChange(d.peerNetns, d.peerName, cur.peerMaster, d.peerMaster),
    ...attributeChange(d.netns, d.name, "mtu", cur.mtu, d.mtu),
    ...attributeChange(d.peerNetns, d.peerName, "mtu", cur.mtu, d.mtu),
    ...ends.additions,
    ...peers.additions,
    ...announcedAnew(d.netns, d.name, cur.up, d, ends.added),
    ...announcedAnew(d.peerNetns, d.peerName, cur.up, d, peers.added),
    ...upChange(d.netns, d.name, cur.up, d.up),
    ...upChange(d.peerNetns, d.peerName, cur.up, d.up),
    ...(comesUp && d.announce && needsAnnouncingAnew(d.addresses, d.nodad) ? [announceAgainStep(d.netns, d.name)] : []),
    ...markChange(d.netns, d.name, cur.owner, d.owner),
    ...markChange(d.peerNetns, d.peerName, cur.owner, d.owner),
    ...dadWait(d.netns, d.name, d, d.addresses, ends.added, comesUp, nodad),
    ...dadWait(d.peerNetns, d.peerName, d, d.peerAddresses, peers.added, comesUp, nodad),
    ...dhcp.last,
  ];
}

/** Each end's DHCP client stopped (or a dead one's leftovers taken off): when a refresh finds the pair gone. */
export function planVethClientStops(cur: ClientsOfState, dhcpOptions: DhcpOptions = defaultDhcpOptions): Step[] {
  return dhcpDeleteSteps(stateClients(cur), dhcpOptions);
}

/** Equivalent to: `ip [-n NETNS] link del dev NAME`, which takes its peer too; each end's DHCP client stopped first. */
export function planVethDelete(cur: ClientsOfState, dhcpOptions: DhcpOptions = defaultDhcpOptions): Step[] {
  return [...dhcpDeleteSteps(stateClients(cur), dhcpOptions), ...planLinkDelete(cur)];
}

/** A pair's own fields, and its name and namespaces, replace it: neither end is renamed or moved. */
const vethPropertyRules: Record<string, PropertyRule> = {
  ...spliced(linkPropertyRules, {
    name: { peerName: { replace: true } },
    netns: { peerNetns: { replace: true }, ...portPropertyRules, peerMaster: portPropertyRules.master },
    addresses: { peerAddresses: addressesRule, mtu: linkPropertyRules.mtu, dhcp: {}, peerDhcp: {} },
  }),
  name: { replace: true },
  netns: { replace: true },
};

export function diffVeth(olds: Record<string, unknown>, news: Record<string, unknown>): PropertyDiff {
  return diffProperties(vethPropertyRules, olds, news);
}
