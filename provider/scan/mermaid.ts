// The scan as a Mermaid flowchart, which GitHub draws in Markdown: a subgraph per namespace, a node per
// link (name, kind, mode or VNI, addresses), an edge from each macvlan or macvtap child to its parent
// and from each vxlan to its underlay, one between the two ends of each veth pair, and a dotted one from
// each bridge port to its bridge. What a stack's mark is on says so in its label ("owned by" the mark's
// owner), a node's or a namespace's. Pure text; the same layout as the program's.
import { refKey, unsafeCharacters, type Layout, type LinkRef } from "./layout";

interface Node extends LinkRef {
  lines: string[];
}

const named: Record<string, string> = { "&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;" };

/**
 * Text inside a quoted Mermaid label, in printable ASCII: quotes and markup characters as entities; "#"
 * too, lest a name spell an entity ("#quot;"), and "`", which starts a Markdown label; and every
 * character outside printable ASCII as its code point's entity (`#8238;` for U+202E), so nothing from a
 * host can reorder or hide what the diagram shows.
 */
const escaped = new RegExp(`[&"<>#\`]|${unsafeCharacters.source}`, "gu");
const label = (text: string) => text.replace(escaped, (c) => named[c] ?? `#${c.codePointAt(0) ?? 0};`);

/** The flowchart for `layout`. */
export function mermaidOf(layout: Layout): string {
  const nodes: Node[] = [];
  const ownedBy = (owner: string | undefined) => (owner !== undefined ? [`owned by ${owner}`] : []);
  for (const { end, peer, resumes } of layout.veths) {
    const owner = ownedBy(resumes?.owner);
    nodes.push({ ...end, lines: [end.name, "veth", ...end.addresses, ...owner] }, { ...peer, lines: [peer.name, "veth", ...peer.addresses, ...owner] });
  }
  for (const m of layout.macvlans) nodes.push({ ...m, lines: [m.name, `${m.kind} ${m.mode}`, ...m.addresses, ...ownedBy(m.resumes?.owner)] });
  for (const b of layout.bridges) nodes.push({ ...b, lines: [b.name, b.args.stp === true ? "bridge stp" : "bridge", ...b.addresses, ...ownedBy(b.resumes?.owner)] });
  for (const v of layout.vxlans) nodes.push({ ...v, lines: [v.name, `vxlan ${v.vni}`, ...v.addresses, ...ownedBy(v.resumes?.owner)] });
  for (const o of layout.others) nodes.push({ ...o, lines: [o.name, o.kind, ...o.addresses, ...ownedBy(o.owner)] });

  // Namespaces in the layout's order, then those only referred to; links by name within each.
  const order = [...layout.scanned];
  for (const node of nodes) if (!order.includes(node.netns)) order.push(node.netns);
  const ids = new Map<string, string>();
  const out = ["flowchart LR"];
  order.forEach((netns, i) => {
    const inside = nodes.filter((n) => n.netns === netns).sort((a, b) => a.name.localeCompare(b.name));
    if (inside.length === 0) return;
    const owner = netns !== undefined ? layout.namespaceOwners.get(netns) : undefined;
    const title = `${netns === undefined ? "host" : `netns ${netns}`}${layout.scanned.includes(netns) ? "" : " (not scanned)"}${owner !== undefined ? `, owned by ${owner}` : ""}`;
    out.push(`  subgraph ns${i}["${label(title)}"]`);
    for (const node of inside) {
      const id = `l${ids.size + 1}`;
      ids.set(refKey(node), id);
      out.push(`    ${id}["${node.lines.map(label).join("<br/>")}"]`);
    }
    out.push("  end");
  });
  const id = (ref: LinkRef) => ids.get(refKey(ref));
  for (const { end, peer } of layout.veths) out.push(`  ${id(end)} <--> ${id(peer)}`);
  for (const m of layout.macvlans) {
    const parent = id(m.parent);
    if (parent !== undefined) out.push(`  ${id(m)} --> ${parent}`);
  }
  for (const v of layout.vxlans) {
    const underlay = v.underlay && id(v.underlay);
    if (underlay !== undefined) out.push(`  ${id(v)} --> ${underlay}`);
  }
  const ports = [...layout.veths.flatMap((v) => [v.end, v.peer]), ...layout.macvlans, ...layout.vxlans];
  for (const port of ports) {
    const bridge = port.master !== undefined ? id({ netns: port.netns, name: port.master }) : undefined;
    if (bridge !== undefined) out.push(`  ${id(port)} -.->|port| ${bridge}`);
  }
  for (const o of layout.others) {
    const peer = o.peer && id(o.peer);
    if (peer !== undefined) out.push(`  ${id(o)} <--> ${peer}`);
  }
  for (const o of layout.others) {
    const parent = o.parent && id(o.parent);
    if (parent !== undefined) out.push(`  ${id(o)} --> ${parent}`);
  }
  return `${out.join("\n")}\n`;
}
