// What a scan found, as resources: from the namespaces read on a host (state/namespaceScan.ts), which
// links become which resource with which arguments, which link each refers to (a child's parent, a
// veth end's peer, in whichever namespace), and everything left out, with why. Each resource's
// arguments are checked by the resource's own schema here, so the program never holds one its preview
// would refuse. Pure: both outputs (the TypeScript program and the Mermaid flowchart) are drawn from
// this one layout.
import { classOfLink } from "../kinds";
import { where } from "../labels";
import type { MacvlanMode, Route } from "../model";
import { bridgeArgs } from "../schema/bridge";
import { macvlanLinkArgs } from "../schema/macvlanLink";
import { macvtapArgs } from "../schema/macvtap";
import { netNamespaceArgs } from "../schema/netNamespace";
import { validateArgs, type ArgsSpec } from "../schema/validate";
import { vethPairArgs } from "../schema/vethPair";
import { vxlanArgs } from "../schema/vxlan";
import { peerOf } from "../state/linkPeer";
import { isOurs, type NamespaceRead, type ScannedLink, type ScannedRoute } from "../state/namespaceScan";
import { Claims, type OwnedObject, type Resumed } from "./owners";

/** A link on the host: its namespace (undefined: the host's own) and its name. */
export interface LinkRef {
  netns: string | undefined;
  name: string;
}

/** The device node of a macvtap, as the host has it. */
export interface ScannedTapNode {
  path: string;
  owner: string;
  group: string;
  mode: string;
}

/** What a scan read on one host. */
export interface HostRead {
  /** Every namespace read, keyed by name ("" for the host's own). */
  namespaces: Map<string, NamespaceRead>;
  /** The namespaces asked for (undefined: the host's own): their links become resources. */
  scanned: (string | undefined)[];
  /** Macvtap nodes, keyed by `refKey`; absent when there is no node at /dev/tapN with the device's numbers. */
  tapNodes: Map<string, ScannedTapNode>;
}

/**
 * Characters that may not go into the outputs as they are: everything but printable ASCII, one code
 * point at a time. Names come from the host (a namespace's name is any file name; a link's any bytes but
 * "/", ":" and white space, which a container's root can set): a control character or line break
 * (JavaScript's include U+2028 and U+2029) would end a comment, and bidirectional controls (U+202E,
 * U+2066...), zero-width and look-alike characters would make the text read otherwise than it is
 * (Trojan Source). Escaped, they show as what they are.
 */
export const unsafeCharacters = /[^\x20-\x7e]/gu;

export const refKey = (ref: LinkRef) => `${ref.netns ?? ""}\u0000${ref.name}`;
export const netnsKey = (netns: string | undefined) => netns ?? "";
/** A namespace in a message; the name quoted as JSON, so nothing in it can pass for something else. */

/** A resource's arguments as the program writes them, in its order; references are LinkRefs and names. */
export type Args = Record<string, string | number | boolean | string[] | Route[]>;

interface LinkEnd extends LinkRef {
  kind: string;
  mode?: MacvlanMode;
  addresses: string[];
  /** The bridge it is a port of, in its own namespace. */
  master?: string;
}

export interface LayoutNamespace {
  name: string;
  args: Args;
  /** Written as the resource its mark names, without adopt: its create resumes it. */
  resumes?: Resumed;
}

export interface LayoutVeth {
  end: LinkEnd;
  peer: LinkEnd;
  args: Args;
  /** What the program must say about this pair (ends that disagree, a peer elsewhere). */
  notes: string[];
  resumes?: Resumed;
}

export interface LayoutMacvlan extends LinkEnd {
  kind: "macvlan" | "macvtap";
  mode: MacvlanMode;
  parent: LinkRef;
  args: Args;
  notes: string[];
  resumes?: Resumed;
}

export interface LayoutBridge extends LinkEnd {
  kind: "bridge";
  args: Args;
  notes: string[];
  resumes?: Resumed;
}

/** A vxlan tunnel end, on its underlay in the same namespace (if it has one). */
export interface LayoutVxlan extends LinkEnd {
  kind: "vxlan";
  vni: number;
  underlay?: LinkRef;
  args: Args;
  notes: string[];
  resumes?: Resumed;
}

