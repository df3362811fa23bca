// What a scan found, as resources: from the namespaces read on a host (state/namespaceScan.ts), which
// links become which resource with which arguments, which link each refers to (a child's parent, a
// veth end's peer, in whichever namespace), and everything left out, with why. Each kind's part is its
// own file (scan/kinds/), found by the kernel's name for its links; each resource's arguments are checked
// by the resource's own schema there, so the program never holds one its preview would refuse. Pure:
// both outputs (the TypeScript program and the Mermaid flowchart) are drawn from this one layout.
import type { KernelKind } from "../kinds";
import { netNamespaceArgs } from "../schema/netNamespace";
import { layOutBridge } from "./kinds/bridge";
import { layOutMacvlan } from "./kinds/macvlan";
import { layOutVeth } from "./kinds/veth";
import { layOutVxlan } from "./kinds/vxlan";
import { handedOutNote, kindOf, LayoutBuilder, refused, resumedOf, withoutUndefined, type LinkAt } from "./layoutBuilder";
import { netnsKey, refKey, type HostRead, type Layout, type LayoutOptions } from "./layoutShape";
import { where } from "../labels";
import { referenced } from "./linkRefs";
import { Claims } from "./owners";

export * from "./layoutShape";

/** Each link kind's part of the layout, by what the kernel calls its links: one for every kind the registry has. */
const layOutKind: Record<KernelKind, (b: LayoutBuilder, at: LinkAt) => void> = {
  veth: layOutVeth,
  macvlan: (b, at) => layOutMacvlan(b, at, "macvlan"),
  macvtap: (b, at) => layOutMacvlan(b, at, "macvtap"),
  bridge: layOutBridge,
  vxlan: layOutVxlan,
};

const isManagedKind = (kind: string): kind is KernelKind => Object.hasOwn(layOutKind, kind);

/** The scan's layout of `read`: resources for the links of the namespaces asked for, the rest listed. */
export function layoutOf(read: HostRead, options: LayoutOptions = {}): Layout {
  // Array.sort puts undefined last whatever the comparison says: the host's own goes first by hand.
  const named = read.scanned.filter((n): n is string => n !== undefined).sort((a, b) => a.localeCompare(b));
  const scanned = [...(read.scanned.includes(undefined) ? [undefined] : []), ...named];
  const layout: Layout = { scanned, namespaces: [], veths: [], macvlans: [], bridges: [], vxlans: [], others: [], skipped: [], stack: options.stack, owned: [], namespaceOwners: new Map() };
  const claims = new Claims(options.stack);

  // Namespaces whose name the resources would refuse: nothing in them can be written.
  const badNamespaces = new Map<string, string>();
  for (const netns of named) {
    const problem = refused(netNamespaceArgs, { name: netns });
    if (problem !== undefined) badNamespaces.set(netns, problem);
  }

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
  const b = new LayoutBuilder(read, layout, claims, badNamespaces, parents);

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
        const resumes = resumedOf(claim);
        layout.namespaces.push({ name: netns, args, ...(resumes && { resumes }) });
      }
    }
    const links = [...ns.links].sort((x, y) => x.observed.ifindex - y.observed.ifindex);
    for (const link of links) {
      const ref = { netns, name: link.observed.name };
      const at: LinkAt = { netns, ns, link, ref, key: refKey(ref), kind: kindOf(link), found: referenced(read, ns, link), routes: ns.routes.filter((r) => r.dev === link.observed.name) };
      if (b.managed.has(at.key) || at.kind === "loopback") continue;
      for (const address of link.handedOut) layout.skipped.push(handedOutNote(address, ref));
      if (isManagedKind(at.kind)) layOutKind[at.kind](b, at);
      else b.unmanaged(at);
    }
    for (const route of ns.routes.filter((r) => r.dev === "")) layout.skipped.push(`route ${route.text} in ${where(netns)}: ${route.notExpressible}`);
  }

  // Links outside the scanned namespaces that a managed one refers to: drawn, and named literally.
  for (const child of layout.macvlans) {
    if (b.managed.has(refKey(child.parent)) || b.isDrawn(child.parent)) continue;
    const link = read.namespaces.get(netnsKey(child.parent.netns))?.links.find((l) => l.observed.name === child.parent.name);
    if (link) b.addOther(child.parent, link);
  }
  return layout;
}
