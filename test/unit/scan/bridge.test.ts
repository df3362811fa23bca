// The scan of bridges and their ports: a bridge becomes a Bridge (its own settings where they differ
// from the defaults, its MAC and MTU left to the kernel, which has them follow the ports), written
// before the ports that refer to it; veth ends and macvlans get `master`/`peerMaster`; the flowchart
// draws each port's edge to its bridge.
import { describe, expect, it } from "vitest";
import { layoutOf } from "../../../provider/scan/layout";
import { mermaidOf } from "../../../provider/scan/mermaid";
import { programOf } from "../../../provider/scan/typescript";
import { hostRead, link, lo, macvlan, namespace, syntaxErrors } from "./reads";

const bridgeData = (stp: number, delay: number) => ({ linkinfo: { info_kind: "bridge", info_data: { stp_state: stp, forward_delay: delay, vlan_filtering: 0 } } });

/** In netns h: br0 (STP on, 4 s) with 10.9.0.1/24; a pair p0 (a port of br0) with its peer eth0 in g; a macvlan port m0 on v0; br1 off and plain. */
function host() {
  const h = namespace(
    "h",
    [
      lo,
      link(2, "br0", { addr_info: [{ family: "inet", local: "10.9.0.1", prefixlen: 24, scope: "global" }], ...bridgeData(1, 400) }),
      link(3, "p0", { link_index: 2, link_netnsid: 0, master: "br0", linkinfo: { info_kind: "veth", info_slave_kind: "bridge" } }),
      link(4, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }),
      link(5, "v1", { link: "v0", linkinfo: { info_kind: "veth" } }),
      link(6, "m0", { link: "v0", master: "br0", ...macvlan("bridge") }),
      link(7, "br1", bridgeData(0, 1500)),
    ],
    { ids: [{ nsid: 0, name: "g" }], announcing: ["br0"] },
  );
  const g = namespace("g", [lo, link(2, "eth0", { link_index: 3, link_netnsid: 0, linkinfo: { info_kind: "veth" } })], { ids: [{ nsid: 0, name: "h" }] });
  return hostRead([h, g], ["g", "h"]);
}

describe("the scan of a bridge and its ports", () => {
  const layout = layoutOf(host());

  it("makes each bridge a Bridge with what differs from the defaults, and no MAC or MTU", () => {
    expect(layout.bridges.map((b) => b.args)).toEqual([
      { name: "br0", netns: "h", stp: true, forwardDelay: 4, addresses: ["10.9.0.1/24"], up: true },
      { name: "br1", netns: "h", up: true },
    ]);
    expect(layout.skipped).toEqual([]);
  });

  it("gives each port its bridge: a veth end's master (here the peer's, g scanned first), a macvlan's master", () => {
    expect(layout.veths.map((v) => [v.args.name, v.args.master, v.args.peerMaster])).toEqual([
      ["eth0", undefined, "br0"],
      ["v0", undefined, undefined],
    ]);
    expect(layout.macvlans.map((m) => [m.name, m.args.master])).toEqual([["m0", "br0"]]);
  });

  it("writes the bridges first, and the ports referring to them", () => {
    const program = programOf(layout, { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    expect(program).toContain('import { Bridge, MacvlanLink, NetNamespace, VethPair } from "pulumi-iproute2";');
    expect(program).toContain('const hBr0 = new Bridge("h-br0", {\n  name: "br0",\n  netns: h.name,\n  stp: true,\n  forwardDelay: 4,\n  addresses: ["10.9.0.1/24"],\n  up: true,\n  adopt: true,\n});');
    expect(program.indexOf("new Bridge(")).toBeLessThan(program.indexOf("new VethPair("));
    expect(program).toMatch(/new VethPair\([^)]*\n {2}peerMaster: hBr0\.name,\n/);
    expect(program).toMatch(/new MacvlanLink\([^)]*\n {2}master: hBr0\.name,\n/);
  });

  it("draws each port's edge to its bridge", () => {
    const chart = mermaidOf(layout);
    expect(chart).toContain('["br0<br/>bridge stp<br/>10.9.0.1/24"]');
    const id = (name: string) => new RegExp(`(l\\d+)\\["${name}<br/>`).exec(chart)?.[1];
    expect(chart).toContain(`  ${id("p0")} -.->|port| ${id("br0")}`);
    expect(chart).toContain(`  ${id("m0")} -.->|port| ${id("br0")}`);
    expect(chart.match(/-\.->\|port\|/g)).toHaveLength(2);
  });

  it("names a bridge it does not manage literally, in a port's master", () => {
    const only = layoutOf({ ...host(), scanned: ["g"] });
    // h was not scanned: its bridge is not written, and the pair names it literally.
    const program = programOf(only, { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    expect(program).toMatch(/(peerMaster|master): "br0", \/\/ .*not managed by this program/);
  });
});

describe("a link whose master is not a bridge", () => {
  it("is listed, not written as a bridge port: a bond's slave, a VRF's member, an Open vSwitch port", () => {
    const ns = namespace("h", [
      lo,
      link(2, "bond0", { linkinfo: { info_kind: "bond" } }),
      link(3, "v0", { link: "v1", master: "bond0", linkinfo: { info_kind: "veth", info_slave_kind: "bond" } }),
      link(4, "v1", { link: "v0", linkinfo: { info_kind: "veth" } }),
      link(5, "vrf0", { linkinfo: { info_kind: "vrf" } }),
      link(6, "m0", { link: "v1", master: "vrf0", ...macvlan("bridge") }),
      link(7, "ovs-system", { linkinfo: { info_kind: "openvswitch" } }),
      link(8, "vx0", { master: "ovs-system", linkinfo: { info_kind: "vxlan", info_data: { id: 5, port: 4789, learning: true, ttl: 0 } } }),
    ]);
    const layout = layoutOf(hostRead([ns], ["h"]));
    expect([layout.veths, layout.macvlans, layout.vxlans]).toEqual([[], [], []]);
    expect(layout.skipped).toEqual(
      expect.arrayContaining([
        'veth v0 in netns "h": the master of v0, bond0, is of kind bond, not a bridge: only a bridge\'s port is written with master',
        'macvlan m0 in netns "h": the master of m0, vrf0, is of kind vrf, not a bridge: only a bridge\'s port is written with master',
        'vxlan vx0 in netns "h": the master of vx0, ovs-system, is of kind openvswitch, not a bridge: only a bridge\'s port is written with master',
      ]),
    );
  });
});
