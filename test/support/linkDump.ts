// What a reboot must not change about a namespace's links, from `ip -j -d -n NETNS addr show`: each
// link's name, ifindex, MAC, MTU, up state, kind, mode (a bridge's STP), its bridge, and addresses (not
// the link-local ones the kernel makes anew).
export function linksFromDump(netns: string, json: string) {
  const dump = JSON.parse(json) as {
    ifname: string;
    ifindex: number;
    address: string;
    mtu: number;
    flags: string[];
    master?: string;
    linkinfo?: { info_kind?: string; info_data?: { mode?: string; stp_state?: number } };
    addr_info: { local: string; prefixlen: number; scope: string }[];
  }[];
  return dump.map((l) => ({
    netns,
    name: l.ifname,
    ifindex: l.ifindex,
    mac: l.address,
    mtu: l.mtu,
    up: l.flags.includes("UP"),
    kind: l.linkinfo?.info_kind,
    mode: l.linkinfo?.info_data?.mode,
    stp: l.linkinfo?.info_data?.stp_state,
    master: l.master,
    addresses: l.addr_info.filter((a) => a.scope !== "link").map((a) => `${a.local}/${a.prefixlen}`),
  }));
}
