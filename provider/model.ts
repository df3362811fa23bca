// Desired and observed shapes of what this package manages, and the closed table of macvlan modes
// (names as iproute2 spells them). Desired values come out of schema/ fully defaulted; observed values
// come out of state/ from `ip -j` output. The two are kept apart so a diff always says which is which.

/** macvlan/macvtap modes, as iproute2 spells them (and as users write them). */
export const macvlanModes = ["bridge", "private", "vepa", "passthru", "source"] as const;
export type MacvlanMode = (typeof macvlanModes)[number];

// iproute2 prints and takes these names, both ways: the kernel's values (MACVLAN_MODE_* in
// include/uapi/linux/if_link.h: private 1, vepa 2, bridge 4, passthru 8, source 16) never reach us, so
// this list is the whole table.

/** Parses a mode name from iproute2 output; an unknown name is an error, never a guess. */
export function parseMacvlanMode(name: string): MacvlanMode {
  if ((macvlanModes as readonly string[]).includes(name)) return name as MacvlanMode;
  throw new Error(`unknown macvlan mode "${name}" in iproute2 output`);
}

/** A route we manage on a link. `to` is "default" or a CIDR. */
export type Route = {
  to: string;
  via?: string;
  metric?: number;
  /**
   * Only on a route found with another protocol on a link being adopted. Adopt takes over only one
   * added by hand (`proto boot`) with nothing `beyond`: the plan then replaces it in place (`ip route
   * replace ... proto static`) instead of adding it anew.
   */
  protocol?: string;
  /** Only with `protocol`: what the route has beyond these fields (a source address, a scope...). */
  beyond?: string;
};

/** Protocols of the routes the kernel makes and owns itself (prefix routes, router advertisements). */
export const kernelRouteProtocols: readonly string[] = ["kernel", "ra", "redirect"];

/** Where commands run: this machine, or another over OpenSSH. */
export type LocalConnection = {
  type: "local";
  sudo: boolean;
  /** The default of its resources' `persist`: whether the host replays them at boot. */
  persist: boolean;
};

export type SshConnection = {
  type: "ssh";
  host: string;
  port: number;
  user?: string;
  /** A private key as text (a Pulumi secret in practice); it is only ever held in memory. */
  privateKey?: string;
  privateKeyPassphrase?: string;
  /** Default: SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** A pinned host key, in authorized_keys form ("ssh-ed25519 AAAA..."). */
  hostKey?: string;
  /** Default: the user's known_hosts. */
  knownHostsFile?: string;
  /** One jump host, "[user@]host[:port]", verified like the target. */
  proxyJump?: string;
  /** The jump host's pinned key, in authorized_keys form; default: known_hosts. */
  proxyJumpHostKey?: string;
  /** An ssh_config file to use instead of ~/.ssh/config (OpenSSH reads ~ from the passwd entry, not HOME). */
  sshConfigFile?: string;
  /** Run iproute2 through `sudo -n`. */
  sudo: boolean;
  /** The default of its resources' `persist`: whether the host replays them at boot. */
  persist: boolean;
  connectTimeoutSeconds: number;
  connectRetries: number;
};

export type Connection = LocalConnection | SshConnection;

/**
 * Where a host keeps what replays its resources at boot (plan/bootFiles.ts): a part per resource in
 * parts/, named by `bootPartFile`.
 */
export const bootFolder = "/etc/pulumi-iproute2";

/** The unit that replays the boot description at boot, and the link that enables it. */
export const bootUnit = "/etc/systemd/system/pulumi-iproute2.service";
export const bootUnitEnabled = "/etc/systemd/system/multi-user.target.wants/pulumi-iproute2.service";

/**
 * A resource's part: `netns:NAME.part`, or `link:NETNS:NAME.part` ("-" for the host's namespace, which
 * no namespace name can be). A link name has no ":", so the last one ends the namespace's name.
 */
export function bootPartFile(object: { kind: "netns"; name: string } | { kind: "link"; netns?: string; name: string }): string {
  return object.kind === "netns" ? `netns:${object.name}.part` : `link:${object.netns ?? "-"}:${object.name}.part`;
}

// ---- Desired (validated, defaulted) ----

