// What a scan found, as resources: from the namespaces read on a host (state/hostLayout.ts), which
// links become which resource, which link each refers to (a child's parent, a veth end's peer, in
// whichever namespace), and everything left out, with why. Pure: both outputs (the TypeScript program
// and the Mermaid flowchart) are drawn from this one layout.
import { isIPv6Address, type MacvlanMode, type Route } from "../model";
import { isOurs, type NamespaceRead, type ScannedLink, type ScannedRoute } from "../state/hostLayout";

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

/** What a scan read on one host, beyond the namespaces: for each link, what only another read tells. */
export interface HostRead {
  /** Every namespace read, keyed by name ("" for the host's own). */
  namespaces: Map<string, NamespaceRead>;
  /** The namespaces asked for (undefined: the host's own): their links become resources. */
  scanned: (string | undefined)[];
  /** Macvtap nodes, keyed by `refKey`; absent when there is no node at /dev/tapN with the device's numbers. */
  tapNodes: Map<string, ScannedTapNode>;
  /** Whether a link tells neighbours of its addresses (arp_notify and ndisc_notify both 1), keyed by `refKey`. */
  announcing: Map<string, boolean>;
}

export const refKey = (ref: LinkRef) => `${ref.netns ?? ""}\u0000${ref.name}`;
export const netnsKey = (netns: string | undefined) => netns ?? "";

interface LinkCommon extends LinkRef {
  ifindex: number;
  macAddress: string;
  mtu: number;
  up: boolean;
  addresses: string[];
}

export interface LayoutNamespace {
  name: string;
  loopbackUp: boolean;
}

export interface LayoutVeth {
  end: LinkCommon;
  peer: LinkCommon;
  /** Both ends' MTU, when they agree (a VethPair sets one MTU for both). */
  mtu?: number;
  announce: boolean;
  /** What the program must say about this pair (ends that disagree). */
  notes: string[];
}

export interface LayoutMacvlan extends LinkCommon {
  kind: "macvlan" | "macvtap";
  parent: LinkRef;
  mode: MacvlanMode;
  nopromisc: boolean;
  sourceMacs: string[];
  txQueueLength: number;
  bcQueueLength?: number;
  routes: Route[];
  /** Routes added by hand (another protocol than ours): adopt marks them as ours, in place. */
  routesTakenOver: ScannedRoute[];
  announce: boolean;
  tap?: ScannedTapNode;
  notes: string[];
}

/** A link this package does not manage: a NIC, a bridge, a vxlan...; drawn, and named literally. */
export interface LayoutOther extends LinkRef {
  kind: string;
  addresses: string[];
  up: boolean;
  /** Whether it is in a namespace that was scanned (else it is drawn only because a scanned link refers to it). */
  scanned: boolean;
  parent?: LinkRef;
}

export interface Layout {
  /** The namespaces asked for, the host's own first (`undefined`), then by name. */
  scanned: (string | undefined)[];
  namespaces: LayoutNamespace[];
  veths: LayoutVeth[];
  macvlans: LayoutMacvlan[];
  others: LayoutOther[];
  /** Everything on the host the program does not manage, one line each, saying why. */
  skipped: string[];
}

export const where = (netns: string | undefined) => (netns !== undefined ? `netns "${netns}"` : "the host's namespace");
const kindOf = (link: ScannedLink) => link.observed.kind ?? (link.observed.name === "lo" ? "loopback" : "device");

/** The link another link refers to (its peer or parent), or why it cannot be found. */
function referenced(read: HostRead, from: NamespaceRead, link: ScannedLink): { ref: LinkRef; target: ScannedLink } | { why: string } {
  const { parentIndex: index, parentLink } = link.observed;
  if (parentLink !== undefined && link.linkNetnsid === undefined) {
    // In the same namespace, iproute2 names it instead of giving its ifindex.
    const target = from.links.find((l) => l.observed.name === parentLink);
    return target ? { ref: { netns: from.netns, name: parentLink }, target } : { why: `there is no ${parentLink} in ${where(from.netns)}` };
  }
  if (index === undefined) return { why: "it names no peer or parent" };
  let netns = from.netns;
  if (link.linkNetnsid !== undefined) {
    if (!from.nsids.has(link.linkNetnsid)) return { why: `its namespace id ${link.linkNetnsid} is not listed in ${where(from.netns)}` };
    const name = from.nsids.get(link.linkNetnsid);
    // A namespace with no name can only be the host's own, if it is any this package can reach.
    if (name === undefined && from.netns === undefined) return { why: `it refers to a namespace with no name (id ${link.linkNetnsid}), which no name in /run/netns reaches` };
    netns = name;
  }
  const there = read.namespaces.get(netnsKey(netns));
  if (!there) return { why: `${where(netns)} was not read` };
  const target = there.links.find((l) => l.observed.ifindex === index);
  if (!target) return { why: `there is no ifindex ${index} in ${where(netns)}` };
  return { ref: { netns, name: target.observed.name }, target };
}

