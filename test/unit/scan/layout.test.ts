// The scan's layout: which links become which resource with which arguments, what each refers to,
// and what is left out, with why; from `ip` output recorded in the demo's lab or written here.
import { describe, expect, it } from "vitest";
import { layoutOf } from "../../../provider/scan/layout";
import { mermaidOf } from "../../../provider/scan/mermaid";
import { programOf } from "../../../provider/scan/typescript";
import { namespaceReadCommands } from "../../../provider/state/namespaceScan";
import { demo, demoResults, hostRead, link, lo, macvlan, namespace, syntaxErrors } from "./reads";

describe("the demo's lab, as recorded", () => {
  it.each(["demo-lab", "demo-ns1", "demo-ns2"])("was recorded with the commands a scan runs (%s)", (netns) => {
    expect(demoResults(netns).map((r) => r.command)).toStrictEqual(namespaceReadCommands(netns));
  });

  it("is a pair named for the children's parent, two children referring to it, and nothing left out", () => {
    const layout = layoutOf(demo());
    expect(layout.namespaces.map((n) => n.name)).toEqual(["demo-lab", "demo-ns1", "demo-ns2"]);
    expect(layout.veths.map((v) => [v.end.name, v.peer.name, v.peer.addresses])).toEqual([["veth0", "veth1", ["10.77.0.254/24"]]]);
    expect(layout.macvlans.map((m) => [m.netns, m.name, m.mode, m.parent, m.addresses])).toEqual([
      ["demo-ns1", "mac1", "bridge", { netns: "demo-lab", name: "veth0" }, ["10.77.0.1/24"]],
      ["demo-ns2", "mac2", "bridge", { netns: "demo-lab", name: "veth0" }, ["10.77.0.2/24"]],
    ]);
    expect(layout.skipped).toEqual([]);
  });
});

