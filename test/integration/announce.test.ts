// Neighbours told of new MACs, and IPv6 addresses usable when create returns, on the real kernel: a
// peer on the parent's segment that talked to a link keeps a REACHABLE neighbour entry for its old MAC,
// and must still reach it with its first ping (-c1 -W1) after the link is made anew, gets a new MAC or
// moves. Every case also runs with announce: false, where that first ping must fail: the control.
import path from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { closeSshMasters } from "../../provider/exec/ssh";
import { announceStep } from "../../provider/plan/announce";
import { macvlanLinkHandlers as handlers } from "../../provider/resources/macvlanLink";
import { macvtapHandlers } from "../../provider/resources/macvtap";
import { netNamespaceHandlers } from "../../provider/resources/netNamespace";
import { vethPairHandlers } from "../../provider/resources/vethPair";
import { repoRoot } from "../support/engine";
import { asTheEngine } from "../support/engineCalls";
import { ip, ipJson, orIfGone, pings, World } from "../support/netns";
import { holdDefaultTapNodes } from "../support/tapNodes";
import { startSshHosts, type SshHosts } from "../support/sshHosts";

const macvlan = asTheEngine(handlers);

interface Neighbour {
  dst: string;
  lladdr?: string;
  state: string[];
}

/** The parent `veth0` in `lab`, its other end `veth1` in a peer namespace on the same segment. */
async function segment(world: World, lab: string): Promise<string> {
  const peer = await world.netns("peer");
  await ip("-n", lab, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", peer);
  await ip("-n", lab, "link", "set", "veth0", "up");
  await ip("-n", peer, "addr", "add", "10.61.0.100/24", "dev", "veth1");
  await ip("-n", peer, "addr", "add", "fd61::100/64", "dev", "veth1", "nodad");
  // The peer runs no DAD of its own (the link's is what the tests watch): its IPv6 runs as veth1 comes
  // up, not one or two seconds later, in every test.
  await execa("ip", ["netns", "exec", peer, "sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/veth1/accept_dad"]);
  await ip("-n", peer, "link", "set", "veth1", "up");
  await peerReady(peer);
  return peer;
}

/**
 * Until the peer's IPv6 is running on veth1 (its link-local address usable): before that it does not
 * answer another host's duplicate address detection for its own address yet.
 */
async function peerReady(peer: string): Promise<void> {
  for (let looks = 0; looks < 100; looks++) {
    const [end] = await ipJson<{ addr_info: { scope: string; tentative?: boolean }[] }[]>("-n", peer, "-6", "addr", "show", "dev", "veth1");
    if (end?.addr_info.some((a) => a.scope === "link" && !a.tentative)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the peer's veth1 in ${peer} has no usable link-local address after 10 s`);
}

async function neighbour(peer: string, address: string): Promise<Neighbour | undefined> {
  return (await ipJson<Neighbour[]>("-n", peer, "neigh", "show", "dev", "veth1")).find((n) => n.dst === address);
}

/** The peer has talked to `address` at `mac`, and holds a REACHABLE entry for it. */
async function peerKnows(peer: string, address: string, mac: unknown): Promise<void> {
  expect(await pings(peer, address, 1)).toBe(true);
  expect(await neighbour(peer, address)).toMatchObject({ lladdr: mac, state: ["REACHABLE"] });
}

async function sysctl(netns: string, family: "ipv4" | "ipv6", dev: string, knob: string): Promise<string> {
  const { stdout } = await execa("ip", ["netns", "exec", netns, "cat", `/proc/sys/net/${family}/conf/${dev}/${knob}`]);
  return stdout.trim();
}

/** Binds a TCP socket to `address` inside `netns` at once: "bound", or the error code (EADDRNOTAVAIL). */
async function bindIn(netns: string, address: string): Promise<string> {
  const program = `require("net").createServer().on("error", (e) => { console.log(e.code); process.exit(0); }).listen(0, ${JSON.stringify(address)}, () => { console.log("bound"); process.exit(0); });`;
  const { stdout } = await execa("ip", ["netns", "exec", netns, process.execPath, "-e", program]);
  return stdout.trim();
}

// A name with a "." as well: sysctl(8) would read it as a separator; the paths are written out whole.
const name = "mac.1";
const v4 = "10.61.0.1";
const v6 = "fd61::1";

// Each test: the parent's segment with its peer, and a namespace ns1 for the link.
let world: World;
let lab: string;
let peer: string;
let ns1: string;
async function onASegment() {
  world = new World();
  lab = await world.netns("lab");
  peer = await segment(world, lab);
  ns1 = await world.netns("ns1");
}

describe("announce: neighbours reach a link at once after it changes", () => {
  beforeEach(onASegment);
  afterEach(async () => world.cleanup());

  const args = (announce: boolean, extra: Record<string, unknown> = {}) => ({
    name, parent: "veth0", parentNetns: lab, netns: ns1, addresses: [`${v4}/24`, `${v6}/64`], announce, ...extra,
  });

  /** The first ping after the change, IPv4 and IPv6. */
  async function firstPings(): Promise<{ v4: boolean; v6: boolean }> {
    return { v4: await pings(peer, v4, 1), v6: await pings(peer, v6, 1) };
  }

  it.each([true, false])("made anew out of band, then by up (announce: %s)", async (announce) => {
    const first = await macvlan.create(args(announce));
    await peerKnows(peer, v4, first.outs.macAddress);
    await peerKnows(peer, v6, first.outs.macAddress);

    await ip("-n", ns1, "link", "del", name);
    const again = await macvlan.create(args(announce));
    expect(again.outs.macAddress).not.toBe(first.outs.macAddress);

    expect(await firstPings()).toEqual({ v4: announce, v6: announce });
    expect(await sysctl(ns1, "ipv4", name, "arp_notify")).toBe(announce ? "1" : "0");
    expect(await sysctl(ns1, "ipv6", name, "ndisc_notify")).toBe(announce ? "1" : "0");
    if (announce) expect(await neighbour(peer, v4)).toMatchObject({ lladdr: again.outs.macAddress });
  });

  it.each([true, false])("a new macAddress (announce: %s)", async (announce) => {
    const link = await macvlan.create(args(announce));
    await peerKnows(peer, v4, link.outs.macAddress);
    await peerKnows(peer, v6, link.outs.macAddress);

    const { outs } = await macvlan.update(link.outs, args(announce, { macAddress: "02:61:00:00:00:09" }));
    expect(outs).toMatchObject({ macAddress: "02:61:00:00:00:09" });
    expect(await firstPings()).toEqual({ v4: announce, v6: announce });
  });

  // A move keeps the MAC; what it loses is the settings (per namespace): moved with a new MAC, the
  // link is announced only if they were set again in the new namespace before the MAC changed.
  it.each([true, false])("a move to another netns with a new macAddress (announce: %s)", async (announce) => {
    const ns2 = await world.netns("ns2");
    const link = await macvlan.create(args(announce));
    await peerKnows(peer, v4, link.outs.macAddress);
    await peerKnows(peer, v6, link.outs.macAddress);

    const { outs } = await macvlan.update(link.outs, args(announce, { netns: ns2, macAddress: "02:61:00:00:00:0a" }));
    expect(outs).toMatchObject({ netns: ns2, macAddress: "02:61:00:00:00:0a" });
    expect(await firstPings()).toEqual({ v4: announce, v6: announce });
    expect(await sysctl(ns2, "ipv4", name, "arp_notify")).toBe(announce ? "1" : "0");
  });

  // The kernel announces neither an IPv4 address added to a link already up nor an IPv6 one added
  // without DAD: those are announced anew (the link's MAC set to itself).
  it.each([
    { family: "IPv4", address: "10.61.0.5", cidr: "10.61.0.5/24", nodad: false, announce: true },
    { family: "IPv4", address: "10.61.0.5", cidr: "10.61.0.5/24", nodad: false, announce: false },
    { family: "IPv6 without DAD", address: "fd61::5", cidr: "fd61::5/64", nodad: true, announce: true },
    { family: "IPv6 without DAD", address: "fd61::5", cidr: "fd61::5/64", nodad: true, announce: false },
  ])("an $family address taken over from a link that went away (announce: $announce)", async ({ address, cidr, nodad, announce }) => {
    const ns2 = await world.netns("ns2");
    const link = await macvlan.create(args(announce, { nodad }));
    const other = await macvlan.create({ name: "mac2", parent: "veth0", parentNetns: lab, netns: ns2, addresses: [cidr] });
    await peerKnows(peer, address, other.outs.macAddress);
    await handlers.delete(other.id, other.outs);
    // A static neighbour entry of the link's own, which announcing anew must not lose.
    await ip("-n", ns1, "neigh", "add", "10.61.0.50", "lladdr", "02:61:00:00:00:50", "dev", name, "nud", "permanent");

    const { outs } = await macvlan.update(link.outs, args(announce, { nodad, addresses: [`${v4}/24`, `${v6}/64`, cidr] }));
    expect(await pings(peer, address, 1)).toBe(announce);
    expect(outs).toMatchObject({ macAddress: link.outs.macAddress });
    expect(await ipJson("-n", ns1, "neigh", "show", "dev", name, "nud", "permanent")).toEqual([
      { dst: "10.61.0.50", lladdr: "02:61:00:00:00:50", state: ["PERMANENT"] },
    ]);
  });

  it("takes an adopted link's settings as unset: sets them, and waits for its IPv6 addresses as it comes up", async () => {
    await ip("-n", lab, "link", "add", "link", "veth0", "name", name, "netns", ns1, "type", "macvlan", "mode", "bridge");
    await ip("-n", ns1, "addr", "add", "fd61::7/64", "dev", name);
    expect(await sysctl(ns1, "ipv4", name, "arp_notify")).toBe("0");
    await macvlan.create({ name, parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["fd61::7/64"], adopt: true });
    expect(await sysctl(ns1, "ipv4", name, "arp_notify")).toBe("1");
    expect(await bindIn(ns1, "fd61::7")).toBe("bound");
  });

  it("a move that fails is rolled back with the link's settings set again where it was", async () => {
    const ns2 = await world.netns("ns2");
    const link = await macvlan.create(args(true));
    // No route to the gateway in ns2: the move's last step fails, and everything is undone.
    await expect(macvlan.update(link.outs, args(true, { netns: ns2, routes: [{ to: "10.99.0.0/16", via: "10.62.0.1" }] }))).rejects.toThrow(/rolled back/);
    expect(await orIfGone(ipJson("-n", ns2, "link", "show", "dev", name), "gone")).toBe("gone");
    expect(await sysctl(ns1, "ipv4", name, "arp_notify")).toBe("1");
    expect(await sysctl(ns1, "ipv6", name, "ndisc_notify")).toBe("1");
  });

  it("turns announce off and on in place", async () => {
    const link = await macvlan.create(args(true));
    const off = await macvlan.update(link.outs, args(false));
    expect(off.diff.replaces).toEqual([]);
    expect(await sysctl(ns1, "ipv4", name, "arp_notify")).toBe("0");
    const on = await macvlan.update(off.outs!, args(true));
    expect(await sysctl(ns1, "ipv6", name, "ndisc_notify")).toBe("1");
    expect(on.outs).toMatchObject({ announce: true, ifindex: link.outs.ifindex });
  });

  it("where /proc/sys is read-only (as in many containers), fails naming the setting and announce: false", async () => {
    await macvlan.create(args(false));
    // The program a create with announce runs, in a mount namespace where /proc/sys is read-only.
    const { argv } = announceStep(ns1, name, true).command;
    const readOnly = 'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$@"';
    const result = await execa("unshare", ["-m", "--propagation", "private", "sh", "-c", readOnly, "sh", ...argv], { reject: false });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      `cannot set /proc/sys/net/ipv4/conf/${name}/arp_notify to 1 (cannot create /proc/sys/net/ipv4/conf/${name}/arp_notify: Read-only file system); set announce: false where /proc/sys cannot be written`,
    );
    expect(await sysctl(ns1, "ipv4", name, "arp_notify")).toBe("0");
  });

  it("sets a Macvtap's settings where it has addresses, and writes none where it has none", async () => {
    const taps = asTheEngine(macvtapHandlers);
    const letGo = await holdDefaultTapNodes();
    onTestFinished(letGo);
    const addressed = await taps.create({ name: "tap.1", parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["10.61.0.9/24"] });
    // A VM's NIC: the guest has the addresses, the host's link none; nothing to announce from here.
    const bare = await taps.create({ name: "tap.2", parent: "veth0", parentNetns: lab, netns: ns1 });
    try {
      expect(await sysctl(ns1, "ipv4", "tap.1", "arp_notify")).toBe("1");
      expect(await sysctl(ns1, "ipv6", "tap.1", "ndisc_notify")).toBe("1");
      expect(await sysctl(ns1, "ipv4", "tap.2", "arp_notify")).toBe("0");
      expect(bare.outs).toMatchObject({ announce: true });
    } finally {
      await macvtapHandlers.delete(addressed.id, addressed.outs);
      await macvtapHandlers.delete(bare.id, bare.outs);
    }
  });
});

describe("IPv6 addresses: usable when create returns, duplicates refused", () => {
  beforeEach(onASegment);
  afterEach(async () => world.cleanup());

  it("an address is bound the moment create returns, where one added by hand is not yet", async () => {
    await macvlan.create({ name, parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["fd61::7/64"] });
    expect(await bindIn(ns1, "fd61::7")).toBe("bound");
    // The control: the same kernel, an address added the plain way, bound at once.
    await ip("-n", ns1, "addr", "add", "fd61::8/64", "dev", name);
    expect(await bindIn(ns1, "fd61::8")).toBe("EADDRNOTAVAIL");
  });

  it("an address added by an update is bound the moment it returns", async () => {
    const link = await macvlan.create({ name, parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["10.61.0.7/24"] });
    await macvlan.update(link.outs, { ...link.inputs, addresses: ["10.61.0.7/24", "fd61::7/64"] });
    expect(await bindIn(ns1, "fd61::7")).toBe("bound");
  });

  it("an address another host on the link has fails create, naming it, and leaves nothing", async () => {
    // fd61::100 is the peer's.
    const error = await macvlan.create({ name, parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["10.61.0.7/24", "fd61::100/64"] }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/fd61::100\/64 failed duplicate address detection \(dadfailed\): another host on the link of mac\.1 already has it/);
    expect((error as Error).message).toMatch(/rolled back/);
    expect(await orIfGone(ipJson("-n", ns1, "link", "show", "dev", name), "gone")).toBe("gone");
  });

  it("an update adding a duplicate is rolled back to the addresses before it", async () => {
    const link = await macvlan.create({ name, parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["fd61::7/64"] });
    await expect(macvlan.update(link.outs, { ...link.inputs, addresses: ["fd61::7/64", "fd61::100/64"] })).rejects.toThrow(/fd61::100\/64 failed duplicate address detection/);
    const [after] = await ipJson<{ addr_info: { local: string; scope: string }[] }[]>("-n", ns1, "addr", "show", "dev", name);
    expect(after?.addr_info.filter((a) => a.scope === "global").map((a) => a.local)).toEqual(["fd61::7"]);
  });

  it("nodad: true adds IPv6 addresses without DAD, usable at once, a duplicate unchecked", async () => {
    await macvlan.create({ name, parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["fd61::9/64"], nodad: true });
    const [link] = await ipJson<{ addr_info: { local: string; nodad?: boolean; tentative?: boolean }[] }[]>("-n", ns1, "addr", "show", "dev", name);
    expect(link?.addr_info.find((a) => a.local === "fd61::9")).toMatchObject({ nodad: true });
    expect(await bindIn(ns1, "fd61::9")).toBe("bound");
  });

  it("a VethPair: both ends' addresses bound when create returns, both ends announce", async () => {
    const pair = await asTheEngine(vethPairHandlers).create({
      name: "ve.0", peerName: "ve.1", netns: ns1, peerNetns: lab, addresses: ["fd62::1/64"], peerAddresses: ["fd62::2/64", "10.62.0.2/24"],
    });
    try {
      expect(await bindIn(ns1, "fd62::1")).toBe("bound");
      expect(await bindIn(lab, "fd62::2")).toBe("bound");
      expect(await sysctl(ns1, "ipv4", "ve.0", "arp_notify")).toBe("1");
      expect(await sysctl(lab, "ipv6", "ve.1", "ndisc_notify")).toBe("1");
    } finally {
      await vethPairHandlers.delete(pair.id, pair.outs);
    }
  });
});

describe("announce over SSH", () => {
  let hosts: SshHosts;
  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
  }, 60_000);
  afterAll(async () => {
    await closeSshMasters();
    await hosts?.stop();
  });

  // The control too: without announce, the same remote peer's first ping after the recreate fails.
  it.each([true, false])("a link made anew on a remote host is reached by the peer's first ping (announce: %s)", async (announce) => {
    const host = hosts.hosts[0]!;
    const connection = { type: "ssh", host: host.address, privateKey: hosts.clientKey, sshConfigFile: hosts.sshConfigFile };
    const namespaces = asTheEngine(netNamespaceHandlers);
    const made: { id: string; outs: Record<string, unknown> }[] = [];
    try {
      for (const ns of ["lab", "peer", "ns1"]) made.push(await namespaces.create({ name: ns, connection }));
      await host.exec("ip", "-n", "lab", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", "peer");
      await host.exec("ip", "-n", "lab", "link", "set", "veth0", "up");
      await host.exec("ip", "-n", "peer", "addr", "add", "10.61.0.100/24", "dev", "veth1");
      await host.exec("ip", "-n", "peer", "link", "set", "veth1", "up");
      const remotePing = (address: string) => host.exec("ip", "netns", "exec", "peer", "ping", "-c1", "-W1", address).then(() => true, () => false);
      const neighbours = async () => JSON.parse(await host.exec("ip", "-j", "-n", "peer", "neigh", "show", "dev", "veth1")) as Neighbour[];

      const args = { name, parent: "veth0", parentNetns: "lab", netns: "ns1", addresses: [`${v4}/24`, `${v6}/64`], announce, connection };
      const first = await macvlan.create(args);
      expect(await remotePing(v4)).toBe(true);
      expect((await neighbours()).find((n) => n.dst === v4)).toMatchObject({ lladdr: first.outs.macAddress, state: ["REACHABLE"] });
      await host.exec("ip", "-n", "ns1", "link", "del", name);
      const again = await macvlan.create(args);
      expect(again.outs.macAddress).not.toBe(first.outs.macAddress);
      expect(await remotePing(v4)).toBe(announce);
      expect((await host.exec("ip", "netns", "exec", "ns1", "cat", `/proc/sys/net/ipv6/conf/${name}/ndisc_notify`)).trim()).toBe(announce ? "1" : "0");
      // Its IPv6 address is there, and had left tentative when create returned.
      const [link] = JSON.parse(await host.exec("ip", "-j", "-n", "ns1", "-6", "addr", "show", "dev", name)) as { addr_info: { local: string; tentative?: boolean }[] }[];
      expect(link?.addr_info.find((a) => a.local === v6)).toEqual(expect.not.objectContaining({ tentative: true }));
      expect(link?.addr_info.map((a) => a.local)).toContain(v6);
      await handlers.delete(again.id, again.outs);
    } finally {
      for (const ns of made.reverse()) await netNamespaceHandlers.delete(ns.id, ns.outs);
    }
  });
});