/** What every resource that manages something on a host has besides its own fields. */
export type HostObjectDesired = {
  /** Take over an object of that name that exists already, instead of failing. */
  adopt: boolean;
  /** The host replays it at boot, from its part of the boot description (plan/bootPart.ts). */
  persist: boolean;
  /**
   * Who made it, `project/stack/Kind/resourceName` (ownerMark.ts): written on the host as its mark, so a
   * create cut off can be resumed and a stranger's object of that name is never taken for this one's.
   * Unset in states from before marks (nothing on the host carries one).
   */
  owner?: string;
  connection: Connection;
};

export type NetNamespaceDesired = HostObjectDesired & {
  name: string;
  loopbackUp: boolean;
};

/**
 * The fields every link kind shares, declared once (as netlink's kinds embed one LinkAttrs); a kind adds
 * its own. A veth pair's are its first end's, and its peer's where it has no field of its own (mtu, up).
 */
export type LinkDesired = HostObjectDesired & {
  name: string;
  netns?: string;
  mtu?: number;
  addresses: string[];
  up: boolean;
  /** Neighbours are told of the link's addresses when it comes up, changes MAC or moves (arp_notify, ndisc_notify). */
  announce: boolean;
  /** IPv6 addresses are added without duplicate address detection, so create and update do not wait for it. */
  nodad: boolean;
};

/** One link, as every kind but a pair is: its own MAC, queue length and routes too. */
export type SingleLinkDesired = LinkDesired & {
  macAddress?: string;
  txQueueLength?: number;
  routes: Route[];
};

/**
 * What a link that can be a bridge port has (a veth end, a macvlan, a vxlan): the bridge it is a port of,
 * by its name in the link's own namespace (the kernel looks it up there); unset: a port of none.
 */
export type PortDesired = {
  master?: string;
};

/**
 * A link that can run a DHCP client (IPv4) in its namespace: udhcpc with a program and files of its own
 * per namespace and link (plan/dhcpProgram.ts; docs/dhcp.md).
 */
export type DhcpDesired = {
  dhcp: boolean;
};

/** A lease as the client's program records it (state/dhcpLease.ts): what a stack's outputs show. */
export type DhcpLease = {
  /** The leased address, without its prefix. */
  address: string;
  prefixLength: number;
  /** The lease's router (option 3), the first one; none when the server gives none. */
  gateway?: string;
  /** The DHCP server that granted it (option 54). */
  server: string;
  /** Seconds, as granted (option 51): not the time left, which would change at every refresh. */
  leaseTime: number;
};

/** A client as read on its host: whether it runs (its own process, in the link's namespace), and its lease. */
export type DhcpObserved = {
  running: boolean;
  lease?: DhcpLease;
};

export type VethPairDesired = LinkDesired & {
  peerName: string;
  peerNetns?: string;
  peerAddresses: string[];
  /** A DHCP client on the first end; `peerDhcp` on the peer. */
  dhcp: boolean;
  peerDhcp: boolean;
  /** The bridge the first end is a port of. */
  master?: string;
  /** The bridge the peer is a port of, in the peer's namespace. */
  peerMaster?: string;
};

export type MacvlanLinkDesired = SingleLinkDesired & PortDesired & DhcpDesired & {
  parent: string;
  parentNetns?: string;
  mode: MacvlanMode;
  nopromisc: boolean;
  sourceMacs: string[];
  bcQueueLength?: number;
};

/**
 * A bridge: its STP, the forward delay STP uses (in seconds, as brctl and systemd-networkd take it; the
 * kernel's unit is the centisecond), and VLAN filtering. Its MAC and MTU follow its ports unless set.
 */
export type BridgeDesired = SingleLinkDesired & {
  stp: boolean;
  forwardDelay: number;
  vlanFiltering: boolean;
};

/**
 * A VXLAN tunnel end, made in its namespace with its underlay there (its UDP socket stays in the
 * namespace that made it: docs/vxlan.md). Its addresses are all of one family, the tunnel's.
 */
export type VxlanDesired = SingleLinkDesired & PortDesired & {
  /** The VXLAN network identifier, 0..16777215. */
  vni: number;
  /** The source address of the tunnel's packets. */
  local?: string;
  /** The unicast remote end; not with `group`. */
  remote?: string;
  /** The multicast group of the segment; needs `underlay`. */
  group?: string;
  /** The UDP destination port; always sent (the kernel's own default is 8472, not IANA's 4789). */
  dstPort: number;
  /** The link the tunnel's packets go out on (`dev`), in the same namespace. */
  underlay?: string;
  learning: boolean;
  /** More unicast ends to flood to: all-zero fdb entries (`bridge fdb append 00:00:00:00:00:00 dst IP`). */
  remotes: string[];
};

