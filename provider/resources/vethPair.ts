// VethPair: two linked ends, for labs and containers (and as parents of macvlan links in tests).
import * as pulumi from "@pulumi/pulumi";
import { runOn } from "../apply";
import { hintFor, Iproute2Error } from "../exec/errors";
import type { CommandResult, Runner } from "../exec/runner";
import { bootPartFile, type DhcpLease, type LinkObserved, type VethPairDesired, type VethPairState } from "../model";
import { vethPairPart } from "../plan/bootPart";
import { dhcpStatusCommand } from "../plan/dhcpProgram";
import { diffVeth, planVethClientStops, planVethCreate, planVethDelete, planVethUpdate } from "../plan/vethPair";
import { vethPairArgs } from "../schema/vethPair";
import { dhcpObserved } from "../state/dhcpLease";
import { asWrittenByEarlierVersions } from "../state/earlierVersions";
import { readLinkBatched } from "../state/namespaceLinks";
import { linkFromResults, linkReadBack } from "../state/oneLink";
import { readBackCommands, type ReadBack } from "../state/readBack";
import { isUnverifiedVeth, parseVethState, unverifiedVethState, vethInputsOf, vethStateOf } from "../state/vethPair";
import { checkPeer } from "./declaredPeer";
import { contextOf, defineHandlers, linkId, Stranger, type FoundLink } from "./lifecycle";
import { asTakenOver, refuseNonBridgeMaster } from "./linkAdopt";
import { where } from "../labels";
import { LinkResource, linkOutputNames, type LinkArgs } from "./link";
import { portHint } from "./singleLink";

/**
 * Both ends, with their addresses (a VethPair manages no routes): the end's batch, then the peer's,
 * then each end's DHCP client that is asked for.
 */
function readBack(d: VethPairDesired): ReadBack {
  const end = linkReadBack(d.netns, d.name, { routes: false });
  const peer = linkReadBack(d.peerNetns, d.peerName, { routes: false });
  return { ...end, extra: [...readBackCommands(peer), ...clientReads(d)] };
}

/** The `status` of each end's DHCP client that is asked for (plan/dhcpProgram.ts): the end's, then the peer's. */
const clientReads = (d: VethPairDesired) => [
  ...(d.dhcp ? [dhcpStatusCommand(d.netns, d.name)] : []),
  ...(d.peerDhcp ? [dhcpStatusCommand(d.peerNetns, d.peerName)] : []),
];

/** Both ends with their clients as `results` (clientReads(d)'s) report them. */
function withClients(d: VethPairDesired, both: BothEnds, results: CommandResult[]): BothEnds {
  const end = d.dhcp ? results[0] : undefined;
  const peer = d.peerDhcp ? results[d.dhcp ? 1 : 0] : undefined;
  return {
    end: end ? { ...both.end, dhcp: dhcpObserved(end, both.end.name) } : both.end,
    peer: peer ? { ...both.peer, dhcp: dhcpObserved(peer, both.peer.name) } : both.peer,
  };
}

type BothEnds = { end: LinkObserved; peer: LinkObserved };

/**
 * Why the two links are not the pair `d` declares, or undefined when they are: each end's peer must be
 * the other end, placed by the id its namespace gives the other's (an ifindex alone names a link in
 * any namespace). Checked from both ends: from the one in the connection's own namespace, the other
 * namespace is known by name.
 */
async function notThePair(runner: Runner, d: VethPairDesired, { end, peer }: BothEnds): Promise<string | undefined> {
  const ends = [
    { netns: d.netns, link: end, other: { netns: d.peerNetns, name: d.peerName, ifindex: peer.ifindex } },
    { netns: d.peerNetns, link: peer, other: { netns: d.netns, name: d.name, ifindex: end.ifindex } },
  ];
  for (const { netns, link, other } of ends) {
    const check = await checkPeer(runner, netns, link, { ...other, ifindexOf: async () => other.ifindex });
    if (!check.declared) return `link "${link.name}" in ${where(netns)} is a veth whose peer is ${check.actual}, not "${other.name}" in ${where(other.netns)}`;
  }
  return undefined;
}

/** Both ends from readBack's results, or undefined when either is gone. */
function observeBoth(results: CommandResult[], d: VethPairDesired): BothEnds | undefined {
  const end = linkFromResults(results.slice(0, 1), d.name);
  const peer = end && linkFromResults(results.slice(1, 2), d.peerName); // not read when the end is gone
  return end && peer ? withClients(d, { end, peer }, results.slice(2)) : undefined;
}

