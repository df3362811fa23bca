// Bridge's handlers, and ports (VethPair ends, MacvlanLink) joining it, against the real kernel.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bridgeHandlers as handlers } from "../../provider/resources/bridge";
import { macvlanLinkHandlers } from "../../provider/resources/macvlanLink";
import { macvtapHandlers } from "../../provider/resources/macvtap";
import { vethPairHandlers } from "../../provider/resources/vethPair";
import { asTheEngine } from "../support/engineCalls";
import { ip, ipJson, orIfGone, pings, World } from "../support/netns";

type Props = Record<string, unknown>;

interface IpLink {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { stp_state?: number; forward_delay?: number; vlan_filtering?: number } };
}

async function link(netns: string, name: string): Promise<IpLink | undefined> {
  const links = await orIfGone(ipJson<IpLink[]>("-d", "-n", netns, "link", "show"), []);
  return links.find((l) => l.ifname === name);
}

const bridge = asTheEngine(handlers);
const veth = asTheEngine(vethPairHandlers);
const macvlan = asTheEngine(macvlanLinkHandlers);

describe("Bridge on the real kernel", () => {
  let world: World;
  let host: string;
  beforeEach(async () => {
    world = new World();
    host = await world.netns("host");
  });
  afterEach(async () => world.cleanup());

  it("creates a bridge with STP off, changes STP and the forward delay in place, and deletes it", async () => {
    const { id, outs, inputs } = await bridge.create({ name: "br0", netns: host });
    const made = await link(host, "br0");
    expect(made?.linkinfo?.info_kind).toBe("bridge");
    expect(made?.linkinfo?.info_data).toMatchObject({ stp_state: 0, forward_delay: 1500 });
    expect(made?.flags).toContain("UP"); // admin up; with no port it has no carrier
    expect(outs).toMatchObject({ name: "br0", netns: host, stp: false, forwardDelay: 15, vlanFiltering: false, ifindex: made && expect.any(Number) });
    expect(outs.kernelChosen).toEqual(["macAddress", "mtu", "txQueueLength"]);
    expect((await handlers.diff(id, outs, inputs)).changes).toBe(false);
    const read = await handlers.read(id, outs);
    expect(read.props).toEqual(outs);
    expect(read.inputs).toEqual(inputs);

    const { diff, outs: updated } = await bridge.update(outs, { ...inputs, stp: true, forwardDelay: 4 });
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect((await link(host, "br0"))?.linkinfo?.info_data).toMatchObject({ stp_state: 1, forward_delay: 400 });
    expect((await link(host, "br0"))?.address).toBe(made?.address); // the same bridge
    expect(updated).toMatchObject({ stp: true, forwardDelay: 4 });

    // Back off with a delay of 0, which the kernel refuses while STP is on: STP goes off first.
    const { outs: off } = await bridge.update(updated as Props, { ...inputs, forwardDelay: 0 });
    expect((await link(host, "br0"))?.linkinfo?.info_data).toMatchObject({ stp_state: 0, forward_delay: 0 });
    expect(off).toMatchObject({ stp: false, forwardDelay: 0 });

    await handlers.delete(id, off as Props);
    expect(await link(host, "br0")).toBeUndefined();
    await handlers.delete(id, off as Props); // deleting again is success
    expect((await handlers.read(id, off as Props)).id).toBe("");
  });

  it("refuses a forward delay the kernel's STP would clamp, naming the field, before touching the host", async () => {
    const checked = await handlers.check({}, { name: "br0", netns: host, stp: true, forwardDelay: 1 });
    expect(checked.failures).toEqual([{ property: "forwardDelay", reason: expect.stringContaining("2 to 30 seconds while stp is true") }]);
    expect(await link(host, "br0")).toBeUndefined();
  });

  it("says which field and which kernel support are missing when the kernel refuses VLAN filtering", async () => {
    const probe = await ip("-n", host, "link", "add", "probe0", "type", "bridge", "vlan_filtering", "1").then(
      () => true,
      () => false,
    );
    if (probe) {
      // A kernel with VLAN filtering: it is simply set.
      await ip("-n", host, "link", "del", "probe0");
      const { outs } = await bridge.create({ name: "br0", netns: host, vlanFiltering: true });
      expect(outs).toMatchObject({ vlanFiltering: true });
      return;
    }
    await expect(bridge.create({ name: "br0", netns: host, vlanFiltering: true })).rejects.toThrow(/vlanFiltering needs a kernel with bridge VLAN filtering \(CONFIG_BRIDGE_VLAN_FILTERING/);
    expect(await link(host, "br0")).toBeUndefined();
    // An update to it is refused the same way, and undone: the bridge is as it was.
    const { outs, inputs } = await bridge.create({ name: "br0", netns: host, addresses: ["10.60.0.1/24"] });
    await expect(bridge.update(outs, { ...inputs, vlanFiltering: true, stp: true })).rejects.toThrow(/vlanFiltering needs a kernel/);
    expect((await link(host, "br0"))?.linkinfo?.info_data).toMatchObject({ stp_state: 0, forward_delay: 1500 });
  });

  it("replaces a bridge whose namespace changes (the kernel never moves one)", async () => {
    const other = await world.netns("other");
    const { id, outs, inputs } = await bridge.create({ name: "br0", netns: host });
    const diff = await handlers.diff(id, outs, (await handlers.check({}, { ...inputs, netns: other })).inputs as Props);
    expect(diff).toMatchObject({ changes: true, replaces: ["netns"], deleteBeforeReplace: true });
  });

  it("joins ports in place, pings through them, never reports its followed MAC and MTU as drift, and releases its ports when deleted", async () => {
    const g1 = await world.netns("g1");
    const g2 = await world.netns("g2");
    const br = await bridge.create({ name: "br0", netns: host });
    const guest = (name: string, netns: string, address: string) => ({ name, netns: host, peerName: "eth0", peerNetns: netns, peerAddresses: [address], mtu: 1400 });
    const p1 = await veth.create({ ...guest("p1", g1, "10.61.0.1/24"), master: "br0" });
    // The second joins in place.
    const p2 = await veth.create(guest("p2", g2, "10.61.0.2/24"));
    expect((await link(host, "p2"))?.master).toBeUndefined();
    const { diff, outs: p2Joined } = await veth.update(p2.outs, { ...p2.inputs, master: "br0" });
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect(p2Joined).toMatchObject({ master: "br0" });
    expect((await link(host, "p1"))?.master).toBe("br0");
    expect((await link(host, "p2"))?.master).toBe("br0");
    expect(await pings(g1, "10.61.0.2")).toBe(true);

    // The bridge took its ports' MTU and a port's MAC: not drift, nothing to change.
    const now = await link(host, "br0");
    expect(now?.mtu).toBe(1400);
    const refreshed = await handlers.read(br.id, br.outs);
    expect(refreshed.props).toMatchObject({ mtu: 1400, macAddress: now?.address });
    expect(refreshed.inputs).toEqual(br.inputs);
    expect((await handlers.diff(br.id, refreshed.props as Props, br.inputs)).changes).toBe(false);

    // A port leaves in place; it is reported, and repaired, when it leaves by hand.
    const { outs: p2Left } = await veth.update(p2Joined as Props, p2.inputs);
    expect((await link(host, "p2"))?.master).toBeUndefined();
    expect(p2Left).not.toHaveProperty("master");
    expect(await pings(g1, "10.61.0.2")).toBe(false);
    await ip("-n", host, "link", "set", "dev", "p1", "nomaster");
    const drifted = await vethPairHandlers.read(p1.id, p1.outs);
    expect(drifted.props).not.toHaveProperty("master");
    expect(await vethPairHandlers.diff(p1.id, drifted.props as Props, p1.inputs)).toMatchObject({ changes: true, replaces: [] });
    const { outs: p1Back } = await veth.update(drifted.props as Props, p1.inputs);
    expect((await link(host, "p1"))?.master).toBe("br0");

    // Deleting the bridge releases its port, which stays up; its refresh shows master gone, and the next up joins it again.
    await handlers.delete(br.id, refreshed.props as Props);
    expect(await link(host, "br0")).toBeUndefined();
    const released = await link(host, "p1");
    expect(released?.master).toBeUndefined();
    expect(released?.flags).toContain("UP");
    const orphan = await vethPairHandlers.read(p1.id, p1Back as Props);
    expect(orphan.props).not.toHaveProperty("master");
    const again = await bridge.create({ name: "br0", netns: host });
    await veth.update(orphan.props as Props, p1.inputs);
    expect((await link(host, "p1"))?.master).toBe("br0");
    await handlers.delete(again.id, again.outs);
  });

  it("keeps a pinned MTU when a port with a larger one joins (the kernel pins only an MTU set after the add)", async () => {
    const br = await bridge.create({ name: "br0", netns: host, mtu: 1400 });
    await veth.create({ name: "p1", peerName: "p2", netns: host, master: "br0" });
    expect((await link(host, "p1"))?.mtu).toBe(1500);
    expect((await link(host, "br0"))?.mtu).toBe(1400);
    const refreshed = await handlers.read(br.id, br.outs);
    expect(refreshed.props).toMatchObject({ mtu: 1400 });
    expect((await handlers.diff(br.id, refreshed.props as Props, br.inputs)).changes).toBe(false);
  });

  it("keeps working once its last port has left (the kernel then gives it an all-zeros MAC)", async () => {
    const br = await bridge.create({ name: "br0", netns: host });
    const port = await veth.create({ name: "p1", peerName: "p2", netns: host, master: "br0" });
    await veth.update(port.outs, { ...port.inputs, master: undefined });
    expect((await link(host, "br0"))?.address).toBe("00:00:00:00:00:00");
    const refreshed = await handlers.read(br.id, br.outs);
    expect(refreshed.props).toMatchObject({ macAddress: "00:00:00:00:00:00" });
    expect(refreshed.inputs).toEqual(br.inputs);
    const { outs } = await bridge.update(refreshed.props as Props, { ...br.inputs, stp: true });
    expect(outs).toMatchObject({ stp: true, macAddress: "00:00:00:00:00:00" });
    await handlers.delete(br.id, outs as Props);
    expect(await link(host, "br0")).toBeUndefined();
  });

  it("puts each veth end in the bridge of its own namespace, and fails clearly on a bridge that is not there, leaving nothing", async () => {
    const other = await world.netns("other");
    await bridge.create({ name: "brA", netns: host });
    await bridge.create({ name: "brB", netns: other });
    const { outs } = await veth.create({ name: "va", netns: host, peerName: "vb", peerNetns: other, master: "brA", peerMaster: "brB" });
    expect(outs).toMatchObject({ master: "brA", peerMaster: "brB" });
    expect((await link(host, "va"))?.master).toBe("brA");
    expect((await link(other, "vb"))?.master).toBe("brB");

    await expect(veth.create({ name: "vc", netns: host, peerName: "vd", master: "brB" })).rejects.toThrow(/Check that bridge "brB" \(master\) exists in netns/);
    expect(await link(host, "vc")).toBeUndefined();
  });

  it("makes a macvlan a port, and says why a macvlan parent, a macvlan on a port or a macvtap cannot be one", async () => {
    await world.vethParent(host);
    await bridge.create({ name: "br0", netns: host });
    const { id, outs, inputs } = await macvlan.create({ name: "mv0", parent: "veth0", parentNetns: host, master: "br0" });
    expect((await link(host, "mv0"))?.master).toBe("br0");
    expect(outs).toMatchObject({ master: "br0" });
    const { diff, outs: left } = await macvlan.update(outs, { ...inputs, master: undefined });
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect((await link(host, "mv0"))?.master).toBeUndefined();
    await macvlanLinkHandlers.delete(id, left as Props);

    // A link with a macvlan child cannot be a port (the kernel: Device or resource busy).
    const pair = await veth.create({ name: "z0", peerName: "z1", netns: host });
    await ip("-n", host, "link", "add", "link", "z0", "name", "mvz", "type", "macvlan", "mode", "bridge");
    await expect(veth.update(pair.outs, { ...pair.inputs, master: "br0" })).rejects.toThrow(/The kernel refuses "z0" as a bridge port \(master\): a link that has macvlan or macvtap children/);
    expect((await link(host, "z0"))?.master).toBeUndefined();

    // Nor can a port be a macvlan's parent.
    await ip("-n", host, "link", "set", "dev", "veth1", "master", "br0");
    await expect(macvlan.create({ name: "mv1", parent: "veth1", parentNetns: host, master: "br0" })).rejects.toThrow(/may be a bridge or bond port/);
    expect(await link(host, "mv1")).toBeUndefined();

    // A macvtap never can: refused before anything touches the host, naming the field.
    const checked = await macvtapHandlers.check({}, { name: "mt0", parent: "veth0", parentNetns: host, master: "br0" });
    expect(checked.failures).toEqual([{ property: "master", reason: expect.stringContaining("Device or resource busy") }]);
  });

  it("adopts a bridge and a port as the kernel has them, and converges both", async () => {
    await ip("-n", host, "link", "add", "br0", "type", "bridge", "stp_state", "1", "forward_delay", "400");
    await ip("-n", host, "link", "add", "br1", "type", "bridge");
    await ip("-n", host, "link", "add", "va", "type", "veth", "peer", "name", "vb");
    await ip("-n", host, "link", "set", "dev", "va", "master", "br0");
    const before = await link(host, "br0");

    await expect(bridge.create({ name: "br0", netns: host })).rejects.toThrow(/set adopt: true to take it over/);
    await expect(bridge.create({ name: "va", netns: host, adopt: true })).rejects.toThrow(/exists but is veth, not bridge/);
    const { outs } = await bridge.create({ name: "br0", netns: host, adopt: true });
    expect((await link(host, "br0"))?.address).toBe(before?.address);
    expect((await link(host, "br0"))?.linkinfo?.info_data).toMatchObject({ stp_state: 0, forward_delay: 1500 });
    expect(outs).toMatchObject({ stp: false, forwardDelay: 15, adopt: true });

    // The port is compared like any field: declared in br1, it moves there.
    const { outs: pair } = await veth.create({ name: "va", peerName: "vb", netns: host, master: "br1", adopt: true });
    expect((await link(host, "va"))?.master).toBe("br1");
    expect(pair).toMatchObject({ master: "br1" });
  });
});