export type VxlanState = SingleLinkState<VxlanDesired>;

/** The all-zero MAC: an fdb entry under it is a destination for broadcast and unknown unicast frames. */
export const floodMac = "00:00:00:00:00:00";

// ---- Observed (what `ip -j` reports) ----

/** One link as the kernel reports it, with the addresses and the routes we manage on it. */
/**
 * Where a link's peer (a veth's other end) or parent (a macvlan's lower link) is, as the link's own
 * namespace knows it. In that same namespace, iproute2 names it (or gives its ifindex); in another, it
 * gives its ifindex there and the id the link's namespace gives that one, which `ip netns list-id`
 * there maps to the names /run/netns has for it: none for a namespace without a name (the connection's
 * own, a container's).
 */
export type LinkPeer =
  | { where: "same"; name?: string; ifindex?: number }
  | { where: "other"; nsid: number; names: string[]; ifindex?: number }
  | { where: "unknown"; why: string };

export type LinkObserved = {
  name: string;
  ifindex: number;
  kind?: string;
  /** The parent's name when it is in the same namespace. */
  parentLink?: string;
  /** The parent's ifindex, in the parent's own namespace. */
  parentIndex?: number;
  /**
   * When the peer or parent is in another namespace: the id this link's namespace gives that one
   * (iproute2's `link_netnsid`; -1 when the kernel had none to give). Ifindexes repeat in every
   * namespace: `parentIndex` alone names no link.
   */
  parentNetnsid?: number;
  /** Where its peer or parent is, when the read listed its namespace's ids too (a refresh's batch). */
  peer?: LinkPeer;
  macAddress: string;
  mtu: number;
  txQueueLength: number;
  up: boolean;
  addresses: string[];
  routes: Route[];
  /** Its `ifalias`, if it has one: an owner's mark (ownerMark.ts) or a person's description. */
  alias?: string;
  /** The bridge (or other master) it is a port of, by its name in the link's namespace. */
  master?: string;
  /** Its group by number, unless it has a name (`default`): a create cut off before its mark left the owner's creation group. */
  group?: number;
  /** Its DHCP client, read with its program's `status` (a read of its own: undefined until then). */
  dhcp?: DhcpObserved;
  /** A bridge's own settings (`linkinfo.info_data`), the forward delay in seconds. */
  bridge?: {
    stp: boolean;
    forwardDelay: number;
    vlanFiltering: boolean;
  };
  macvlan?: {
    mode: MacvlanMode;
    nopromisc: boolean;
    sourceMacs: string[];
    bcQueueLength?: number;
  };
  vxlan?: {
    vni: number;
    local?: string;
    remote?: string;
    group?: string;
    dstPort: number;
    /** `info_data.link`: the underlay's name, or `ifNN` when it is in another namespace. */
    underlay?: string;
    learning: boolean;
    /** The flood list beyond `remote`, read with `bridge fdb` (a read of its own: undefined until then). */
    remotes?: string[];
    /** What it has that a Vxlan cannot say, in `ip link add` words ("external", "ttl 5"): none when empty. */
    beyond: string[];
  };
};

export type NetNamespaceObserved = {
  name: string;
  loopbackUp: boolean;
  /** Its `lo`'s `ifalias`, where a namespace carries its owner's mark. */
  alias?: string;
};

/** Routes we add carry this protocol, so ours are told apart from the kernel's and other tools'. */
export const routeProtocol = "static";

/** What makes two routes the same one: destination, gateway and metric. */
export const routeKey = (r: Route) => `${r.to} ${r.via ?? ""} ${r.metric ?? 0}`;

/** Whether an address or CIDR ("10.0.0.1/24", "fd00::1/64") is IPv6: the one test, everywhere. */
export function isIPv6Address(addressOrCidr: string): boolean {
  return addressOrCidr.includes(":");
}

/** The address family of a route: its destination's, else its gateway's, else IPv4. */
export function routeFamily(route: Route): 4 | 6 {
  const address = route.to !== "default" ? route.to : route.via;
  return address !== undefined && isIPv6Address(address) ? 6 : 4;
}

// ---- State (a resource's outputs: what Pulumi keeps) ----