/** The pair `end` and `peer` (as read) make, taken over: only a veth pair of those two ends. */
async function takeOverPair(runner: Runner, d: VethPairDesired, end: LinkObserved, peer: LinkObserved | undefined): Promise<VethPairState> {
  const hint = "adopt takes over only a veth pair of those two ends; remove it or choose other names";
  if (end.kind !== "veth" || !peer || peer.kind !== "veth") {
    throw new Iproute2Error("exists", contextOf("VethPair", d, "adopt"), `link "${d.name}" exists but is not a veth whose peer is "${d.peerName}" in ${where(d.peerNetns)}`, hint);
  }
  const wrong = await notThePair(runner, d, { end, peer });
  if (wrong !== undefined) throw new Iproute2Error("exists", contextOf("VethPair", d, "adopt"), wrong, hint);
  await refuseNonBridgeMaster(runner, contextOf("VethPair", d, "adopt"), d.netns, end);
  await refuseNonBridgeMaster(runner, contextOf("VethPair", d, "adopt"), d.peerNetns, peer);
  return asTakenOver(vethStateOf(d, end, peer));
}

/** Each end behind its alias, with its group (a create cut off before its marks left its owner's); a missing peer is undefined. */
const endLinks = (d: VethPairDesired, end: LinkObserved, peer: LinkObserved | undefined): (FoundLink | undefined)[] => [
  { netns: d.netns, name: d.name, group: end.group },
  peer && { netns: d.peerNetns, name: d.peerName, group: peer.group },
];

export const vethPairHandlers = defineHandlers<VethPairDesired, VethPairState, BothEnds>({
  noun: "the pair",
  spec: vethPairArgs,
  diff: (olds, news) => diffVeth(asWrittenByEarlierVersions(olds), news),
  idOf: linkId,
  parseState: parseVethState,
  inputsOf: vethInputsOf,
  // An end's client found dead keeps its lease in the state (and its flag off): read on while it has one.
  readsOf: (state) => ({ ...vethInputsOf(state), dhcp: state.dhcp || state.dhcpLease !== undefined, peerDhcp: state.peerDhcp || state.peerDhcpLease !== undefined }),
  plan: { create: (d) => planVethCreate(d), update: (current, d) => planVethUpdate(current, d), delete: (current) => planVethDelete(current) },
  readBack,
  observe: observeBoth,
  async read(runner, d, { batched, context }) {
    let both: BothEnds | undefined;
    if (!batched) both = observeBoth(await runOn(runner, readBackCommands(readBack(d)), context), d);
    else {
      const [end, peer] = await Promise.all([readLinkBatched(runner, d.netns, d.name), readLinkBatched(runner, d.peerNetns, d.peerName)]);
      both = end && peer ? withClients(d, { end, peer }, d.dhcp || d.peerDhcp ? await runner.run(clientReads(d)) : []) : undefined;
    }
    // Two links of those names that are not each other's peers are someone else's: not the pair.
    if (!both) return undefined;
    const stranger = await notThePair(runner, d, both);
    return stranger === undefined ? both : new Stranger(stranger);
  },
  stateOf: (d, { end, peer }) => vethStateOf(d, end, peer),
  unverified: { stateOf: unverifiedVethState, is: isUnverifiedVeth },
  stopWhenGone: (state) => planVethClientStops(state),
  // Takes over only a veth pair of those two ends, each in its namespace. Both ends carry the mark.
  async existing(runner, d) {
    const results = await runOn(runner, readBackCommands(readBack(d)), contextOf("VethPair", d, "read"));
    const end = linkFromResults(results.slice(0, 1), d.name);
    if (!end) return undefined; // nothing to take over: made
    const peer = linkFromResults(results.slice(1, 2), d.peerName);
    return { aliases: [end.alias, peer?.alias], links: endLinks(d, end, peer), ifindex: end.ifindex, takeOver: () => takeOverPair(runner, d, end, peer) };
  },
  async owners(runner, d) {
    const [end, peer] = await Promise.all([readLinkBatched(runner, d.netns, d.name), readLinkBatched(runner, d.peerNetns, d.peerName)]);
    return end && { aliases: [end.alias, peer?.alias], links: endLinks(d, end, peer), ifindex: end.ifindex };
  },
  aliases: ({ end, peer }) => [end.alias, peer.alias],
  links: ({ end, peer }, d) => endLinks(d, end, peer),
  ifindexOf: { observed: ({ end }) => end.ifindex, state: (state) => state.ifindex },
  hint: (d, failure, step, verb) =>
    portHint(step, failure) ??
    (failure === "exists" && verb === "create"
      ? `"${d.name}" or "${d.peerName}" is already taken in its namespace: choose other names, or set adopt: true to take the pair over`
      : hintFor(failure, "veth")),
  boot: {
    part: vethPairPart,
    pinned: (state) => [
      { ifindex: state.ifindex, macAddress: state.macAddress },
      { ifindex: state.peerIfindex, macAddress: state.peerMacAddress },
    ],
    file: (d) => bootPartFile({ kind: "link", netns: d.netns, name: d.name }),
  },
});

