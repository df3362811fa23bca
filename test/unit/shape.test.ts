// spliced: how a kind's table is built from the one its kind shares, in the order messages and diffs list.
import { describe, expect, it } from "vitest";
import { spliced } from "../../provider/shape";

describe("spliced", () => {
  const shared = { name: 1, netns: 2, mtu: 3, addresses: 4, up: 5 };

  it("files each group right after the shared key it is under", () => {
    const table = spliced(shared, { name: { parent: 10, parentNetns: 11 }, mtu: { txQueueLength: 12 } });
    expect(Object.entries(table)).toEqual([
      ["name", 1], ["parent", 10], ["parentNetns", 11], ["netns", 2], ["mtu", 3], ["txQueueLength", 12], ["addresses", 4], ["up", 5],
    ]);
  });

  it("moves a shared key a group names to that place, with the group's value", () => {
    const table = spliced(shared, { addresses: { peerAddresses: 20, mtu: 30 } });
    expect(Object.entries(table)).toEqual([["name", 1], ["netns", 2], ["addresses", 4], ["peerAddresses", 20], ["mtu", 30], ["up", 5]]);
  });

  it("leaves the shared table as it was", () => {
    spliced(shared, { name: { peerName: 9 } });
    expect(Object.keys(shared)).toEqual(["name", "netns", "mtu", "addresses", "up"]);
  });
});
