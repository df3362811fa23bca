// Vxlan's handlers against the real kernel: two "hosts" (namespaces joined by a veth underlay), a tunnel
// end in each, and what a user checks: a ping over the overlay, the kernel's view after each update
// (in place or replaced), the flood list as `bridge fdb` shows it, refresh drift, adopt and destroy.
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { vxlanHandlers as handlers } from "../../provider/resources/vxlan";
import { asTheEngine } from "../support/engineCalls";
import { ip, ipJson, orIfGone, pings, World } from "../support/netns";

type Props = Record<string, unknown>;

interface VxlanLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  flags: string[];
  linkinfo: { info_kind: string; info_data: { id: number; port: number; local?: string; remote?: string; group?: string; link?: string; learning: boolean } };
}

async function vxlan(netns: string, name: string): Promise<VxlanLink | undefined> {
  const links = await orIfGone(ipJson<VxlanLink[]>("-d", "-n", netns, "link", "show"), []);
  return links.find((l) => l.ifname === name);
}

/** The destinations of the all-zero entries `bridge fdb` shows on `dev`, sorted (its default entry too). */
async function floodList(netns: string, dev: string): Promise<string[]> {
  const { stdout } = await execa("bridge", ["-j", "-n", netns, "fdb", "show", "dev", dev], { env: { LC_ALL: "C" } });
  const entries = JSON.parse(stdout) as { mac: string; dst?: string }[];
  return entries.filter((e) => e.mac === "00:00:00:00:00:00" && e.dst !== undefined).map((e) => e.dst ?? "").sort();
}

const { create, update } = asTheEngine(handlers);