/** A link's arguments for the first end, the peer's own, and what a pair sets on both ends. */
export interface VethPairArgs extends LinkArgs {
  /** This end's name. Changing it replaces the pair. */
  name: pulumi.Input<string>;
  peerName: pulumi.Input<string>;
  /** Namespace of this end; the host's by default. */
  netns?: pulumi.Input<string>;
  /** Namespace of the peer; `netns` by default. */
  peerNetns?: pulumi.Input<string>;
  peerAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The bridge this end is a port of, by its name in this end's namespace (a `Bridge`'s `name`);
   * unset: none. Joins, leaves and moves between bridges in place.
   */
  master?: pulumi.Input<string>;
  /** The bridge the peer is a port of, by its name in the peer's namespace; unset: none. In place. */
  peerMaster?: pulumi.Input<string>;
  /** Both ends; kernel default when unset. */
  mtu?: pulumi.Input<number>;
  /** Both ends up; default true. */
  up?: pulumi.Input<boolean>;
  /**
   * Default true: tell neighbours of each end's addresses when it comes up or gets a new address (the
   * kernel's arp_notify and ndisc_notify, set in the end's namespace once it has addresses), so peers
   * that knew an old MAC reach it at once. A change is in place.
   */
  announce?: pulumi.Input<boolean>;
  /**
   * Take over a pair of these two ends that exists already (each end in its namespace, each naming the
   * other as its peer) instead of failing, then converge the rest. A link by either name that is not
   * that pair is refused. Destroy removes it, as it would one this made.
   */
  adopt?: pulumi.Input<boolean>;
  /** A DHCP client (IPv4) on the first end, in its namespace: as a MacvlanLink's `dhcp`. Needs `up: true`. */
  dhcp?: pulumi.Input<boolean>;
  /** A DHCP client on the peer, in the peer's namespace. */
  peerDhcp?: pulumi.Input<boolean>;
}

/** A link's outputs (the first end's; `up` is both ends'), and the peer's. */
export class VethPair extends LinkResource {
  declare readonly peerName: pulumi.Output<string>;
  declare readonly peerNetns: pulumi.Output<string | undefined>;
  declare readonly peerAddresses: pulumi.Output<string[]>;
  declare readonly peerMacAddress: pulumi.Output<string>;
  declare readonly peerIfindex: pulumi.Output<number>;
  /** The bridges the ends are ports of, as the kernel has them. */
  declare readonly master: pulumi.Output<string | undefined>;
  declare readonly peerMaster: pulumi.Output<string | undefined>;
  /** Whether each end's DHCP client is asked for and running (false on refresh when it died), and its lease. */
  declare readonly dhcp: pulumi.Output<boolean>;
  declare readonly peerDhcp: pulumi.Output<boolean>;
  declare readonly dhcpLease: pulumi.Output<DhcpLease | undefined>;
  declare readonly peerDhcpLease: pulumi.Output<DhcpLease | undefined>;
  /** Whose it is: what both ends carry as their mark. */
  declare readonly owner: pulumi.Output<string>;
  /** What the provider runs for this kind (impl.ts derives its map from these): not for programs. */
  static readonly handlers = vethPairHandlers;

  constructor(name: string, args: VethPairArgs, opts?: pulumi.CustomResourceOptions) {
    super("VethPair", name, args, [...linkOutputNames, "peerMacAddress", "peerIfindex", "peerAddresses", "master", "peerMaster", "dhcp", "peerDhcp", "dhcpLease", "peerDhcpLease"], opts);
  }
}
