// The one registry of resource kinds: every kind this package has, by the name its class, its type token
// (`pulumi-nodejs:dynamic/iproute2:<Kind>`) and its owner marks carry, with the kernel's name for the
// link a link kind makes. What is derived from it: the ResourceKind type (hostResource.ts, owners), the
// handler map stored states load (impl.ts, from each class's `handlers`, the compiler checking that
// index.ts exports a class per kind), the scan's class names (scan/, bootPart.ts labels), and the
// kernel kind a link kind's lifecycle makes and recognizes (kernelKindOf, by its spec's kind).
// A leaf: only names, so every layer may read it.

/** Each kind, in the order the provider lists them; `kernelKind`: what `ip -d link` calls its links. */
export const resourceKinds = {
  Echo: {},
  NetNamespace: {},
  VethPair: { kernelKind: "veth" },
  MacvlanLink: { kernelKind: "macvlan" },
  Macvtap: { kernelKind: "macvtap" },
  Bridge: { kernelKind: "bridge" },
  Vxlan: { kernelKind: "vxlan" },
} as const satisfies Record<string, { kernelKind?: string }>;

/** The resource kinds whose handlers `pulumi-iproute2/impl` exports. */
export type ResourceKind = keyof typeof resourceKinds;

/** The kinds that manage something on a host (all but Echo): the ones an owner's mark can name. */
export type HostKind = Exclude<ResourceKind, "Echo">;

export const resourceKindNames = Object.keys(resourceKinds) as ResourceKind[];

type Kinds = typeof resourceKinds;

/** The kinds that make a link (a veth pair: its first end). */
export type LinkKind = { [K in ResourceKind]: Kinds[K] extends { kernelKind: string } ? K : never }[ResourceKind];

/** What the kernel calls the links of a link kind ("macvlan"). */
export type KernelKind = { [K in LinkKind]: Kinds[K]["kernelKind"] }[LinkKind];

/** What the kernel calls the links a link kind makes: its registry entry, read by its lifecycle. */
export function kernelKindOf<K extends LinkKind>(kind: K): Kinds[K]["kernelKind"] {
  return resourceKinds[kind].kernelKind;
}

/** The kind whose resource makes a link the kernel calls `kernelKind`, if this package has one. */
export function kindOfLink(kernelKind: string | undefined): LinkKind | undefined {
  if (kernelKind === undefined) return undefined; // a link without a kind (a NIC): none makes it
  return resourceKindNames.find((kind): kind is LinkKind => (resourceKinds[kind] as { kernelKind?: string }).kernelKind === kernelKind);
}

/** The class name of the resource that makes links of `kernelKind` (one this package manages). */
export function classOfLink(kernelKind: KernelKind): LinkKind {
  const kind = kindOfLink(kernelKind);
  if (kind === undefined) throw new Error(`no resource kind makes ${kernelKind} links`);
  return kind;
}
