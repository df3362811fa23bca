// The shape of a scan's layout (what layout.ts makes of a host's read, and the program and flowchart are
// drawn from), and the names a scan gives links and namespaces. Pure.
import type { MacvlanMode, Route } from "../model";
import type { NamespaceRead } from "../state/namespaceScan";
import type { OwnedObject, Resumed } from "./owners";

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

/** A resource's arguments as the program writes them, in its order; references are LinkRefs and names. */
export type Args = Record<string, string | number | boolean | string[] | Route[]>;

export interface LinkEnd extends LinkRef {
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