/** A link this package does not manage: a NIC, a vxlan...; drawn, and named literally. */
export interface LayoutOther extends LinkEnd {
  /** The link it hangs off (a vlan's or a macvlan's lower device), when known. */
  parent?: LinkRef;
  /** The owner whose mark it carries, when a stack made it. */
  owner?: string;
  /** A veth's other end, drawn as a pair (one that a stack's mark is on, listed rather than written). */
  peer?: LinkRef;
}

export interface Layout {
  /** The namespaces asked for, the host's own first (`undefined`), then by name. */
  scanned: (string | undefined)[];
  namespaces: LayoutNamespace[];
  veths: LayoutVeth[];
  macvlans: LayoutMacvlan[];
  bridges: LayoutBridge[];
  vxlans: LayoutVxlan[];
  others: LayoutOther[];
  /** Everything on the host the program does not manage, one line each, saying why. */
  skipped: string[];
  /** The `project/stack` whose marked objects are written as its resources (--stack), if any. */
  stack: string | undefined;
  /** Objects a stack's mark is on that are not written: listed under their owner. */
  owned: OwnedObject[];
  /** The owner of each scanned namespace that carries a mark (on its lo), by name. */
  namespaceOwners: Map<string, string>;
}

export interface LayoutOptions {
  /** `project/stack`: objects this stack marked are written as its resources, to resume them. */
  stack?: string;
}

const kindOf = (link: ScannedLink) => link.observed.kind ?? (link.observed.name === "lo" ? "loopback" : "device");
const handedOutNote = (address: string, ref: LinkRef) => `address ${address} on ${ref.name} in ${where(ref.netns)}: handed out with a lifetime (SLAAC or DHCP), which renews it`;

type Found = { ref: LinkRef; target: ScannedLink; unnamed: boolean } | { why: string };

/**
 * The link another link refers to (its peer or parent), or why it cannot be found. A namespace id
 * with no name is taken for the host's own namespace (`unnamed`), the only one without a name a scan
 * can read; callers check what they can of that.
 */
function referenced(read: HostRead, from: NamespaceRead, link: ScannedLink): Found {
  const peer = peerOf(link.observed, from.nsids);
  // Why an id cannot be placed is said of the namespace that gives it.
  if (peer.where === "unknown") return { why: link.observed.parentNetnsid === undefined ? peer.why : `${peer.why} in ${where(from.netns)}` };
  if (peer.where === "same" && peer.name !== undefined) {
    const target = from.links.find((l) => l.observed.name === peer.name);
    return target ? { ref: { netns: from.netns, name: peer.name }, target, unnamed: false } : { why: `there is no ${peer.name} in ${where(from.netns)}` };
  }
  let netns = from.netns;
  let unnamed = false;
  if (peer.where === "other") {
    const name = peer.names[0];
    if (name === undefined && from.netns === undefined) {
      return { why: `it is in a namespace with no name (id ${peer.nsid}, a container's, say), which no name in /run/netns reaches` };
    }
    netns = name;
    unnamed = name === undefined;
  }
  const index = peer.ifindex;
  if (index === undefined) return { why: "it names no peer or parent" };
  const there = read.namespaces.get(netnsKey(netns));
  if (!there) return { why: `${where(netns)} was not read` };
  const target = there.links.find((l) => l.observed.ifindex === index);
  if (!target) {
    const guess = peer.where === "other" && unnamed ? ` (it is in a namespace with no name, id ${peer.nsid}: not the host's, a container's, say)` : "";
    return { why: `there is no ifindex ${index} in ${where(netns)}${guess}` };
  }
  return { ref: { netns, name: target.observed.name }, target, unnamed };
}

/** Whether `peer` (in `peerNs`) names `link` (in `netns`) back as its peer. */
function namesBack(read: HostRead, peer: ScannedLink, peerNs: string | undefined, link: ScannedLink, netns: string | undefined): boolean {
  const there = read.namespaces.get(netnsKey(peerNs));
  if (!there) return false;
  const found = referenced(read, there, peer);
  return "ref" in found && refKey(found.ref) === refKey({ netns, name: link.observed.name });
}

