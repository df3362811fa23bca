// What an observed link and namespace say of their owner's mark: the alias as `ip -j -d` prints it.
import { describe, expect, it } from "vitest";
import { linkWithAddresses } from "../../../provider/state/ipJson";
import { netnsFromResults } from "../../../provider/state/netns";
import type { LinkObserved } from "../../../provider/model";
import { observeLink, withVxlanRemotes } from "../../../provider/state/observeLink";

const printed = (extra: object) =>
  linkWithAddresses.parse({ ifindex: 4, ifname: "m1", flags: ["UP"], mtu: 1500, address: "02:00:00:00:00:01", linkinfo: { info_kind: "veth" }, addr_info: [], ...extra });

describe("an observed link's alias", () => {
  it("is its ifalias, and absent when it has none", () => {
    expect(observeLink(printed({ ifalias: "pulumi-iproute2:p/s/VethPair/v" }), []).alias).toBe("pulumi-iproute2:p/s/VethPair/v");
    expect(observeLink(printed({}), [])).not.toHaveProperty("alias");
  });
});

describe("an observed namespace's alias", () => {
  it("is its lo's", () => {
    const lo = { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP"], mtu: 65536, ifalias: "pulumi-iproute2:p/s/NetNamespace/ns1" };
    const results = [{ exitCode: 0, stdout: JSON.stringify([lo]), stderr: "", command: { argv: [] } }];
    expect(netnsFromResults(results, "ns1")).toEqual({ name: "ns1", loopbackUp: true, alias: "pulumi-iproute2:p/s/NetNamespace/ns1" });
  });
});

describe("a vxlan's flood list (withVxlanRemotes), from what `bridge -j fdb show dev X` printed", () => {
  const vxlanLink = (remote?: string): LinkObserved => ({
    name: "vxr", ifindex: 9, kind: "vxlan", macAddress: "3a:7f:60:81:c0:1a", mtu: 1450, txQueueLength: 1000, up: true, addresses: [], routes: [],
    vxlan: { vni: 401, dstPort: 4789, learning: true, underlay: "u0", ...(remote !== undefined && { remote }), beyond: [] },
  });
  const fdbResult = (entries: object[]) => ({ command: { argv: ["bridge"] }, exitCode: 0, stdout: `${JSON.stringify(entries)}\n`, stderr: "" });
  // Recorded with remote 10.123.0.2 dev u0, master brv, one entry appended, and one learned (docs: BRIDGE-VXLAN.md §4).
  const recorded = [
    { mac: "3a:7f:60:81:c0:1a", flags: [], master: "brv", state: "permanent" },
    { mac: "00:00:00:00:00:00", dst: "10.123.0.2", viaIf: "u0", flags: ["self"], state: "permanent" },
    { mac: "00:00:00:00:00:00", dst: "10.123.0.7", flags: ["self"], state: "permanent" },
    { mac: "4e:ad:27:bd:70:52", dst: "10.200.0.2", flags: ["self"] },
  ];

  it("is the all-zero entries of the device itself but remote's, not the bridge's nor learned ones", () => {
    expect(withVxlanRemotes(vxlanLink("10.123.0.2"), fdbResult(recorded)).vxlan?.remotes).toEqual(["10.123.0.7"]);
  });

  it("counts remote's entry as one of the list when the tunnel has no remote (drift)", () => {
    expect(withVxlanRemotes(vxlanLink(), fdbResult(recorded)).vxlan?.remotes).toEqual(["10.123.0.2", "10.123.0.7"]);
  });

  it("reads a moved tunnel's entries (viaIfIndex) the same way", () => {
    const moved = [
      { mac: "00:00:00:00:00:00", dst: "10.123.0.7", linkNetNsId: 0, flags: ["self"], state: "permanent" },
      { mac: "00:00:00:00:00:00", dst: "10.123.0.2", viaIfIndex: 34, linkNetNsId: 0, flags: ["self"], state: "permanent" },
    ];
    expect(withVxlanRemotes(vxlanLink("10.123.0.2"), fdbResult(moved)).vxlan?.remotes).toEqual(["10.123.0.7"]);
  });
});

describe("an observed vxlan", () => {
  it("has its tunnel from info_data, IPv6 keys too", () => {
    const link = observeLink(printed({ linkinfo: { info_kind: "vxlan", info_data: { id: 200, remote6: "2001:db8::2", local6: "2001:DB8::1", link: "u0", port: 4789, learning: false, ttl: 0 } } }), []);
    expect(link.vxlan).toStrictEqual({ vni: 200, local: "2001:db8::1", remote: "2001:db8::2", dstPort: 4789, underlay: "u0", learning: false, beyond: [] });
  });

  // As `ip -j -d link show` (iproute2 6.1, kernel 6.18) printed them.
  const madeByPlan = { id: 5, port_range: { low: 0, high: 0 }, port: 4789, learning: true, ttl: 0, df: "unset", ageing: 300, udp_csum: true, udp_zero_csum6_tx: false, udp_zero_csum6_rx: false };
  const vxlanOf = (info_data: object) => observeLink(printed({ linkinfo: { info_kind: "vxlan", info_data } }), []).vxlan;

  it("has nothing beyond a Vxlan's fields when made with none of the kernel's other options", () => {
    expect(vxlanOf(madeByPlan)?.beyond).toEqual([]);
    expect(vxlanOf({ ...madeByPlan, localbypass: true })?.beyond).toEqual([]);
  });

  it("says in ip's words what a Vxlan cannot: a collect-metadata tunnel (flannel's, cilium's), a TTL, flags", () => {
    const flannel = { external: true, id: 0, port_range: { low: 1000, high: 2000 }, port: 8472, learning: false, ttl: 5, df: "unset", ageing: 60, udp_csum: true, udp_zero_csum6_tx: false, udp_zero_csum6_rx: false };
    expect(vxlanOf(flannel)?.beyond).toEqual(["external", "srcport 1000 2000", "ttl 5", "ageing 60"]);
    const flagged = { ...madeByPlan, df: "set", udp_csum: false, gbp: true, proxy: true, l2miss: true, tos: "0x1", label: "0x5" };
    expect(vxlanOf(flagged)?.beyond).toEqual(["df set", "noudpcsum", "gbp", "proxy", "l2miss", "tos 0x1", "flowlabel 0x5"]);
    // `ttl inherit` is printed as no ttl.
    const { ttl: _, ...inherit } = madeByPlan;
    expect(vxlanOf(inherit)?.beyond).toEqual(["ttl inherit"]);
  });
});