/**
 * Optional arguments whose value the kernel picks when the user gives none (a MAC, an MTU). Outputs
 * always carry the observed value; `kernelChosen` lists the ones the user left to the kernel, so that
 * refresh can hand back the user's inputs without them and a diff does not try to manage them.
 */
export const kernelChosenFields = ["macAddress", "mtu", "txQueueLength", "bcQueueLength", "tapOwner", "tapGroup"] as const;
export type KernelChosen = (typeof kernelChosenFields)[number];

/** What every link kind's state holds beyond its arguments: what the kernel reports of the link. */
export type LinkOutputs = {
  macAddress: string;
  mtu: number;
  ifindex: number;
  kernelChosen: KernelChosen[];
};

/** A single link's state: a kind's arguments (`D`) as the kernel has them, with its outputs. */
export type SingleLinkState<D extends SingleLinkDesired = SingleLinkDesired> = D & LinkOutputs & { txQueueLength: number };

export type MacvlanLinkState = SingleLinkState<MacvlanLinkDesired> & {
  bcQueueLength: number;
  /** The DHCP client's lease, as last read; none without a client, or before its first lease. */
  dhcpLease?: DhcpLease;
};

export type BridgeState = SingleLinkState<BridgeDesired>;

export type VethPairState = VethPairDesired & LinkOutputs & {
  peerMacAddress: string;
  peerIfindex: number;
  /** Each end's DHCP lease, as last read (see MacvlanLinkState's). */
  dhcpLease?: DhcpLease;
  peerDhcpLease?: DhcpLease;
};

export type NetNamespaceState = NetNamespaceDesired & { path: string };

// ---- Macvtap: a macvlan whose frames go to a character device a VM opens ----

export type MacvtapDesired = MacvlanLinkDesired & {
  /** uid or user name for the tap device node; left as the system made it when unset. */
  tapOwner?: string;
  /** gid or group name; left as the system made it when unset. */
  tapGroup?: string;
  /** Octal permissions of the node, 4 digits ("0600"). */
  tapMode: string;
  /** Where the node goes, if not /dev/tap<ifindex>. */
  tapDevicePath?: string;
};

/** `stat -c` format of a device node as read and, before a change, compared again on the host. */
export const nodeStatFormat = "%t:%T %u %g %U %G %a %F";

/** In place of `nodeStatFormat`'s line: there is no node. */
export const noNode = "absent";

/** A character device node as `stat` reports it. */
export type TapNodeObserved = {
  path: string;
  /** The line `nodeStatFormat` printed: a change goes ahead only while the node still prints it. */
  statLine: string;
  /** "major:minor", decimal. */
  devNumbers: string;
  /** Whether a live device has `devNumbers` (/sys/dev/char/MAJOR:MINOR): a node with other numbers is stale unless one has. */
  numbersInUse: boolean;
  uid: string;
  gid: string;
  user: string;
  group: string;
  /** 4 octal digits. */
  mode: string;
};

/** "UID GID" of a node, as the node program (plan/tapNodeScript.ts) compares them before it removes one. */
export const nodeOwnerIds = (node: Pick<TapNodeObserved, "uid" | "gid">): string => `${node.uid} ${node.gid}`;

export type MacvtapState = MacvlanLinkState & Pick<MacvtapDesired, "tapOwner" | "tapGroup" | "tapMode" | "tapDevicePath"> & {
  /** The node QEMU opens. */
  tapDevice: string;
  /** "major:minor" of the macvtap's character device, from sysfs. */
  tapDevNumbers: string;
  /** Whether this package made the node (it then removes it on delete); devtmpfs or udev make their own. */
  tapNodeCreated: boolean;
  /**
   * "UID GID" of the node this package made, as last seen while its device lived (refresh keeps it up to
   * date; a reboot's restore makes the node again with the same owner); "" when not known (a state of an
   * earlier version, a create cut off). Removal takes the node at the path only while it still has the
   * device's numbers and this owner: one given to another owner, or made by someone else for another
   * owner, stays.
   */
  tapNodeOwnerIds: string;
};

/**
 * A jump host, "[user@]host[:port]" (groups: user, host, port); host a name, an IPv4 address or a
 * bracketed IPv6 one. The runner pastes it into a local shell command, so nothing else is allowed.
 */
export const jumpHost = /^(?:([A-Za-z_][A-Za-z0-9_.-]*)@)?([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