const common = (netns: string | undefined, link: ScannedLink): LinkCommon => ({
  netns,
  name: link.observed.name,
  ifindex: link.observed.ifindex,
  macAddress: link.observed.macAddress,
  mtu: link.observed.mtu,
  up: link.observed.up,
  addresses: link.observed.addresses,
});

/** The scan's layout of `read`: resources for the links of the namespaces asked for, the rest listed. */
export function layoutOf(read: HostRead): Layout {
  const scanned = [...read.scanned].sort((a, b) => (a === undefined ? -1 : b === undefined ? 1 : a.localeCompare(b)));
  const isScanned = (netns: string | undefined) => scanned.includes(netns);
  const layout: Layout = { scanned, namespaces: [], veths: [], macvlans: [], others: [], skipped: [] };
  const managed = new Set<string>(); // refKeys of links a resource manages
  const drawnOthers = new Map<string, LayoutOther>();
  const addOther = (ref: LinkRef, link: ScannedLink, parent?: LinkRef) => {
    const key = refKey(ref);
    if (drawnOthers.has(key)) return;
    const other: LayoutOther = { ...ref, kind: kindOf(link), addresses: link.observed.addresses, up: link.observed.up, scanned: isScanned(ref.netns), ...(parent && { parent }) };
    drawnOthers.set(key, other);
    layout.others.push(other);
  };

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
    if (netns !== undefined) {
      const lo = ns.links.find((l) => l.observed.name === "lo");
      layout.namespaces.push({ name: netns, loopbackUp: lo?.observed.up ?? false });
    }
    const links = [...ns.links].sort((a, b) => a.observed.ifindex - b.observed.ifindex);
    for (const link of links) {
      const ref = { netns, name: link.observed.name };
      const key = refKey(ref);
      const kind = kindOf(link);
      if (managed.has(key) || kind === "loopback") continue;
      for (const address of link.handedOut) {
        layout.skipped.push(`address ${address} on ${link.observed.name} in ${where(netns)}: handed out with a lifetime (SLAAC or DHCP), which renews it`);
      }
      const found = referenced(read, ns, link);
      if (kind === "veth") {
        if ("why" in found) {
          layout.skipped.push(`veth ${link.observed.name} in ${where(netns)}: its peer cannot be found (${found.why})`);
          addOther(ref, link);
          continue;
        }
        const { ref: peerRef, target: peer } = found;
        const namesBack = peer.observed.parentLink !== undefined && peer.linkNetnsid === undefined ? peer.observed.parentLink === link.observed.name : peer.observed.parentIndex === link.observed.ifindex;
        if (!namesBack) {
          layout.skipped.push(`veth ${link.observed.name} in ${where(netns)}: ${peerRef.name} in ${where(peerRef.netns)} does not name it back as its peer`);
          addOther(ref, link);
          continue;
        }
        managed.add(key).add(refKey(peerRef));
        for (const address of peer.handedOut) {
          layout.skipped.push(`address ${address} on ${peerRef.name} in ${where(peerRef.netns)}: handed out with a lifetime (SLAAC or DHCP), which renews it`);
        }
        const swap = parents.has(refKey(peerRef)) && !parents.has(key);
        const end = swap ? common(peerRef.netns, peer) : common(netns, link);
        const other = swap ? common(netns, link) : common(peerRef.netns, peer);
        const notes: string[] = [];
        if (end.up !== other.up) {
          notes.push(`${end.up ? other.name : end.name} is down and ${end.up ? end.name : other.name} up: a VethPair brings both ends up together, so adopting it brings ${end.up ? other.name : end.name} up`);
        }
        if (end.mtu !== other.mtu) notes.push(`the ends' MTUs differ (${end.mtu}, ${other.mtu}): mtu is left out, so each keeps its own`);
        const announce = [end, other].every((e) => e.addresses.length === 0 || read.announcing.get(refKey(e)) === true);
        layout.veths.push({ end, peer: other, ...(end.mtu === other.mtu && { mtu: end.mtu }), announce, notes });
        for (const e of [end, other]) {
          for (const route of read.namespaces.get(netnsKey(e.netns))?.routes.filter((r) => r.dev === e.name) ?? []) {
            layout.skipped.push(`route ${route.text} in ${where(e.netns)}: a VethPair does not manage routes`);
          }
        }
        continue;
      }
      if (kind === "macvlan" || kind === "macvtap") {
        const macvlan = link.observed.macvlan;
        if ("why" in found || !macvlan) {
          layout.skipped.push(`${kind} ${link.observed.name} in ${where(netns)}: its parent cannot be found (${"why" in found ? found.why : "no macvlan data"})`);
          addOther(ref, link);
          continue;
        }
        managed.add(key);
        const routes = ns.routes.filter((r) => r.dev === link.observed.name);
        const notes: string[] = [];
        const kept: ScannedRoute[] = [];
        for (const route of routes) {
          if (route.notExpressible !== undefined) layout.skipped.push(`route ${route.text} in ${where(netns)}: ${route.notExpressible}`);
          else if (isOurs(route) || route.protocol === "boot") kept.push(route);
          else layout.skipped.push(`route ${route.text} in ${where(netns)}: made by ${route.protocol}, which keeps it (not taken over)`);
        }
        const tap = kind === "macvtap" ? read.tapNodes.get(key) : undefined;
        if (kind === "macvtap" && !tap) {
          notes.push(`no node at /dev/tap${link.observed.ifindex} has this macvtap's numbers: adopting it makes one`);
        }
        layout.macvlans.push({
          ...common(netns, link),
          kind,
          parent: found.ref,
          mode: macvlan.mode,
          nopromisc: macvlan.nopromisc,
          sourceMacs: macvlan.sourceMacs,
          txQueueLength: link.observed.txQueueLength,
          ...(macvlan.bcQueueLength !== undefined && { bcQueueLength: macvlan.bcQueueLength }),
          routes: kept.map((r) => r.route),
          routesTakenOver: kept.filter((r) => !isOurs(r)),
          announce: link.observed.addresses.length === 0 || read.announcing.get(key) === true,
          ...(tap && { tap }),
          notes,
        });
        continue;
      }
      // A kind this package does not manage: listed, and drawn.
      const parent = "ref" in found ? found.ref : undefined;
      addOther(ref, link, parent);
      const addresses = link.observed.addresses.length > 0 ? ` (${link.observed.addresses.join(", ")})` : "";
      layout.skipped.push(`${kind} ${link.observed.name} in ${where(netns)}${addresses}: not a kind this package manages`);
      for (const route of ns.routes.filter((r) => r.dev === link.observed.name)) {
        layout.skipped.push(`route ${route.text} in ${where(netns)}: on ${link.observed.name}, which is not managed`);
      }
    }
    for (const route of ns.routes.filter((r) => r.dev === "" )) layout.skipped.push(`route ${route.text} in ${where(netns)}: ${route.notExpressible}`);
  }

  // Links outside the scanned namespaces that a managed one refers to: drawn, and named literally.
  for (const child of layout.macvlans) {
    const key = refKey(child.parent);
    if (managed.has(key) || drawnOthers.has(key)) continue;
    const there = read.namespaces.get(netnsKey(child.parent.netns));
    const link = there?.links.find((l) => l.observed.name === child.parent.name);
    if (link) addOther(child.parent, link);
  }
  return layout;
}

/** Whether a CIDR is IPv6, for sorting addresses IPv4 first as `ip` prints them. */
export const ipv6Last = (a: string, b: string) => Number(isIPv6Address(a)) - Number(isIPv6Address(b));
