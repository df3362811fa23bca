// `dhcp` where a link can run a client (MacvlanLink, each VethPair end): off by default, only on a link
// that is up, and never on a Macvtap (its frames go to its device node).
import { describe, expect, it } from "vitest";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { macvtapArgs } from "../../../provider/schema/macvtap";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { expectFailure, validArgs } from "./expectations";

const macvlan = { name: "mac1", parent: "veth0" };
const veth = { name: "veth0", peerName: "veth1" };

describe("dhcp", () => {
  it("is off unless asked, beside static addresses when asked", () => {
    expect(validArgs(macvlanLinkArgs, macvlan).dhcp).toBe(false);
    expect(validArgs(macvlanLinkArgs, { ...macvlan, dhcp: true, addresses: ["10.0.0.2/24"] })).toMatchObject({ dhcp: true, addresses: ["10.0.0.2/24"] });
    expect(validArgs(vethPairArgs, { ...veth, peerDhcp: true })).toMatchObject({ dhcp: false, peerDhcp: true });
  });

  it.each([
    { case: "a MacvlanLink that is down", spec: macvlanLinkArgs, raw: { ...macvlan, dhcp: true, up: false }, property: "dhcp", reason: "needs up: true" },
    { case: "a VethPair's first end, down", spec: vethPairArgs, raw: { ...veth, dhcp: true, up: false }, property: "dhcp", reason: "needs up: true" },
    { case: "a VethPair's peer, down", spec: vethPairArgs, raw: { ...veth, peerDhcp: true, up: false }, property: "peerDhcp", reason: "needs up: true" },
    { case: "not a boolean", spec: macvlanLinkArgs, raw: { ...macvlan, dhcp: "yes" }, property: "dhcp", reason: "must be true or false" },
  ])("refuses $case", ({ spec, raw, property, reason }) => {
    expectFailure(spec as typeof macvlanLinkArgs, { case: "", raw, property, reason });
  });

  it("refuses a Macvtap's, naming what to use instead", () => {
    expectFailure(macvtapArgs, { case: "", raw: { ...macvlan, dhcp: true }, property: "dhcp", reason: "use a MacvlanLink on the same parent" });
  });
});
