// A veth end found by a scan, with its peer (wherever that is), as one VethPair: named for the end in the
// host's namespace, else for the end that is a child's parent, as a person would write it; the ends'
// differences said in notes. Pure.
import { classOfLink } from "../../kinds";
import { vethPairArgs } from "../../schema/vethPair";
import { handedOutNote, refused, resumedOf, withoutUndefined, type LayoutBuilder, type LinkAt } from "../layoutBuilder";
import { netnsKey, refKey } from "../layoutShape";
import { where } from "../../labels";
import { namesBack } from "../linkRefs";

export function layOutVeth(b: LayoutBuilder, at: LinkAt): void {
  const { read, layout } = b;
  const { found, netns, link, key, kind } = at;
  const skip = (why: string) => {
    layout.skipped.push(`veth ${link.observed.name} in ${where(netns)}: ${why}`);
    b.addOther(at.ref, link);
  };
  if ("why" in found) return skip(`its peer cannot be found (${found.why})`);
  const { ref: peerRef, target: peer } = found;
  if (!namesBack(read, peer, peerRef.netns, link, netns)) {
    return skip(
      found.unnamed
        ? `its peer is in a namespace with no name (id ${link.observed.parentNetnsid}): not the host's, where ${peerRef.name} does not name it back; a container's, say`
        : `${peerRef.name} in ${where(peerRef.netns)} does not name it back as its peer`,
    );
  }
  const bad = b.unwritable(peerRef.netns);
  if (bad !== undefined) return skip(`its peer is in ${where(bad)}, a name a VethPair cannot take`);
  // The end in the host's namespace is `name` (`peerNetns` left out means `netns`, not the host's);
  // else the end that is a child's parent.
  const oneInHost = (netns === undefined) !== (peerRef.netns === undefined);
  const swap = oneInHost ? peerRef.netns === undefined : b.isParent(peerRef) && !b.isParent(at.ref);
  const [end, endNs, other, otherNs] = swap ? [peer, peerRef.netns, link, netns] : [link, netns, peer, peerRef.netns];
  const a = end.observed;
  const z = other.observed;
  // Both ends carry the pair's mark.
  const claim = b.claims.claim(classOfLink("veth"), [a.alias, z.alias], `veth pair ${a.name} in ${where(endNs)} and ${z.name} in ${where(otherNs)}`);
  if (claim.kind === "listed") {
    layout.owned.push(claim.owned);
    b.managed.add(key).add(refKey(peerRef));
    b.addOther({ netns: endNs, name: a.name }, end, undefined, claim.owned.owner, { netns: otherNs, name: z.name });
    b.addOther({ netns: otherNs, name: z.name }, other, undefined, claim.owned.owner);
    return;
  }
  const notes: string[] = [];
  if (a.up !== z.up) {
    const [down, up] = a.up ? [z.name, a.name] : [a.name, z.name];
    notes.push(`${down} is down and ${up} up: a VethPair brings both ends up together, so adopting it brings ${down} up`);
  }
  if (a.mtu !== z.mtu) notes.push(`the ends' MTUs differ (${a.mtu}, ${z.mtu}): mtu is left out, so each keeps its own`);
  for (const [n, l] of [[endNs, a], [otherNs, z]] as const) {
    if (!layout.scanned.includes(n)) notes.push(`${l.name} is in ${where(n)}, which was not scanned: the pair manages that end too`);
  }
  const notBridge = b.masterNotBridge(endNs, end) ?? b.masterNotBridge(otherNs, other);
  if (notBridge !== undefined) return skip(notBridge);
  const announce = [[endNs, a] as const, [otherNs, z] as const].every(([n, l]) => l.addresses.length === 0 || read.namespaces.get(netnsKey(n))?.announcing.has(l.name) === true);
  const args = withoutUndefined({
    name: a.name,
    netns: endNs,
    peerName: z.name,
    peerNetns: otherNs,
    master: a.master,
    peerMaster: z.master,
    addresses: a.addresses.length > 0 ? a.addresses : undefined,
    peerAddresses: z.addresses.length > 0 ? z.addresses : undefined,
    mtu: a.mtu === z.mtu ? a.mtu : undefined,
    up: a.up || z.up,
    announce: announce ? undefined : false,
  });
  const problem = refused(vethPairArgs, args);
  if (problem !== undefined) return skip(`a VethPair of ${a.name} and ${z.name} as they are would be refused: ${problem}`);
  b.managed.add(key).add(refKey(peerRef));
  for (const address of peer.handedOut) layout.skipped.push(handedOutNote(address, peerRef));
  const resumes = resumedOf(claim);
  layout.veths.push({
    end: { netns: endNs, name: a.name, kind, addresses: a.addresses, ...(a.master !== undefined && { master: a.master }) },
    peer: { netns: otherNs, name: z.name, kind, addresses: z.addresses, ...(z.master !== undefined && { master: z.master }) },
    args,
    notes,
    ...(resumes && { resumes }),
  });
  for (const [n, l] of [[endNs, a], [otherNs, z]] as const) {
    for (const route of read.namespaces.get(netnsKey(n))?.routes.filter((r) => r.dev === l.name) ?? []) {
      layout.skipped.push(`route ${route.text} in ${where(n)}: a VethPair does not manage routes`);
    }
  }
}
