// What scan writes of a link is what adopt takes over: its arguments and the state adopt makes of the same
// link agree (both read its kind's own arguments through state/linkArgs.ts), so refresh right after the
// first `pulumi up` of a scanned program hands back the arguments written, with nothing to update.
import { describe, expect, it } from "vitest";
import type { LinkObserved } from "../../../../provider/model";
import { bridgeLifecycle } from "../../../../provider/resources/bridge";
import { macvlanKindLifecycle } from "../../../../provider/resources/macvlanKind";
import { vxlanLifecycle } from "../../../../provider/resources/vxlan";
import { layoutOf, type Args } from "../../../../provider/scan/layout";
import { bridgeArgs } from "../../../../provider/schema/bridge";
import { macvlanLinkArgs } from "../../../../provider/schema/macvlanLink";
import { parseArgs, type ArgsSpec } from "../../../../provider/schema/validate";
import { vxlanArgs } from "../../../../provider/schema/vxlan";
import type { NamespaceRead } from "../../../../provider/state/namespaceScan";
import { hostRead, link, lo, namespace, veth } from "../reads";

const bridgeData = (stp: number, delay: number, filtering: number) => ({ linkinfo: { info_kind: "bridge", info_data: { stp_state: stp, forward_delay: delay, vlan_filtering: filtering } } });
const macvlanData = (infoData: object) => ({ link: "v0", linkinfo: { info_kind: "macvlan", info_data: infoData } });
const vxlanData = (infoData: object) => ({ linkinfo: { info_kind: "vxlan", info_data: { port: 4789, learning: true, ttl: 0, ...infoData } }, mtu: 1450 });
const address = (local: string) => ({ addr_info: [{ family: "inet", local, prefixlen: 24, scope: "global" }] });

/** Netns "a" holding a pair v0/v1 (a parent, an underlay), a bridge br0 and `x0` as `more` says, scanned. */
function scanned(more: object, read: (ns: NamespaceRead) => void = () => undefined) {
  const ns = namespace("a", [lo, link(2, "v0", { ...veth, link: "v1" }), link(3, "v1", { ...veth, link: "v0" }), link(4, "br0", bridgeData(0, 1500, 0)), link(5, "x0", more)]);
  read(ns);
  const x0 = ns.links.find((l) => l.observed.name === "x0")?.observed;
  if (!x0) throw new Error("no x0");
  return { layout: layoutOf(hostRead([ns], ["a"])), x0 };
}

/** Adopts `x0` with the arguments scan wrote, and refreshes: what refresh hands back. */
function refreshedAfterAdopt<D, S>(spec: ArgsSpec<D>, tables: { stateOf(d: D, o: LinkObserved): S; inputsOf(state: S): D }, written: Args | undefined, x0: LinkObserved) {
  expect(written, "x0 was written").toBeDefined();
  const args = parseArgs(spec, { ...written, adopt: true });
  return { args, refreshed: tables.inputsOf(tables.stateOf(args, x0)) };
}

describe("a macvlan scan writes", () => {
  const tables = macvlanKindLifecycle(macvlanLinkArgs);
  it.each([
    ["at its defaults, with an address", { ...macvlanData({ mode: "bridge", bcqueuelen: 1000 }), ...address("10.0.0.5") }],
    ["in passthru, leaving its parent's promiscuity alone", macvlanData({ mode: "passthru", nopromisc: true })],
    ["in source mode, with its MACs", macvlanData({ mode: "source", macaddr_data: ["02:AA:00:00:00:01", "02:aa:00:00:00:02"], bcqueuelen: 50 })],
    ["a bridge's port that does not announce its address", { ...macvlanData({ mode: "vepa" }), master: "br0", ...address("10.0.1.5") }],
  ])("%s: adopted as written", (_what, more) => {
    const { layout, x0 } = scanned(more);
    const { args, refreshed } = refreshedAfterAdopt(macvlanLinkArgs, tables, layout.macvlans.find((m) => m.name === "x0")?.args, x0);
    expect(refreshed).toStrictEqual(args);
  });
});

describe("a bridge scan writes", () => {
  it.each([
    ["at its defaults", bridgeData(0, 1500, 0)],
    ["with STP, a delay and VLAN filtering", { ...bridgeData(1, 400, 1), ...address("10.9.0.1") }],
  ])("%s: adopted as written", (_what, more) => {
    const { layout, x0 } = scanned(more);
    const { args, refreshed } = refreshedAfterAdopt(bridgeArgs, bridgeLifecycle, layout.bridges.find((b) => b.name === "x0")?.args, x0);
    expect(refreshed).toStrictEqual(args);
  });
});

describe("a vxlan scan writes", () => {
  const withFloodList = (remotes: string[]) => (ns: NamespaceRead) => {
    const vxlan = ns.links.find((l) => l.observed.name === "x0")?.observed.vxlan;
    if (vxlan) vxlan.remotes = remotes; // what readHost.ts adds from `bridge fdb`
  };
  it.each([
    ["at its defaults, its flood list empty", vxlanData({ id: 42 }), withFloodList([])],
    ["on an underlay, not learning, on another port, a bridge's port, flooding to two more", { ...vxlanData({ id: 43, local: "10.0.0.1", remote: "10.0.0.2", link: "v0", learning: false, port: 8472 }), master: "br0" }, withFloodList(["10.0.0.3", "10.0.0.4"])],
    ["to a multicast group", vxlanData({ id: 44, group: "239.1.1.1", link: "v0" }), withFloodList([])],
  ])("%s: adopted as written", (_what, more, read) => {
    const { layout, x0 } = scanned(more, read);
    const { args, refreshed } = refreshedAfterAdopt(vxlanArgs, vxlanLifecycle, layout.vxlans.find((v) => v.name === "x0")?.args, x0);
    expect(refreshed).toStrictEqual(args);
  });
});