/** The schema's complaints about `args`, in one line, or undefined when the resource would accept them. */
function refused<T>(spec: ArgsSpec<T>, args: Args): string | undefined {
  const result = validateArgs(spec, { ...args, adopt: true });
  return result.ok ? undefined : result.failures.map((f) => `${f.property} ${f.reason}`).join("; ");
}

const resumedOf = ({ owner, resourceName }: Resumed): Resumed => ({ owner, resourceName });

/**
 * A single link's routes as adopt takes them: ours and those added by hand (`proto boot`, each with a
 * note: replaced in place as ours), and the rest left out, each with why.
 */
function routesTaken(routes: ScannedRoute[], netns: string | undefined) {
  const kept: ScannedRoute[] = [];
  const leftOut: string[] = [];
  for (const route of routes) {
    if (route.notExpressible !== undefined) leftOut.push(`route ${route.text} in ${where(netns)}: ${route.notExpressible}`);
    else if (isOurs(route) || route.protocol === "boot") kept.push(route);
    else leftOut.push(`route ${route.text} in ${where(netns)}: made by ${route.protocol}, which keeps it (not taken over)`);
  }
  const notes = kept
    .filter((r) => !isOurs(r))
    .map(
      (route) =>
        `route ${route.text} was added by hand: adopting replaces it in place as proto static (\`ip route replace\`), the protocol this package's routes carry, so that refresh sees it; the route itself does not change`,
    );
  return { kept, leftOut, notes };
}

/**
 * Why `link`'s master (in `netns`) cannot be written, or undefined when it has none or it is a bridge:
 * `master` names a Bridge, and a bond's slave, a VRF's member or an Open vSwitch port (`ovs-system`)
 * written as a bridge port would be taken from what it is in.
 */
function masterNotBridge(read: HostRead, netns: string | undefined, link: ScannedLink): string | undefined {
  const { master, name } = link.observed;
  if (master === undefined) return undefined;
  const found = read.namespaces.get(netnsKey(netns))?.links.find((l) => l.observed.name === master);
  if (found && kindOf(found) === "bridge") return undefined;
  return `the master of ${name}, ${master}, is ${found ? `of kind ${kindOf(found)}` : `not in ${where(netns)}`}, not a bridge: only a bridge's port is written with master`;
}

const withoutUndefined = (args: Record<string, Args[string] | undefined>): Args =>
  Object.fromEntries(Object.entries(args).filter((entry): entry is [string, Args[string]] => entry[1] !== undefined));

