// The registry of kinds: everything derived from it agrees with it, so a kind registered once is
// served by the provider, exported to programs, and named by the scan.
import { describe, expect, it } from "vitest";
import * as api from "../../provider/index";
import { handlers } from "../../provider/impl";
import { classOfLink, kindOfLink, resourceKindNames } from "../../provider/kinds";

describe("the registry of kinds", () => {
  it("gives the provider a handler for every kind, in the registry's order", () => {
    expect(Object.keys(handlers)).toEqual(resourceKindNames);
    expect(resourceKindNames).toEqual(["Echo", "NetNamespace", "VethPair", "MacvlanLink", "Macvtap", "Bridge", "Vxlan"]);
  });

  it("serves each kind its exported class's handlers", () => {
    expect(handlers.MacvlanLink).toBe(api.MacvlanLink.handlers);
    expect(handlers.Macvtap).toBe(api.Macvtap.handlers);
    expect(handlers.VethPair).toBe(api.VethPair.handlers);
    expect(handlers.NetNamespace).toBe(api.NetNamespace.handlers);
    expect(handlers.Bridge).toBe(api.Bridge.handlers);
    expect(handlers.Vxlan).toBe(api.Vxlan.handlers);
  });

  it.each([
    ["veth", "VethPair"],
    ["macvlan", "MacvlanLink"],
    ["macvtap", "Macvtap"],
    ["bridge", "Bridge"],
    ["vxlan", "Vxlan"],
  ] as const)("names the class that makes %s links: %s", (kernelKind, kind) => {
    expect(classOfLink(kernelKind)).toBe(kind);
  });

  it("names none for a kind this package does not make", () => {
    // nlmon (a netlink monitor) is nothing a host's network is built of: no one will add it here.
    expect(kindOfLink("nlmon")).toBeUndefined();
    expect(kindOfLink(undefined)).toBeUndefined();
  });
});