describe("what a scan leaves out, and why", () => {
  it("names links of other kinds literally, and lists them with their addresses and routes", () => {
    const host = namespace(undefined, [lo, link(2, "eth0", { addr_info: [{ family: "inet", local: "192.0.2.5", prefixlen: 24, scope: "global" }] }), link(3, "mv0", { link: "eth0", ...macvlan("bridge") })], {
      v4: [{ dst: "default", gateway: "192.0.2.1", dev: "eth0", protocol: "dhcp", flags: [] }],
    });
    const layout = layoutOf(hostRead([host], [undefined]));
    expect(layout.skipped).toEqual([
      "device eth0 in the host's namespace (192.0.2.5/24): not a kind this package manages",
      "route default via 192.0.2.1 dev eth0 proto dhcp in the host's namespace: on eth0, which is not managed",
    ]);
    const program = programOf(layout, { hostLabel: "localhost" });
    expect(program).toContain('  parent: "eth0", // device, not managed by this program\n');
    expect(program).not.toContain("parentNetns");
    expect(mermaidOf(layout)).toContain('["eth0<br/>device<br/>192.0.2.5/24"]');
  });

  it("leaves out addresses handed out with a lifetime (SLAAC, DHCP), saying so", () => {
    const addresses = [
      { family: "inet", local: "10.0.0.9", prefixlen: 24, scope: "global" },
      { family: "inet6", local: "2001:db8::5054:ff:fe00:1", prefixlen: 64, scope: "global", dynamic: true },
      { family: "inet6", local: "fe80::1", prefixlen: 64, scope: "link" },
    ];
    const ns = namespace("a", [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v0", linkinfo: { info_kind: "veth" } }), link(4, "m0", { link: "v0", addr_info: addresses, ...macvlan("bridge") })]);
    const layout = layoutOf(hostRead([ns], ["a"]));
    expect(layout.macvlans[0]?.args.addresses).toEqual(["10.0.0.9/24"]);
    expect(layout.skipped).toEqual(['address 2001:db8::5054:ff:fe00:1/64 on m0 in netns "a": handed out with a lifetime (SLAAC or DHCP), which renews it']);
  });

  it("keeps routes added by hand (taken over) and ours, and lists the ones a route cannot carry or another daemon owns", () => {
    const ns = namespace("a", [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v0", linkinfo: { info_kind: "veth" } }), link(4, "m0", { link: "v0", ...macvlan("bridge") })], {
      v4: [
        { dst: "10.1.0.0/16", gateway: "10.0.0.1", dev: "m0", flags: [] },
        { dst: "10.2.0.0/16", gateway: "10.0.0.1", dev: "m0", protocol: "static", metric: 5, flags: [] },
        { dst: "10.3.0.0/16", gateway: "10.0.0.1", dev: "m0", protocol: "bird", flags: [] },
        { dst: "10.4.0.0/16", gateway: "10.0.0.1", dev: "m0", prefsrc: "10.0.0.9", flags: [] },
        { dst: "10.0.0.0/24", dev: "m0", protocol: "kernel", scope: "link", prefsrc: "10.0.0.9", flags: [] },
        { dst: "10.5.0.0/16", gateway: "10.0.0.1", dev: "v1", flags: [] },
        { type: "blackhole", dst: "10.6.0.0/16", flags: [] },
      ],
      v6: [{ dst: "fe80::/64", dev: "m0", protocol: "kernel", metric: 256, pref: "medium", flags: [] }],
    });
    const layout = layoutOf(hostRead([ns], ["a"]));
    const [m0] = layout.macvlans;
    expect(m0?.args.routes).toEqual([{ to: "10.1.0.0/16", via: "10.0.0.1", metric: 0 }, { to: "10.2.0.0/16", via: "10.0.0.1", metric: 5 }]);
    expect(m0?.notes).toEqual([
      "route 10.1.0.0/16 via 10.0.0.1 dev m0 proto boot was added by hand: adopting replaces it in place as proto static (`ip route replace`), the protocol this package's routes carry, so that refresh sees it; the route itself does not change",
    ]);
    expect(layout.skipped).toEqual([
      'route 10.5.0.0/16 via 10.0.0.1 dev v1 proto boot in netns "a": a VethPair does not manage routes',
      'route 10.3.0.0/16 via 10.0.0.1 dev m0 proto bird in netns "a": made by bird, which keeps it (not taken over)',
      'route 10.4.0.0/16 via 10.0.0.1 dev m0 proto boot in netns "a": it has prefsrc, which a route of this package cannot carry',
      'route blackhole 10.6.0.0/16 proto boot in netns "a": it is on no single link',
    ]);
  });

  it("follows a parent and a peer into the namespaces named by id, and takes an id with no name for the host's own", () => {
    const a = namespace("a", [lo, link(2, "m0", { link_index: 7, link_netnsid: 0, ...macvlan("private") }), link(3, "x0", { link_index: 9, link_netnsid: 1, linkinfo: { info_kind: "veth" } })], {
      ids: [{ nsid: 0, name: "b" }, { nsid: 1 }],
    });
    const b = namespace("b", [lo, link(7, "eth1")]);
    const host = namespace(undefined, [lo, link(9, "x1", { link_index: 3, link_netnsid: 0, linkinfo: { info_kind: "veth" } })], { ids: [{ nsid: 0, name: "a" }] });
    const layout = layoutOf(hostRead([a, b, host], ["a"]));
    expect(layout.macvlans[0]?.parent).toEqual({ netns: "b", name: "eth1" });
    // The host's end is the pair's `name`: a `peerNetns` left out means `netns`, so it cannot be the peer.
    expect(layout.veths.map((v) => [v.end, v.peer].map((e) => `${e.netns ?? "host"}/${e.name}`))).toEqual([["host/x1", "a/x0"]]);
    const program = programOf(layout, { hostLabel: "localhost" });
    expect(program).toContain('  parent: "eth1", // device, not managed by this program\n  parentNetns: "b",\n');
    expect(program).toContain("// x1 is in the host's namespace, which was not scanned: the pair manages that end too");
    expect(mermaidOf(layout)).toContain('subgraph ns1["host (not scanned)"]');
  });

  it("lists a veth whose peer is in a namespace with no name, and one whose peer does not name it back", () => {
    const host = namespace(undefined, [lo, link(2, "vethabc", { link_index: 2, link_netnsid: 0, linkinfo: { info_kind: "veth" } })], { ids: [{ nsid: 0 }] });
    expect(layoutOf(hostRead([host], [undefined])).skipped).toEqual([
      "veth vethabc in the host's namespace: its peer cannot be found (it is in a namespace with no name (id 0, a container's, say), which no name in /run/netns reaches)",
    ]);
    const a = namespace("a", [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v9", linkinfo: { info_kind: "veth" } }), link(4, "v9")]);
    expect(layoutOf(hostRead([a], ["a"])).skipped[0]).toBe('veth v0 in netns "a": v1 in netns "a" does not name it back as its peer');
  });

  it("leaves out what its resource would refuse as it is, and a host child whose parent is in a namespace", () => {
    const v6 = [{ family: "inet6", local: "fd00::1", prefixlen: 64, scope: "global" }];
    const a = namespace("a", [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v0", linkinfo: { info_kind: "veth" } }), link(4, "m0", { link: "v0", flags: ["BROADCAST"], addr_info: v6, ...macvlan("bridge") })], {
      ids: [{ nsid: 0 }],
    });
    const host = namespace(undefined, [lo, link(5, "mh", { link_index: 2, link_netnsid: 0, ...macvlan("bridge") })], { ids: [{ nsid: 0, name: "a" }] });
    const layout = layoutOf(hostRead([a, host], [undefined, "a"]));
    expect(layout.macvlans).toEqual([]);
    expect(layout.skipped).toEqual([
      'macvlan mh in the host\'s namespace: its parent is in netns "a": a MacvlanLink left without netns is put in its parent\'s',
      'macvlan m0 in netns "a": as it is, it would be refused: addresses IPv6 addresses need up: true (the kernel drops them while the link is down)',
    ]);
  });
});

describe("a vxlan", () => {
  const vxlanLink = (ifindex: number, name: string, infoData: object, extra: object = {}) =>
    link(ifindex, name, { linkinfo: { info_kind: "vxlan", info_data: { port: 4789, learning: true, ttl: 0, ...infoData } }, mtu: 1450, ...extra });
  const underlay = link(2, "ul0", { link: "ul1", linkinfo: { info_kind: "veth" } });
  const peer = link(3, "ul1", { link: "ul0", linkinfo: { info_kind: "veth" } });

  it("becomes a Vxlan with its tunnel, its flood list and its underlay referred to", () => {
    const br0 = link(5, "br0", { linkinfo: { info_kind: "bridge", info_data: { stp_state: 0, forward_delay: 1500, vlan_filtering: 0 } } });
    const ns = namespace("a", [lo, underlay, peer, vxlanLink(4, "vx0", { id: 42, local: "10.0.0.1", remote: "10.0.0.2", link: "ul0", learning: false }, { master: "br0" }), br0]);
    ns.links[3]!.observed.vxlan!.remotes = ["10.0.0.3"];
    const layout = layoutOf(hostRead([ns], ["a"]));
    expect(layout.vxlans.map((v) => [v.name, v.vni, v.underlay])).toEqual([["vx0", 42, { netns: "a", name: "ul0" }]]);
    expect(layout.vxlans[0]?.args).toMatchObject({ vni: 42, local: "10.0.0.1", remote: "10.0.0.2", dstPort: 4789, underlay: "ul0", learning: false, remotes: ["10.0.0.3"], master: "br0" });
    const program = programOf(layout, { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    expect(program).toContain("import { Bridge, NetNamespace, VethPair, Vxlan } from \"pulumi-iproute2\";");
    expect(program).toMatch(/new Vxlan\("a-vx0", \{\n {2}name: "vx0",\n {2}netns: a\.name,\n {2}vni: 42,\n/);
    expect(program).toMatch(/ {2}underlay: aUl0\.name,\n/);
    expect(program).toContain('  remotes: ["10.0.0.3"],\n');
    const chart = mermaidOf(layout);
    expect(chart).toContain('["vx0<br/>vxlan 42"]');
    expect(chart).toMatch(/ l\d+ --> l\d+\n/);
  });

  it("is listed, not written, when it has what a Vxlan cannot say (a collect-metadata tunnel, as flannel makes)", () => {
    const flannel = { external: true, id: 0, port_range: { low: 1000, high: 2000 }, port: 8472, learning: false, ttl: 5, df: "unset", ageing: 60 };
    const layout = layoutOf(hostRead([namespace("a", [lo, vxlanLink(4, "flannel.1", flannel)])], ["a"]));
    expect(layout.vxlans).toEqual([]);
    expect(layout.skipped).toEqual([
      'vxlan flannel.1 in netns "a": it has what a Vxlan cannot say (ttl 5, external, srcport 1000 2000, ageing 60): one made from it, at a replace or a boot, would be another tunnel',
    ]);
  });

  it("is listed, not written, when it was moved from the namespace that made it", () => {
    const ns = namespace("a", [lo, vxlanLink(4, "vx0", { id: 7, link: "if34" }, { link_netnsid: 0 })]);
    const layout = layoutOf(hostRead([ns], ["a"]));
    expect(layout.vxlans).toEqual([]);
    expect(layout.skipped).toEqual([expect.stringMatching(/^vxlan vx0 in netns "a": it was made in another namespace and moved here/)]);
  });
});