/** The scan's layout of `read`: resources for the links of the namespaces asked for, the rest listed. */
export function layoutOf(read: HostRead, options: LayoutOptions = {}): Layout {
  // Array.sort puts undefined last whatever the comparison says: the host's own goes first by hand.
  const named = read.scanned.filter((n): n is string => n !== undefined).sort((a, b) => a.localeCompare(b));
  const scanned = [...(read.scanned.includes(undefined) ? [undefined] : []), ...named];
  const layout: Layout = { scanned, namespaces: [], veths: [], macvlans: [], bridges: [], vxlans: [], others: [], skipped: [], stack: options.stack, owned: [], namespaceOwners: new Map() };
  const claims = new Claims(options.stack);
  const managed = new Set<string>(); // refKeys of links a resource manages
  const drawn = new Set<string>();
  const addOther = (ref: LinkRef, link: ScannedLink, parent?: LinkRef, owner?: string, peer?: LinkRef) => {
    if (drawn.has(refKey(ref))) return;
    drawn.add(refKey(ref));
    // A macvlan's mode is drawn whether or not a resource manages it.
    const kind = link.observed.macvlan ? `${kindOf(link)} ${link.observed.macvlan.mode}` : kindOf(link);
    layout.others.push({ ...ref, kind, addresses: link.observed.addresses, ...(parent && { parent }), ...(owner !== undefined && { owner }), ...(peer && { peer }) });
  };

  // Namespaces whose name the resources would refuse: nothing in them can be written.
  const badNamespaces = new Map<string, string>();
  for (const netns of named) {
    const problem = refused(netNamespaceArgs, { name: netns });
    if (problem !== undefined) badNamespaces.set(netns, problem);
  }
  const unwritable = (...namespaces: (string | undefined)[]) => namespaces.find((n) => n !== undefined && badNamespaces.has(n));

  // The links that are some child's parent: a pair is named for its end that is one (`veth0`, the
  // tutorial's parent), as a person would write it.
  const parents = new Set<string>();
  for (const ns of read.namespaces.values()) {
    for (const link of ns.links) {
      if (link.observed.kind !== "macvlan" && link.observed.kind !== "macvtap") continue;
      const found = referenced(read, ns, link);
      if ("ref" in found) parents.add(refKey(found.ref));
    }
  }

  for (const netns of scanned) {
    const ns = read.namespaces.get(netnsKey(netns));
    if (!ns) continue;
    if (netns !== undefined && badNamespaces.has(netns)) {
      layout.skipped.push(`${where(netns)} and everything in it: a NetNamespace cannot have that name (${badNamespaces.get(netns)})`);
      continue;
    }
    if (netns !== undefined) {
      // A namespace's mark is on its own lo, which lives and dies with it.
      const lo = ns.links.find((l) => l.observed.name === "lo");
      const claim = claims.claim("NetNamespace", [lo?.observed.alias], where(netns));
      if (claim.kind === "listed") {
        layout.owned.push(claim.owned);
        layout.namespaceOwners.set(netns, claim.owned.owner);
      } else {
        if (claim.kind === "resumed") layout.namespaceOwners.set(netns, claim.owner);
        const args = withoutUndefined({ name: netns, loopbackUp: lo?.observed.up === true ? undefined : false });
        layout.namespaces.push({ name: netns, args, ...(claim.kind === "resumed" && { resumes: resumedOf(claim) }) });
      }
    }
    const links = [...ns.links].sort((a, b) => a.observed.ifindex - b.observed.ifindex);
    for (const link of links) {
      const ref = { netns, name: link.observed.name };
      const key = refKey(ref);
      const kind = kindOf(link);
      if (managed.has(key) || kind === "loopback") continue;
      for (const address of link.handedOut) layout.skipped.push(handedOutNote(address, ref));
      const found = referenced(read, ns, link);
      const routes = ns.routes.filter((r) => r.dev === link.observed.name);

      if (kind === "veth") {
        const skip = (why: string) => {
          layout.skipped.push(`veth ${link.observed.name} in ${where(netns)}: ${why}`);
          addOther(ref, link);
        };
        if ("why" in found) {
          skip(`its peer cannot be found (${found.why})`);
          continue;
        }
        const { ref: peerRef, target: peer } = found;
        if (!namesBack(read, peer, peerRef.netns, link, netns)) {
          skip(
            found.unnamed
              ? `its peer is in a namespace with no name (id ${link.observed.parentNetnsid}): not the host's, where ${peerRef.name} does not name it back; a container's, say`
              : `${peerRef.name} in ${where(peerRef.netns)} does not name it back as its peer`,
          );
          continue;
        }
        const bad = unwritable(peerRef.netns);
        if (bad !== undefined) {
          skip(`its peer is in ${where(bad)}, a name a VethPair cannot take`);
          continue;
        }
        // The end in the host's namespace is `name` (`peerNetns` left out means `netns`, not the host's);
        // else the end that is a child's parent.
        const oneInHost = (netns === undefined) !== (peerRef.netns === undefined);
        const swap = oneInHost ? peerRef.netns === undefined : parents.has(refKey(peerRef)) && !parents.has(key);
        const [end, endNs, other, otherNs] = swap ? [peer, peerRef.netns, link, netns] : [link, netns, peer, peerRef.netns];
        const a = end.observed;
        const b = other.observed;
        // Both ends carry the pair's mark.
        const claim = claims.claim(classOfLink("veth"), [end.observed.alias, other.observed.alias], `veth pair ${a.name} in ${where(endNs)} and ${b.name} in ${where(otherNs)}`);
        if (claim.kind === "listed") {
          layout.owned.push(claim.owned);
          managed.add(key).add(refKey(peerRef));
          addOther({ netns: endNs, name: a.name }, end, undefined, claim.owned.owner, { netns: otherNs, name: b.name });
          addOther({ netns: otherNs, name: b.name }, other, undefined, claim.owned.owner);
          continue;
        }
        const notes: string[] = [];
        if (a.up !== b.up) {
          const [down, up] = a.up ? [b.name, a.name] : [a.name, b.name];
          notes.push(`${down} is down and ${up} up: a VethPair brings both ends up together, so adopting it brings ${down} up`);
        }
        if (a.mtu !== b.mtu) notes.push(`the ends' MTUs differ (${a.mtu}, ${b.mtu}): mtu is left out, so each keeps its own`);
        for (const [n, l] of [[endNs, a], [otherNs, b]] as const) {
          if (!scanned.includes(n)) notes.push(`${l.name} is in ${where(n)}, which was not scanned: the pair manages that end too`);
        }
        const notBridge = masterNotBridge(read, endNs, end) ?? masterNotBridge(read, otherNs, other);
        if (notBridge !== undefined) {
          skip(notBridge);
          continue;
        }
        const announce = [[endNs, a] as const, [otherNs, b] as const].every(([n, l]) => l.addresses.length === 0 || read.namespaces.get(netnsKey(n))?.announcing.has(l.name) === true);
        const args = withoutUndefined({
          name: a.name,
          netns: endNs,
          peerName: b.name,
          peerNetns: otherNs,
          master: a.master,
          peerMaster: b.master,
          addresses: a.addresses.length > 0 ? a.addresses : undefined,
          peerAddresses: b.addresses.length > 0 ? b.addresses : undefined,
          mtu: a.mtu === b.mtu ? a.mtu : undefined,
          up: a.up || b.up,
          announce: announce ? undefined : false,
        });
        const problem = refused(vethPairArgs, args);
        if (problem !== undefined) {
          skip(`a VethPair of ${a.name} and ${b.name} as they are would be refused: ${problem}`);
          continue;
        }
        managed.add(key).add(refKey(peerRef));
        for (const address of peer.handedOut) layout.skipped.push(handedOutNote(address, peerRef));
        layout.veths.push({
          end: { netns: endNs, name: a.name, kind, addresses: a.addresses, ...(a.master !== undefined && { master: a.master }) },
          peer: { netns: otherNs, name: b.name, kind, addresses: b.addresses, ...(b.master !== undefined && { master: b.master }) },
          args,
          notes,
          ...(claim.kind === "resumed" && { resumes: resumedOf(claim) }),
        });
        for (const [n, l] of [[endNs, a], [otherNs, b]] as const) {
          for (const route of read.namespaces.get(netnsKey(n))?.routes.filter((r) => r.dev === l.name) ?? []) {
            layout.skipped.push(`route ${route.text} in ${where(n)}: a VethPair does not manage routes`);
          }
        }
        continue;
      }

      if (kind === "macvlan" || kind === "macvtap") {
        const macvlan = link.observed.macvlan;
        const skip = (why: string) => {
          layout.skipped.push(`${kind} ${link.observed.name} in ${where(netns)}: ${why}`);
          addOther(ref, link, "ref" in found ? found.ref : undefined);
          for (const route of routes) layout.skipped.push(`route ${route.text} in ${where(netns)}: on ${link.observed.name}, which is not managed`);
        };
        const claim = claims.claim(classOfLink(kind), [link.observed.alias], `${kind} ${link.observed.name} in ${where(netns)}`);
        if (claim.kind === "listed") {
          // Its routes and addresses are its owner's too: nothing more to list.
          layout.owned.push(claim.owned);
          managed.add(key);
          addOther(ref, link, "ref" in found ? found.ref : undefined, claim.owned.owner);
          continue;
        }
        if ("why" in found || !macvlan) {
          skip(`its parent cannot be found (${"why" in found ? found.why : "no macvlan data"})`);
          continue;
        }
        if (netns === undefined && found.ref.netns !== undefined) {
          skip(`its parent is in ${where(found.ref.netns)}: a ${classOfLink(kind)} left without netns is put in its parent's`);
          continue;
        }
        const bad = unwritable(found.ref.netns);
        if (bad !== undefined) {
          skip(`its parent is in ${where(bad)}, a name it cannot refer to`);
          continue;
        }
        const notes: string[] = [];
        if (found.unnamed) {
          notes.push(`its parent is taken to be ${found.ref.name} in the host's namespace: ${where(netns)} knows that namespace by an id with no name, as it would a container's; check it`);
        }
        const notBridge = kind === "macvlan" ? masterNotBridge(read, netns, link) : undefined;
        if (notBridge !== undefined) {
          skip(notBridge);
          continue;
        }
        const { kept, leftOut, notes: routeNotes } = routesTaken(routes, netns);
        notes.push(...routeNotes);
        const tap = kind === "macvtap" ? read.tapNodes.get(key) : undefined;
        if (kind === "macvtap" && !tap) notes.push(`no node at /dev/tap${link.observed.ifindex} has this macvtap's numbers: adopting it makes one`);
        const o = link.observed;
        const args = withoutUndefined({
          name: o.name,
          parent: found.ref.name,
          parentNetns: found.ref.netns,
          netns,
          mode: macvlan.mode,
          nopromisc: macvlan.nopromisc ? true : undefined,
          sourceMacs: macvlan.sourceMacs.length > 0 ? macvlan.sourceMacs : undefined,
          master: kind === "macvlan" ? o.master : undefined,
          macAddress: o.macAddress,
          mtu: o.mtu,
          txQueueLength: o.txQueueLength,
          bcQueueLength: macvlan.bcQueueLength,
          addresses: o.addresses.length > 0 ? o.addresses : undefined,
          routes: kept.length > 0 ? kept.map((r) => r.route) : undefined,
          up: o.up,
          announce: o.addresses.length === 0 || ns.announcing.has(o.name) ? undefined : false,
          tapOwner: tap?.owner,
          tapGroup: tap?.group,
          tapMode: tap?.mode,
        });
        const problem = kind === "macvtap" ? refused(macvtapArgs, args) : refused(macvlanLinkArgs, args);
        if (problem !== undefined) {
          skip(`as it is, it would be refused: ${problem}`);
          continue;
        }
        managed.add(key);
        layout.skipped.push(...leftOut);
        layout.macvlans.push({
          netns,
          name: o.name,
          kind,
          mode: macvlan.mode,
          addresses: o.addresses,
          ...(kind === "macvlan" && o.master !== undefined && { master: o.master }),
          parent: found.ref,
          args,
          notes,
          ...(claim.kind === "resumed" && { resumes: resumedOf(claim) }),
        });
        continue;
      }

      if (kind === "bridge" && link.observed.bridge) {
        const bridge = link.observed.bridge;
        const claim = claims.claim(classOfLink("bridge"), [link.observed.alias], `bridge ${link.observed.name} in ${where(netns)}`);
        if (claim.kind === "listed") {
          layout.owned.push(claim.owned);
          managed.add(key);
          addOther(ref, link, undefined, claim.owned.owner);
          continue;
        }
        const { kept, leftOut, notes } = routesTaken(routes, netns);
        const o = link.observed;
        // Its MAC and MTU are left to the kernel, which has them follow the ports (set, they stay put).
        const args = withoutUndefined({
          name: o.name,
          netns,
          stp: bridge.stp ? true : undefined,
          forwardDelay: bridge.forwardDelay !== 15 ? bridge.forwardDelay : undefined,
          vlanFiltering: bridge.vlanFiltering ? true : undefined,
          addresses: o.addresses.length > 0 ? o.addresses : undefined,
          routes: kept.length > 0 ? kept.map((r) => r.route) : undefined,
          up: o.up,
          announce: o.addresses.length === 0 || ns.announcing.has(o.name) ? undefined : false,
        });
        const problem = refused(bridgeArgs, args);
        if (problem !== undefined) {
          layout.skipped.push(`bridge ${o.name} in ${where(netns)}: as it is, it would be refused: ${problem}`);
          addOther(ref, link);
          for (const route of routes) layout.skipped.push(`route ${route.text} in ${where(netns)}: on ${o.name}, which is not managed`);
          continue;
        }
        managed.add(key);
        layout.skipped.push(...leftOut);
        layout.bridges.push({ netns, name: o.name, kind: "bridge", addresses: o.addresses, args, notes, ...(claim.kind === "resumed" && { resumes: resumedOf(claim) }) });
        continue;
      }

      if (kind === "vxlan" && link.observed.vxlan) {
        const v = link.observed.vxlan;
        const skip = (why: string) => {
          layout.skipped.push(`vxlan ${link.observed.name} in ${where(netns)}: ${why}`);
          addOther(ref, link);
          for (const route of routes) layout.skipped.push(`route ${route.text} in ${where(netns)}: on ${link.observed.name}, which is not managed`);
        };
        const claim = claims.claim(classOfLink("vxlan"), [link.observed.alias], `vxlan ${link.observed.name} in ${where(netns)}`);
        if (claim.kind === "listed") {
          layout.owned.push(claim.owned);
          managed.add(key);
          addOther(ref, link, undefined, claim.owned.owner);
          continue;
        }
        // Moved after it was made: its socket and underlay stay where it was made, which a Vxlan is not.
        if (link.observed.parentNetnsid !== undefined) {
          skip("it was made in another namespace and moved here (its socket and underlay stayed there): a Vxlan is made in its own namespace");
          continue;
        }
        if (v.beyond.length > 0) {
          skip(`it has what a Vxlan cannot say (${v.beyond.join(", ")}): one made from it, at a replace or a boot, would be another tunnel`);
          continue;
        }
        const notBridge = masterNotBridge(read, netns, link);
        if (notBridge !== undefined) {
          skip(notBridge);
          continue;
        }
        if (v.underlay !== undefined && !ns.links.some((l) => l.observed.name === v.underlay)) {
          skip(`its underlay ${v.underlay} is not in ${where(netns)}`);
          continue;
        }
        const { kept, leftOut, notes } = routesTaken(routes, netns);
        const o = link.observed;
        const args = withoutUndefined({
          name: o.name,
          netns,
          vni: v.vni,
          local: v.local,
          remote: v.remote,
          group: v.group,
          dstPort: v.dstPort,
          underlay: v.underlay,
          learning: v.learning ? undefined : false,
          remotes: v.remotes !== undefined && v.remotes.length > 0 ? v.remotes : undefined,
          master: o.master,
          macAddress: o.macAddress,
          mtu: o.mtu,
          txQueueLength: o.txQueueLength,
          addresses: o.addresses.length > 0 ? o.addresses : undefined,
          routes: kept.length > 0 ? kept.map((r) => r.route) : undefined,
          up: o.up,
          announce: o.addresses.length === 0 || ns.announcing.has(o.name) ? undefined : false,
        });
        const problem = refused(vxlanArgs, args);
        if (problem !== undefined) {
          skip(`as it is, it would be refused: ${problem}`);
          continue;
        }
        managed.add(key);
        layout.skipped.push(...leftOut);
        layout.vxlans.push({
          netns,
          name: o.name,
          kind: "vxlan",
          vni: v.vni,
          addresses: o.addresses,
          ...(o.master !== undefined && { master: o.master }),
          ...(v.underlay !== undefined && { underlay: { netns, name: v.underlay } }),
          args,
          notes,
          ...(claim.kind === "resumed" && { resumes: resumedOf(claim) }),
        });
        continue;
      }

      // A kind this package does not manage: listed, and drawn.
      addOther(ref, link, "ref" in found ? found.ref : undefined);
      const addresses = link.observed.addresses.length > 0 ? ` (${link.observed.addresses.join(", ")})` : "";
      layout.skipped.push(`${kind} ${link.observed.name} in ${where(netns)}${addresses}: not a kind this package manages`);
      for (const route of routes) layout.skipped.push(`route ${route.text} in ${where(netns)}: on ${link.observed.name}, which is not managed`);
    }
    for (const route of ns.routes.filter((r) => r.dev === "")) layout.skipped.push(`route ${route.text} in ${where(netns)}: ${route.notExpressible}`);
  }

  // Links outside the scanned namespaces that a managed one refers to: drawn, and named literally.
  for (const child of layout.macvlans) {
    if (managed.has(refKey(child.parent)) || drawn.has(refKey(child.parent))) continue;
    const link = read.namespaces.get(netnsKey(child.parent.netns))?.links.find((l) => l.observed.name === child.parent.name);
    if (link) addOther(child.parent, link);
  }
  return layout;
}
