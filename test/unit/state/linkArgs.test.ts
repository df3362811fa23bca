// A link's own arguments as its kind says them, read off what `ip -j -d` printed (state/linkArgs.ts):
// what adopt and refresh take into a state and scan writes into a program. Each macvlan recorded from a
// real kernel reads back as the arguments it was made with; bridges and vxlans as iproute2 prints them.
import { describe, expect, it } from "vitest";
import type { LinkObserved } from "../../../provider/model";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { bridgeArgsObserved, macvlanArgsObserved, routeTakenOver, vxlanArgsObserved } from "../../../provider/state/linkArgs";
import { observeLink } from "../../../provider/state/observeLink";
import { linkFromResults } from "../../../provider/state/oneLink";
import { validArgs } from "../schema/expectations";
import { linkFixtureOf, type LinkFixtureName } from "../fixtures";

/** A link as `ip -j -d addr show` prints it, with `more` (its linkinfo, its master). */
const printed = (more: object) => ({ ifindex: 7, ifname: "x0", flags: ["BROADCAST", "UP"], mtu: 1500, txqlen: 1000, address: "02:00:00:00:00:07", ...more });
const observed = (more: object): LinkObserved => observeLink(printed(more) as Parameters<typeof observeLink>[0], []);

function recorded(fixture: LinkFixtureName): LinkObserved {
  const { results, name } = linkFixtureOf(fixture);
  const link = linkFromResults(results, name);
  if (!link) throw new Error(`fixture ${fixture} holds no link`);
  return link;
}

describe("a macvlan's own arguments", () => {
  // What record.sh made each with (its mode, options and broadcast queue), as a user writes them.
  it.each([
    ["macvlan-bridge", { mode: "bridge" }],
    ["macvlan-private", { mode: "private" }],
    ["macvlan-vepa", { mode: "vepa", bcQueueLength: 2000 }],
    ["macvlan-passthru", { mode: "passthru", nopromisc: true }],
    ["macvlan-source", { mode: "source", sourceMacs: ["02:AA:00:00:00:01", "02:aa:00:00:00:02"] }],
    ["macvtap-bridge", {}],
  ] as const)("%s reads back as it was made", (fixture, raw) => {
    const made = validArgs(macvlanLinkArgs, { name: "m", parent: "v0", ...raw });
    const own = macvlanArgsObserved(recorded(fixture));
    expect(own).toMatchObject({ mode: made.mode, nopromisc: made.nopromisc, master: undefined });
    // The kernel keeps source MACs as a set, in its own order.
    expect([...(own?.sourceMacs ?? [])].sort()).toEqual(made.sourceMacs.map((mac) => mac.toLowerCase()).sort());
    if (made.bcQueueLength !== undefined) expect(own?.bcQueueLength).toBe(made.bcQueueLength);
  });

  it("names the bridge it is a port of", () => {
    expect(macvlanArgsObserved(observed({ master: "br0", linkinfo: { info_kind: "macvlan", info_data: { mode: "bridge" } } }))).toStrictEqual({
      mode: "bridge",
      nopromisc: false,
      sourceMacs: [],
      bcQueueLength: undefined,
      master: "br0",
    });
  });

  it("is none for a link of another kind", () => {
    expect(macvlanArgsObserved(recorded("veth-end"))).toBeUndefined();
  });
});

describe("a bridge's own arguments", () => {
  it("are its STP, its forward delay in seconds and its VLAN filtering", () => {
    const bridge = observed({ linkinfo: { info_kind: "bridge", info_data: { stp_state: 2, forward_delay: 400, vlan_filtering: 1 } } });
    expect(bridgeArgsObserved(bridge)).toStrictEqual({ stp: true, forwardDelay: 4, vlanFiltering: true });
  });

  it("are none for a link of another kind", () => {
    expect(bridgeArgsObserved(recorded("macvlan-bridge"))).toBeUndefined();
  });
});

describe("a vxlan's own arguments", () => {
  const vxlan = (infoData: object, more: object = {}) => observed({ linkinfo: { info_kind: "vxlan", info_data: { port: 4789, learning: true, ttl: 0, ...infoData } }, ...more });

  it("are the tunnel's fields in a Vxlan's order, its addresses as a Vxlan takes them", () => {
    const own = vxlanArgsObserved(vxlan({ id: 200, remote6: "2001:db8::2", local6: "2001:DB8::1", link: "u0", port: 4790, learning: false }, { master: "br0" }));
    expect(own).toStrictEqual({ vni: 200, local: "2001:db8::1", remote: "2001:db8::2", group: undefined, dstPort: 4790, underlay: "u0", learning: false, remotes: undefined, master: "br0" });
    expect(Object.keys(own ?? {})).toEqual(["vni", "local", "remote", "group", "dstPort", "underlay", "learning", "remotes", "master"]);
  });

  it("have its flood list once it was read (`bridge fdb`), none before", () => {
    const link = vxlan({ id: 9, group: "239.1.1.1", link: "u0" });
    expect(vxlanArgsObserved(link)?.remotes).toBeUndefined();
    const read: LinkObserved = { ...link, vxlan: { ...link.vxlan!, remotes: ["10.0.0.3"] } };
    expect(vxlanArgsObserved(read)).toMatchObject({ vni: 9, group: "239.1.1.1", remotes: ["10.0.0.3"] });
  });

  it("leave out what a Vxlan cannot say (adopt refuses it, scan lists it)", () => {
    expect(Object.keys(vxlanArgsObserved(vxlan({ id: 1, ttl: 5 })) ?? {})).not.toContain("beyond");
  });

  it("are none for a link of another kind", () => {
    expect(vxlanArgsObserved(recorded("macvlan-bridge"))).toBeUndefined();
  });
});

describe("a route adopt takes over", () => {
  it.each([
    [undefined, undefined, true, "ours, as an observed route has it"],
    ["static", undefined, true, "ours, as iproute2 names it"],
    ["boot", undefined, true, "added by hand"],
    ["boot", "prefsrc", false, "added by hand with what a Route cannot say"],
    ["dhcp", undefined, false, "a DHCP client's"],
    ["bird", undefined, false, "a routing daemon's"],
  ] as const)("proto %s, beyond %s: %s (%s)", (protocol, beyond, taken, _why) => {
    expect(routeTakenOver(protocol, beyond)).toBe(taken);
  });
});
