// What the modes mean on the wire (802.1Qbg): vepa children reach each other only through the switch,
// which must send a frame back out of the port it came in on (hairpin); private children never do;
// bridge children always do, inside the kernel. The "switch" is a Linux bridge whose port is the
// parent veth's peer.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { macvlanLinkHandlers as handlers } from "../../provider/resources/macvlanLink";
import { asTheEngine } from "../support/engineCalls";
import { ip, pings, World } from "../support/netns";

describe("macvlan modes through a switch", () => {
  let world: World;
  let lab: string;
  let ns1: string;
  let ns2: string;
  beforeEach(async () => {
    world = new World();
    lab = await world.netns("lab");
    ns1 = await world.netns("ns1");
    ns2 = await world.netns("ns2");
    await world.vethParent(lab); // veth0 (the parent) <-> veth1 (the switch port)
    await ip("-n", lab, "link", "add", "br0", "type", "bridge");
    await ip("-n", lab, "link", "set", "dev", "veth1", "master", "br0");
    await ip("-n", lab, "link", "set", "dev", "br0", "up");
  });
  afterEach(async () => world.cleanup());

  async function children(mode: string) {
    for (const [netns, name, address] of [[ns1, "c1", "10.63.0.1/24"], [ns2, "c2", "10.63.0.2/24"]] as const) {
      await asTheEngine(handlers).create({ name, parent: "veth0", parentNetns: lab, netns, mode, addresses: [address] });
    }
  }
  const hairpin = (on: boolean) => ip("-n", lab, "link", "set", "dev", "veth1", "type", "bridge_slave", "hairpin", on ? "on" : "off");

  it("vepa: the children reach each other only when the switch port has hairpin on", async () => {
    await children("vepa");
    expect(await pings(ns1, "10.63.0.2")).toBe(false);
    await hairpin(true);
    expect(await pings(ns1, "10.63.0.2")).toBe(true);
  });

  it("private: never, hairpin or not", async () => {
    await children("private");
    expect(await pings(ns1, "10.63.0.2")).toBe(false);
    await hairpin(true);
    expect(await pings(ns1, "10.63.0.2")).toBe(false);
    // The control: the same children in bridge mode do reach each other.
    await ip("-n", ns1, "link", "set", "dev", "c1", "type", "macvlan", "mode", "bridge");
    await ip("-n", ns2, "link", "set", "dev", "c2", "type", "macvlan", "mode", "bridge");
    await ip("-n", ns1, "neigh", "flush", "all"); // the failed lookups above, not the mode, would stop it
    expect(await pings(ns1, "10.63.0.2")).toBe(true);
  });

  it("bridge: always, hairpin or not", async () => {
    await children("bridge");
    expect(await pings(ns1, "10.63.0.2")).toBe(true);
    await hairpin(true);
    expect(await pings(ns1, "10.63.0.2")).toBe(true);
  });
});
