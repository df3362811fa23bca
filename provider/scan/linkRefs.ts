// Which link another link refers to (a veth end's peer, a macvlan's parent), in whichever namespace a
// scan read, from the ids a namespace gives the others (state/linkPeer.ts). Pure.
import { peerOf } from "../state/linkPeer";
import type { NamespaceRead, ScannedLink } from "../state/namespaceScan";
import { netnsKey, refKey, type HostRead, type LinkRef } from "./layoutShape";
import { where } from "../labels";

export type Found = { ref: LinkRef; target: ScannedLink; unnamed: boolean } | { why: string };

/**
 * The link another link refers to (its peer or parent), or why it cannot be found. A namespace id
 * with no name is taken for the host's own namespace (`unnamed`), the only one without a name a scan
 * can read; callers check what they can of that.
 */
export function referenced(read: HostRead, from: NamespaceRead, link: ScannedLink): Found {
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
export function namesBack(read: HostRead, peer: ScannedLink, peerNs: string | undefined, link: ScannedLink, netns: string | undefined): boolean {
  const there = read.namespaces.get(netnsKey(peerNs));
  if (!there) return false;
  const found = referenced(read, there, peer);
  return "ref" in found && refKey(found.ref) === refKey({ netns, name: link.observed.name });
}
