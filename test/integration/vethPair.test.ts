// VethPair's handlers against the real kernel.
import { afterEach, describe, expect, it } from "vitest";
import { vethPairHandlers as handlers } from "../../provider/resources/vethPair";
import { asTheEngine } from "../support/engineCalls";
import { ip, ipJson, orIfGone, pings, World } from "../support/netns";

type Props = Record<string, unknown>;
interface IpLink { ifname: string; address: string; mtu: number; flags: string[]; addr_info: { local: string; prefixlen: number; scope: string }[] }

async function links(netns: string): Promise<IpLink[]> {
  return orIfGone(ipJson<IpLink[]>("-n", netns, "addr", "show"), []);
}

describe("VethPair on the real kernel", () => {
  const world = new World();
  afterEach(async () => world.cleanup());

  // Why the schema refuses "%" in a link's name: the kernel fills in a number, so the link would be made
  // under another name than asked, and the undo (`ip link del dev x%d`) would not find it.
  it('refuses a name with "%" before touching the host, which the kernel would take for a pattern', async () => {
    const a = await world.netns("a");
    await ip("-n", a, "link", "add", "name", "x%d", "type", "veth", "peer", "name", "y%d");
    expect((await links(a)).map((l) => l.ifname).sort()).toEqual(["lo", "x0", "y0"]);
    await ip("-n", a, "link", "set", "dev", "y0", "name", "z%d");
    expect((await links(a)).map((l) => l.ifname).sort()).toEqual(["lo", "x0", "z0"]);

    const b = await world.netns("b");
    const checked = await handlers.check({}, { name: "v%d", peerName: "w%d", netns: b });
    expect(checked.failures).toEqual([
      { property: "name", reason: expect.stringContaining('must not contain "%"') },
      { property: "peerName", reason: expect.stringContaining('must not contain "%"') },
    ]);
    await expect(handlers.create({ name: "v%d", peerName: "w0", netns: b })).rejects.toThrow(/invalid VethPair arguments: name must not contain "%"/);
    expect((await links(b)).map((l) => l.ifname)).toEqual(["lo"]);
  });

  it("takes over only a pair of those two ends with adopt, keeping it as it is, and converges it", async () => {
    const a = await world.netns("a");
    const b = await world.netns("b");
    // Made by hand: a pair across the two namespaces, the first end addressed, both down.
    await ip("-n", a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b);
    await ip("-n", a, "addr", "add", "10.53.0.1/24", "dev", "va");
    const [before] = (await links(a)).filter((l) => l.ifname === "va");
    const args = { name: "va", peerName: "vb", netns: a, peerNetns: b, addresses: ["10.53.0.1/24"], peerAddresses: ["10.53.0.2/24"] };

    await expect(asTheEngine(handlers).create(args)).rejects.toThrow(/set adopt: true to take the pair over/);
    // Another peer name: not that pair, refused whatever else matches.
    await expect(asTheEngine(handlers).create({ ...args, peerName: "vc", adopt: true })).rejects.toThrow(/exists but is not a veth whose peer is "vc"/);

    const { id, outs } = await asTheEngine(handlers).create({ ...args, adopt: true });
    const [end] = (await links(a)).filter((l) => l.ifname === "va");
    expect(end?.address).toBe(before?.address); // the same pair, converged: up, the peer addressed
    expect(outs).toMatchObject({ macAddress: before?.address, up: true, adopt: true, peerAddresses: ["10.53.0.2/24"] });
    expect(await pings(a, "10.53.0.2")).toBe(true);
    await handlers.delete(id, outs);
    expect((await links(a)).map((l) => l.ifname)).not.toContain("va");
  });

  it("takes over a pair whose ends share a namespace (iproute2 names the peer there instead of giving its ifindex)", async () => {
    const a = await world.netns("a");
    await ip("-n", a, "link", "add", "va", "type", "veth", "peer", "name", "vb");
    await ip("-n", a, "link", "add", "vc", "type", "veth", "peer", "name", "vd");
    const args = { name: "va", peerName: "vb", netns: a, adopt: true };
    await expect(asTheEngine(handlers).create({ ...args, peerName: "vc" })).rejects.toThrow(/link "va" in netns ".*" is a veth whose peer is "vb" in netns ".*", not "vc" in netns/);
    const [before] = (await links(a)).filter((l) => l.ifname === "va");
    const { outs } = await asTheEngine(handlers).create(args);
    expect(outs).toMatchObject({ macAddress: before?.address, up: true, adopt: true });
  });

  /** Two unrelated pairs (va in a with vx in c, vb in b with vy in d) whose ifindexes line up across namespaces. */
  async function crossedPairs(a: string, b: string, c: string, d: string, vaIndex: number, vbIndex: number): Promise<void> {
    // va's peer is ifindex vbIndex (vx, in c) and vb's is ifindex vaIndex (vy, in d): by the numbers
    // alone, each names the other.
    await ip("-n", a, "link", "add", "name", "va", "index", String(vaIndex), "type", "veth", "peer", "name", "vx", "index", String(vbIndex), "netns", c);
    await ip("-n", b, "link", "add", "name", "vb", "index", String(vbIndex), "type", "veth", "peer", "name", "vy", "index", String(vaIndex), "netns", d);
  }

  const linkNames = async (netns: string) => (await links(netns)).map((l) => l.ifname);

  it("refuses to adopt the ends of two unrelated pairs whose ifindexes match across namespaces, and deletes nothing", async () => {
    const [a, b, c, d] = [await world.netns("a"), await world.netns("b"), await world.netns("c"), await world.netns("d")];
    await crossedPairs(a, b, c, d, 40, 41);
    const refused = asTheEngine(handlers).create({ name: "va", peerName: "vb", netns: a, peerNetns: b, adopt: true });
    await expect(refused).rejects.toThrow(new RegExp(`adopt VethPair "va".*: link "va" in netns "${a}" is a veth whose peer is ifindex 41 in netns "${c}", not "vb" in netns "${b}"`));
    // Named from the other end, the same.
    const reversed = asTheEngine(handlers).create({ name: "vb", peerName: "va", netns: b, peerNetns: a, adopt: true });
    await expect(reversed).rejects.toThrow(new RegExp(`link "vb" in netns "${b}" is a veth whose peer is ifindex 40 in netns "${d}", not "va" in netns "${a}"`));
    expect(await linkNames(a)).toContain("va");
    expect(await linkNames(b)).toContain("vb");
    expect(await linkNames(c)).toContain("vx");
    expect(await linkNames(d)).toContain("vy");
  });

  it("refresh finds a pair gone when its names now belong to the ends of two other pairs, whose ifindexes match", async () => {
    const [a, b, c, d] = [await world.netns("a"), await world.netns("b"), await world.netns("c"), await world.netns("d")];
    const { id, outs } = await asTheEngine(handlers).create({ name: "va", peerName: "vb", netns: a, peerNetns: b });
    await ip("-n", a, "link", "del", "dev", "va");
    await crossedPairs(a, b, c, d, Number(outs.ifindex), Number(outs.peerIfindex));
    expect((await handlers.read(id, outs)).id).toBe("");
    expect(await linkNames(c)).toContain("vx");
    expect(await linkNames(d)).toContain("vy");
  });

  it("creates a pair across two namespaces that ping each other, updates and deletes it", async () => {
    const a = await world.netns("a");
    const b = await world.netns("b");
    const { id, outs, inputs } = await asTheEngine(handlers).create({ name: "va", peerName: "vb", netns: a, peerNetns: b, addresses: ["10.52.0.1/24"], peerAddresses: ["10.52.0.2/24"] });
    const [end] = (await links(a)).filter((l) => l.ifname === "va");
    const [peer] = (await links(b)).filter((l) => l.ifname === "vb");
    expect(outs).toMatchObject({ macAddress: end?.address, peerMacAddress: peer?.address, up: true, addresses: ["10.52.0.1/24"], peerAddresses: ["10.52.0.2/24"] });
    expect(await pings(a, "10.52.0.2")).toBe(true);

    expect((await handlers.diff(id, outs, inputs)).changes).toBe(false);
    expect(await handlers.read(id, outs)).toMatchObject({ id, props: outs, inputs });

    const news = (await handlers.check({}, { ...inputs, mtu: 1400, addresses: ["10.52.0.11/24"] })).inputs as Props;
    const diff = await handlers.diff(id, outs, news);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const { outs: updated } = await handlers.update(id, outs, news);
    expect(updated).toMatchObject({ mtu: 1400, addresses: ["10.52.0.11/24"] });
    expect((await links(b)).find((l) => l.ifname === "vb")?.mtu).toBe(1400);
    expect(await pings(b, "10.52.0.11")).toBe(true);

    expect((await handlers.diff(id, updated, { ...news, peerName: "vc" })).replaces).toEqual(["peerName"]);

    await handlers.delete(id, updated);
    expect((await links(a)).map((l) => l.ifname)).toEqual(["lo"]);
    expect((await links(b)).map((l) => l.ifname)).toEqual(["lo"]);
    await handlers.delete(id, updated);
  });

  // `ip link add up type veth ...` reads "up" as a keyword and makes a kernel-named veth0: names that
  // are iproute2 keywords must still name the links, and nothing else may be left behind.
  it.each([
    ["up", "mtu"],
    ["dev", "name"],
  ])("makes a pair named %s / %s, keywords to iproute2, and removes exactly it", async (name, peerName) => {
    const a = await world.netns("kw");
    const { id, outs } = await asTheEngine(handlers).create({ name, peerName, netns: a });
    expect((await links(a)).map((l) => l.ifname).sort()).toEqual(["lo", name, peerName].sort());
    await handlers.delete(id, outs);
    expect((await links(a)).map((l) => l.ifname)).toEqual(["lo"]);
  });
});
