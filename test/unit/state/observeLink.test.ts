// What an observed link and namespace say of their owner's mark: the alias as `ip -j -d` prints it.
import { describe, expect, it } from "vitest";
import { linkWithAddresses } from "../../../provider/state/ipJson";
import { netnsFromResults } from "../../../provider/state/netns";
import { observeLink } from "../../../provider/state/observeLink";

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