describe("Vxlan on the real kernel", () => {
  let world: World;
  let hostA: string;
  let hostB: string;
  beforeEach(async () => {
    world = new World();
    hostA = await world.netns("vxa");
    hostB = await world.netns("vxb");
    // The underlay: a veth whose ends are the two hosts' "NICs".
    await ip("-n", hostA, "link", "add", "ul0", "type", "veth", "peer", "name", "ul0", "netns", hostB);
    for (const [netns, address] of [[hostA, "10.201.0.1/24"], [hostB, "10.201.0.2/24"]] as const) {
      await ip("-n", netns, "addr", "add", address, "dev", "ul0");
      await ip("-n", netns, "link", "set", "ul0", "up");
    }
  });
  afterEach(async () => world.cleanup());

  const end = (netns: string, local: string, remote: string, overlay: string) => ({
    name: "vx0",
    netns,
    vni: 4242,
    local,
    remote,
    underlay: "ul0",
    addresses: [overlay],
    persist: false,
  });

  it("joins two namespaces over the overlay, reads back what the kernel made, and deletes it", async () => {
    const a = await create(end(hostA, "10.201.0.1", "10.201.0.2", "192.168.201.1/24"));
    const b = await create(end(hostB, "10.201.0.2", "10.201.0.1", "192.168.201.2/24"));
    expect(await pings(hostA, "192.168.201.2")).toBe(true);

    const kernel = await vxlan(hostA, "vx0");
    expect(kernel?.linkinfo.info_data).toMatchObject({ id: 4242, port: 4789, local: "10.201.0.1", remote: "10.201.0.2", link: "ul0", learning: true });
    expect(kernel?.mtu).toBe(1450); // the underlay's 1500 less VXLAN's 50
    expect(a.outs).toMatchObject({ vni: 4242, dstPort: 4789, local: "10.201.0.1", remote: "10.201.0.2", underlay: "ul0", learning: true, remotes: [], mtu: 1450, ifindex: kernel?.ifindex });

    expect((await handlers.diff(a.id, a.outs, a.inputs)).changes).toBe(false);
    const read = await handlers.read(a.id, a.outs);
    expect(read.props).toEqual(a.outs);
    expect(read.inputs).toEqual(a.inputs);

    await handlers.delete(a.id, a.outs);
    await handlers.delete(b.id, b.outs);
    expect(await vxlan(hostA, "vx0")).toBeUndefined();
    expect(await vxlan(hostB, "vx0")).toBeUndefined();
    expect((await handlers.read(a.id, a.outs)).id).toBe("");
    await handlers.delete(a.id, a.outs); // deleting again is success
  });

  it("changes local, remote, group and learning in place, and replaces on vni, dstPort, underlay or netns", async () => {
    await ip("-n", hostA, "addr", "add", "10.201.0.11/24", "dev", "ul0");
    const { outs, inputs } = await create(end(hostA, "10.201.0.1", "10.201.0.2", "192.168.201.1/24"));

    const changed = { ...inputs, local: "10.201.0.11", remote: "10.201.0.3", learning: false };
    const { diff, outs: after } = await update(outs, changed);
    expect(diff.replaces).toEqual([]);
    expect((await vxlan(hostA, "vx0"))?.linkinfo.info_data).toMatchObject({ local: "10.201.0.11", remote: "10.201.0.3", learning: false });
    expect(after).toMatchObject({ local: "10.201.0.11", remote: "10.201.0.3", learning: false, ifindex: outs.ifindex });
    // The default entry follows remote: the old one is gone, and no flood list was made of it.
    expect(await floodList(hostA, "vx0")).toEqual(["10.201.0.3"]);

    // To a multicast group (on the underlay) and back to no default end at all.
    const { outs: grouped } = await update(after as Props, { ...changed, remote: undefined, group: "239.1.1.42" });
    expect((await vxlan(hostA, "vx0"))?.linkinfo.info_data).toMatchObject({ group: "239.1.1.42" });
    expect(grouped).toMatchObject({ group: "239.1.1.42", ifindex: outs.ifindex });
    expect(grouped).not.toHaveProperty("remote");
    const { outs: none } = await update(grouped as Props, { ...changed, remote: undefined, local: undefined });
    expect((await vxlan(hostA, "vx0"))?.linkinfo.info_data).not.toHaveProperty("group");
    expect((await vxlan(hostA, "vx0"))?.linkinfo.info_data).not.toHaveProperty("local");
    expect((await handlers.read("id", none as Props)).props).toEqual(none);

    const other = await world.netns("vxc");
    for (const [news, property] of [
      [{ vni: 7 }, "vni"],
      [{ dstPort: 8472 }, "dstPort"],
      [{ underlay: "lo" }, "underlay"],
      [{ netns: other }, "netns"],
    ] as const) {
      const replaced = await update(none as Props, { ...inputs, ...news });
      expect(replaced.diff.replaces).toEqual([property]);
    }
  });

  it("changes an IPv6 tunnel's ends in place, group to remote too, and clears one with ::", async () => {
    const { outs, inputs } = await create({ name: "vx6", netns: hostA, vni: 60, remote: "2001:db8::2", underlay: "ul0", persist: false });
    const kernel = async () => (await vxlan(hostA, "vx6"))?.linkinfo.info_data as Record<string, unknown> | undefined;
    const { remote: _, ...withoutEnds } = inputs;
    let props = outs;
    for (const [ends, expected] of [
      [{ local: "2001:db8::1", remote: "2001:db8::2" }, { local6: "2001:db8::1", remote6: "2001:db8::2" }],
      [{ local: "2001:db8::1", group: "ff0e::1" }, { local6: "2001:db8::1", group6: "ff0e::1" }],
      [{ local: "2001:db8::1", remote: "2001:db8::3" }, { local6: "2001:db8::1", remote6: "2001:db8::3" }],
      [{ local: "2001:db8::1" }, { local6: "2001:db8::1" }],
      [{ remote: "2001:db8::2" }, { remote6: "2001:db8::2" }],
    ] as const) {
      const { diff, outs: after } = await update(props, { ...withoutEnds, ...ends });
      expect(diff.replaces).toEqual([]);
      const data = await kernel();
      expect(data).toMatchObject(expected);
      for (const gone of ["local6", "remote6", "group6"].filter((key) => !(key in expected))) expect(data).not.toHaveProperty(gone);
      expect(after).toMatchObject({ ...ends, ifindex: outs.ifindex });
      props = after as Props;
    }
  });

  it("keeps remotes as flood entries, in place one by one, and sees entries removed by hand on refresh", async () => {
    const args = { name: "vx0", netns: hostA, vni: 10, local: "10.201.0.1", underlay: "ul0", learning: false, remotes: ["10.201.0.2", "10.201.0.5"], persist: false };
    const { id, outs, inputs } = await create(args);
    expect(await floodList(hostA, "vx0")).toEqual(["10.201.0.2", "10.201.0.5"]);
    expect(outs.remotes).toEqual(["10.201.0.2", "10.201.0.5"]);

    const { diff, outs: after } = await update(outs, { ...inputs, remotes: ["10.201.0.5", "10.201.0.6"], remote: "10.201.0.2" });
    expect(diff.replaces).toEqual([]);
    // 10.201.0.2 moved from the list to remote: one entry for it, the default one.
    expect(await floodList(hostA, "vx0")).toEqual(["10.201.0.2", "10.201.0.5", "10.201.0.6"]);
    expect(after).toMatchObject({ remote: "10.201.0.2", remotes: ["10.201.0.5", "10.201.0.6"], ifindex: outs.ifindex });
    expect((await handlers.read(id, after as Props)).props).toEqual(after);

    // A person removes one entry (with its dst, as they must: without, every entry goes).
    await execa("bridge", ["-n", hostA, "fdb", "del", "00:00:00:00:00:00", "dev", "vx0", "dst", "10.201.0.6"]);
    const refreshed = await handlers.read(id, after as Props);
    expect(refreshed.props).toMatchObject({ remote: "10.201.0.2", remotes: ["10.201.0.5"] });
    // The next up puts it back in place.
    const { diff: again } = await update(refreshed.props as Props, { ...inputs, remotes: ["10.201.0.5", "10.201.0.6"], remote: "10.201.0.2" });
    expect(again).toMatchObject({ changes: true, replaces: [] });
    expect(await floodList(hostA, "vx0")).toEqual(["10.201.0.2", "10.201.0.5", "10.201.0.6"]);

    // Emptied: only remote's default entry is left.
    await update({ ...(after as Props) }, { ...inputs, remotes: [], remote: "10.201.0.2" });
    expect(await floodList(hostA, "vx0")).toEqual(["10.201.0.2"]);
  });

  it("adopts a tunnel made by hand and converges its flood list", async () => {
    await ip("-n", hostA, "link", "add", "vx0", "type", "vxlan", "id", "77", "dstport", "4789", "local", "10.201.0.1", "dev", "ul0");
    await execa("bridge", ["-n", hostA, "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "10.201.0.8"]);
    const index = (await vxlan(hostA, "vx0"))?.ifindex;
    const args = { name: "vx0", netns: hostA, vni: 77, local: "10.201.0.1", underlay: "ul0", remotes: ["10.201.0.9"], persist: false };
    await expect(create(args)).rejects.toThrow(/already exists in netns .*: choose another name, or set adopt: true/);
    const { outs } = await create({ ...args, adopt: true });
    expect(outs).toMatchObject({ ifindex: index, remotes: ["10.201.0.9"], vni: 77 });
    expect(await floodList(hostA, "vx0")).toEqual(["10.201.0.9"]);
    // Another kind by that name is not taken over.
    await ip("-n", hostA, "link", "add", "vx1", "type", "veth", "peer", "name", "vx1p");
    await expect(create({ ...args, name: "vx1", adopt: true })).rejects.toThrow(/exists but is veth, not vxlan/);
  });

  it("refuses to adopt a tunnel with what a Vxlan cannot say (a collect-metadata one, as flannel makes), naming it", async () => {
    await ip("-n", hostA, "link", "add", "flannel.1", "type", "vxlan", "external", "dstport", "8472", "nolearning", "ttl", "5", "ageing", "60");
    await expect(create({ name: "flannel.1", netns: hostA, vni: 0, dstPort: 8472, learning: false, adopt: true, persist: false })).rejects.toThrow(
      /link "flannel\.1" has external, ttl 5, ageing 60, which a Vxlan cannot describe/,
    );
    expect((await vxlan(hostA, "flannel.1"))?.linkinfo.info_data).toMatchObject({ external: true, ttl: 5 });
    // One made by hand with none of those is taken over.
    await ip("-n", hostA, "link", "add", "vx2", "type", "vxlan", "id", "5", "dstport", "4789");
    await expect(create({ name: "vx2", netns: hostA, vni: 5, adopt: true, persist: false })).resolves.toMatchObject({ outs: { vni: 5 } });
  });

  it("joins a bridge as a port (master), leaves it in place, and sees a port released by hand on refresh", async () => {
    await ip("-n", hostA, "link", "add", "br0", "type", "bridge");
    const { id, outs, inputs } = await create({ ...end(hostA, "10.201.0.1", "10.201.0.2", "192.168.201.1/24"), addresses: [], master: "br0" });
    const masterOf = async () => (await ipJson<{ master?: string }[]>("-n", hostA, "link", "show", "dev", "vx0"))[0]?.master;
    expect(await masterOf()).toBe("br0");
    expect(outs.master).toBe("br0");
    await ip("-n", hostA, "link", "set", "dev", "vx0", "nomaster");
    const refreshed = await handlers.read(id, outs);
    expect(refreshed.props).not.toHaveProperty("master");
    const { diff, outs: rejoined } = await update(refreshed.props as Props, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect(await masterOf()).toBe("br0");
    const { outs: left } = await update(rejoined as Props, { ...inputs, master: undefined });
    expect(await masterOf()).toBeUndefined();
    expect(left).toMatchObject({ ifindex: outs.ifindex });
  });

  it("refuses what the kernel would, before anything runs, and takes back a create that fails", async () => {
    const checked = await handlers.check({}, { name: "vx0", netns: hostA, vni: 16777216, remote: "10.201.0.2", group: "239.1.1.1" });
    expect(checked.failures).toEqual(
      expect.arrayContaining([{ property: "vni", reason: expect.stringContaining("at most 16777215") }]),
    );
    // An underlay that does not exist: ip's parser exits; nothing is left behind.
    await expect(create({ name: "vx0", netns: hostA, vni: 1, underlay: "nosuch", remotes: ["10.201.0.2"], persist: false })).rejects.toThrow(/underlay "nosuch"/);
    expect(await vxlan(hostA, "vx0")).toBeUndefined();
    // A bridge that does not exist: ip's parser ends the batch after the add; the add is taken back.
    await expect(create({ name: "vx0", netns: hostA, vni: 1, underlay: "ul0", master: "nosuch", persist: false })).rejects.toThrow(/master nosuch" failed: .*rolled back/);
    expect(await vxlan(hostA, "vx0")).toBeUndefined();
  });
});
