// The shared link fields as each kind has them: spliced in, every kind's fields in the order its
// messages and diffs always listed them (a change of order would change what users read).
import { describe, expect, it } from "vitest";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { macvtapArgs } from "../../../provider/schema/macvtap";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { validateArgs } from "../../../provider/schema/validate";
import { vethPairArgs } from "../../../provider/schema/vethPair";

const macvlanFields = [
  "name", "parent", "parentNetns", "netns", "mode", "nopromisc", "sourceMacs", "master", "macAddress", "mtu", "txQueueLength", "bcQueueLength",
  "addresses", "routes", "dhcp", "up", "announce", "nodad", "adopt", "persist", "owner", "connection",
];

describe("each kind's fields", () => {
  it.each([
    ["MacvlanLink", macvlanLinkArgs.fields, macvlanFields],
    ["Macvtap", macvtapArgs.fields, [...macvlanFields, "tapOwner", "tapGroup", "tapMode", "tapDevicePath"]],
    [
      "VethPair",
      vethPairArgs.fields,
      ["name", "peerName", "netns", "peerNetns", "master", "peerMaster", "addresses", "peerAddresses", "mtu", "dhcp", "peerDhcp", "up", "announce", "nodad", "adopt", "persist", "owner", "connection"],
    ],
    ["NetNamespace", netNamespaceArgs.fields, ["name", "loopbackUp", "adopt", "persist", "owner", "connection"]],
  ])("%s: the shared ones and its own, in its order", (_kind, fields, order) => {
    expect(Object.keys(fields)).toEqual(order);
  });

  it("checks a pair's IPv6 rules on both ends' addresses, each end's before the MTU's", () => {
    const result = validateArgs(vethPairArgs, { name: "a", peerName: "b", addresses: ["fd00::1/64"], peerAddresses: ["fd00::2/64"], up: false, mtu: 1000 });
    expect(result.ok ? [] : result.failures.map((f) => f.property)).toEqual(["addresses", "peerAddresses", "mtu", "mtu"]);
  });

  it("lists a macvlan's own rules between the shared ones, as it always did", () => {
    const result = validateArgs(macvlanLinkArgs, {
      name: "m",
      parent: "p",
      up: false,
      nopromisc: true,
      routes: [{ to: "10.0.0.0/8" }, { to: "10.0.0.0/8" }],
    });
    expect(result.ok ? [] : result.failures.map((f) => f.property)).toEqual(["routes", "nopromisc", "routes[1]"]);
  });
});
