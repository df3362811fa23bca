// MacvlanLink's handlers against the real kernel, in namespaces made for each test.
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { macvlanLinkHandlers as handlers } from "../../provider/resources/macvlanLink";
import { asTheEngine } from "../support/engineCalls";
import { ip, ipJson, orIfGone, pings, World } from "../support/netns";

type Props = Record<string, unknown>;

interface IpLink {
  ifname: string;
  address: string;
  mtu: number;
  txqlen: number;
  flags: string[];
  linkinfo: { info_kind: string; info_data: { mode: string; nopromisc?: boolean; macaddr_data?: string[]; bcqueuelen?: number } };
  addr_info: { local: string; prefixlen: number; scope: string }[];
}

async function link(netns: string, name: string): Promise<IpLink | undefined> {
  const links = await orIfGone(ipJson<IpLink[]>("-d", "-n", netns, "addr", "show"), []);
  return links.find((l) => l.ifname === name);
}

const { create, update } = asTheEngine(handlers);

describe("MacvlanLink on the real kernel", () => {
  let world: World;
  let lab: string;
  beforeEach(async () => {
    world = new World();
    lab = await world.netns("lab");
    await world.vethParent(lab);
  });
  afterEach(async () => world.cleanup());

  it("creates, reads, updates and deletes a link, reporting what the kernel did", async () => {
    const ns1 = await world.netns("ns1");
    const { id, outs, inputs } = await create({ name: "mac1", parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["10.50.0.1/24"] });
    const kernel = await link(ns1, "mac1");
    expect(kernel?.linkinfo.info_data.mode).toBe("bridge");
    expect(kernel?.flags).toContain("UP");
    expect(outs).toMatchObject({ name: "mac1", netns: ns1, mode: "bridge", macAddress: kernel?.address, ifindex: expect.any(Number), addresses: ["10.50.0.1/24"] });
    expect(outs.kernelChosen).toEqual(["macAddress", "mtu", "txQueueLength", "bcQueueLength"]);

    // A second plan against what was just made is empty.
    expect((await handlers.diff(id, outs, inputs)).changes).toBe(false);

    const read = await handlers.read(id, outs);
    expect(read.props).toEqual(outs);
    expect(read.inputs).toEqual(inputs);

    const { diff, outs: updated } = await update(outs, { ...inputs, mode: "private", mtu: 1400, addresses: ["10.50.0.9/24"] });
    expect(diff.replaces).toEqual([]);
    const after = await link(ns1, "mac1");
    expect(after?.linkinfo.info_data.mode).toBe("private");
    expect(after?.mtu).toBe(1400);
    expect(after?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`)).toEqual(["10.50.0.9/24"]);
    expect(after?.address).toBe(kernel?.address); // the kernel-chosen MAC is kept across updates
    expect(updated).toMatchObject({ mode: "private", mtu: 1400, addresses: ["10.50.0.9/24"] });

    await handlers.delete(id, updated as Props);
    expect(await link(ns1, "mac1")).toBeUndefined();
    await handlers.delete(id, updated as Props); // deleting again is success
    expect((await handlers.read(id, updated as Props)).id).toBe("");
  });

  it("pings between two bridge-mode children, and not between private ones", async () => {
    const ns1 = await world.netns("ns1");
    const ns2 = await world.netns("ns2");
    const a = await create({ name: "mac1", parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["10.50.0.1/24"] });
    const b = await create({ name: "mac2", parent: "veth0", parentNetns: lab, netns: ns2, addresses: ["10.50.0.2/24"] });
    expect(await pings(ns1, "10.50.0.2")).toBe(true);
    expect(await pings(ns1, "10.50.0.1")).toBe(true);

    const ua = await update(a.outs, { ...a.inputs, mode: "private" });
    await update(b.outs, { ...b.inputs, mode: "private" });
    expect(await pings(ns1, "10.50.0.2")).toBe(false);
    await update(ua.outs as Props, { ...a.inputs, mode: "bridge" });
    await update({ ...b.outs, mode: "private" }, { ...b.inputs, mode: "bridge" });
    expect(await pings(ns1, "10.50.0.2")).toBe(true);
  });

  it.each(["bridge", "private", "vepa"] as const)("creates mode %s and reads it back", async (mode) => {
    const { outs } = await create({ name: "m", parent: "veth0", parentNetns: lab, mode });
    expect((await link(lab, "m"))?.linkinfo.info_data.mode).toBe(mode);
    expect(outs.mode).toBe(mode);
  });

  it("creates source mode with its MAC list, edits the list in place, and reads it back", async () => {
    const macs = ["02:00:00:00:00:01", "02:00:00:00:00:02"];
    const { id, outs, inputs } = await create({ name: "src", parent: "veth0", parentNetns: lab, mode: "source", sourceMacs: macs });
    expect((await link(lab, "src"))?.linkinfo.info_data.macaddr_data?.sort()).toEqual(macs);
    expect(outs.sourceMacs).toEqual(macs);

    const edited = ["02:00:00:00:00:02", "02:00:00:00:00:03"];
    const { diff, outs: after } = await update(outs, { ...inputs, sourceMacs: edited });
    expect(diff.replaces).toEqual([]);
    expect((await link(lab, "src"))?.linkinfo.info_data.macaddr_data?.sort()).toEqual(edited);
    expect(after).toMatchObject({ sourceMacs: edited, ifindex: outs.ifindex });

    const { outs: emptied } = await update(after as Props, { ...inputs, sourceMacs: [] });
    expect((await link(lab, "src"))?.linkinfo.info_data.macaddr_data ?? []).toEqual([]);
    expect((await handlers.read(id, emptied as Props)).props).toMatchObject({ sourceMacs: [] });
  });

  it("creates passthru with nopromisc on a parent of its own", async () => {
    await world.vethParent(lab, "vp0", "vp1");
    const { outs } = await create({ name: "pt", parent: "vp0", parentNetns: lab, mode: "passthru", nopromisc: true });
    const kernel = await link(lab, "pt");
    expect(kernel?.linkinfo.info_data).toMatchObject({ mode: "passthru", nopromisc: true });
    expect(outs).toMatchObject({ mode: "passthru", nopromisc: true });
  });

  it("changes mode in place through bridge, private, vepa and source, keeping the same link", async () => {
    const { outs, inputs } = await create({ name: "m", parent: "veth0", parentNetns: lab });
    let state = outs as Props;
    for (const mode of ["private", "vepa", "source", "bridge"]) {
      const sourceMacs = mode === "source" ? ["02:00:00:00:00:0a"] : [];
      const { diff, outs: next } = await update(state, { ...inputs, mode, sourceMacs });
      expect(diff.replaces).toEqual([]);
      expect((await link(lab, "m"))?.linkinfo.info_data.mode).toBe(mode);
      expect(next).toMatchObject({ mode, sourceMacs, ifindex: outs.ifindex });
      state = next as Props;
    }
    // Into passthru is a replacement, decided without touching the host.
    expect((await handlers.diff("id", state, { ...inputs, mode: "passthru" })).replaces).toEqual(["mode"]);
  });

  it("renames in place and keeps addresses, routes and up state", async () => {
    const { outs, inputs } = await create({
      name: "old", parent: "veth0", parentNetns: lab, addresses: ["10.53.0.1/24"], routes: [{ to: "10.99.0.0/16", via: "10.53.0.254" }],
    });
    const { diff, outs: renamed } = await update(outs, { ...inputs, name: "new" });
    expect(diff.replaces).toEqual([]);
    expect(await link(lab, "old")).toBeUndefined();
    const kernel = await link(lab, "new");
    expect(kernel?.flags).toContain("UP");
    expect(renamed).toMatchObject({ name: "new", addresses: ["10.53.0.1/24"], routes: [{ to: "10.99.0.0/16", via: "10.53.0.254", metric: 0 }], ifindex: outs.ifindex });
    const routes = await ipJson<{ dst: string; gateway?: string }[]>("-n", lab, "route", "show", "dev", "new", "proto", "static");
    expect(routes).toEqual([expect.objectContaining({ dst: "10.99.0.0/16", gateway: "10.53.0.254" })]);
  });

  // With keep_addr_on_down=1 (a per-namespace sysctl, set inside the test's namespace only) the kernel
  // keeps a link's IPv6 addresses while it is down for the rename, so they must not be added again as new.
  it("renames an up link with IPv6 addresses when the kernel keeps them on down (keep_addr_on_down=1)", async () => {
    await execa("ip", ["netns", "exec", lab, "sysctl", "-q", "-w", "net.ipv6.conf.all.keep_addr_on_down=1", "net.ipv6.conf.default.keep_addr_on_down=1"]);
    const { id, outs, inputs } = await create({
      name: "kept", parent: "veth0", parentNetns: lab, addresses: ["10.53.1.1/24", "fd53::1/64"], routes: [{ to: "fd99::/64", via: "fd53::fe" }],
    });
    const { diff, outs: renamed } = await update(outs, { ...inputs, name: "kept2" });
    expect(diff.replaces).toEqual([]);
    expect(await link(lab, "kept")).toBeUndefined();
    const kernel = await link(lab, "kept2");
    expect(kernel?.flags).toContain("UP");
    expect(kernel?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`).sort()).toEqual(["10.53.1.1/24", "fd53::1/64"]);
    expect(renamed).toMatchObject({ name: "kept2", addresses: ["10.53.1.1/24", "fd53::1/64"], routes: [{ to: "fd99::/64", via: "fd53::fe", metric: 1024 }] });
    expect((await handlers.diff(id, renamed as Props, { ...inputs, name: "kept2" })).changes).toBe(false);

    // A rename that fails (the name is taken) is undone there too: the kept addresses are not added again.
    await world.vethParent(lab, "taken0", "taken1");
    await expect(update(renamed as Props, { ...inputs, name: "taken0" })).rejects.toThrow(/rolled back/);
    const restored = await link(lab, "kept2");
    expect(restored?.flags).toContain("UP");
    expect(restored?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`).sort()).toEqual(["10.53.1.1/24", "fd53::1/64"]);
    expect((await handlers.read(id, renamed as Props)).props).toEqual(renamed);

    // One that fails after the addresses were put back (a gateway on no subnet of the link) is undone too.
    const failing = { ...inputs, name: "kept3", routes: [...(inputs.routes as object[]), { to: "10.96.0.0/16", via: "192.0.2.1" }] };
    await expect(update(renamed as Props, failing)).rejects.toThrow(/route add 10.96.0.0\/16 via 192.0.2.1 .* failed: .*; rolled back the \d+ step\(s\) done before it$/);
    expect(await link(lab, "kept3")).toBeUndefined();
    expect((await handlers.read(id, renamed as Props)).props).toEqual(renamed);
  });

  // ip prints an IPv4-mapped IPv6 address in its dotted form (::ffff:10.0.0.1) whatever the spelling given.
  it("creates a link with an IPv4-mapped IPv6 address and reads it back with no diff", async () => {
    const { id, outs, inputs } = await create({
      name: "mapped", parent: "veth0", parentNetns: lab, addresses: ["::ffff:10.0.0.1/128", "::ffff:10.0.1.1/120", "10.52.0.1/24"], nodad: true,
      routes: [{ to: "::ffff:10.1.0.0/112", via: "::ffff:10.0.1.9" }],
    });
    const kernel = await link(lab, "mapped");
    // The state holds each address as ip prints it.
    const printed = kernel?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`);
    expect(printed?.sort()).toEqual(["10.52.0.1/24", "::ffff:10.0.0.1/128", "::ffff:10.0.1.1/120"]);
    expect([...(outs.addresses as string[])].sort()).toEqual(printed);
    const routes = await ipJson<{ dst: string; gateway?: string }[]>("-6", "-n", lab, "route", "show", "dev", "mapped", "proto", "static");
    expect(outs.routes).toEqual([{ to: routes[0]?.dst, via: routes[0]?.gateway, metric: 1024 }]);
    expect((await handlers.diff(id, outs, inputs)).changes).toBe(false);
    const read = await handlers.read(id, outs);
    expect(read.props).toEqual(outs);
    expect(read.inputs).toEqual(inputs);
    expect((await handlers.diff(id, read.props as Props, inputs)).changes).toBe(false);
    // Spelled another way, the same addresses are no change either; nor is a state that holds them so.
    const hexState = { ...read.props, addresses: ["::ffff:a00:1/128", "::ffff:a00:101/120", "10.52.0.1/24"], routes: [{ to: "::ffff:a01:0/112", via: "::ffff:a00:109", metric: 1024 }] };
    expect((await handlers.diff(id, hexState, inputs)).changes).toBe(false);
    const respelled = await handlers.check({}, { ...inputs, addresses: ["::ffff:a00:1/128", "0::ffff:a00:101/120", "10.52.0.1/24"], routes: [{ to: "::ffff:a01:0/112", via: "::ffff:a00:109" }] });
    expect((await handlers.diff(id, read.props as Props, respelled.inputs as Props)).changes).toBe(false);
  });

  it("moves to another namespace in place, re-applying addresses, routes and up", async () => {
    const ns1 = await world.netns("ns1");
    const ns2 = await world.netns("ns2");
    const { outs, inputs } = await create({
      name: "mv", parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["10.54.0.1/24", "fd54::1/64"],
      routes: [{ to: "default", via: "10.54.0.254" }],
    });
    const { diff, outs: moved } = await update(outs, { ...inputs, netns: ns2 });
    expect(diff.replaces).toEqual([]);
    expect(await link(ns1, "mv")).toBeUndefined();
    const kernel = await link(ns2, "mv");
    expect(kernel?.flags).toContain("UP");
    expect(kernel?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`).sort()).toEqual(["10.54.0.1/24", "fd54::1/64"]);
    expect(moved).toMatchObject({ netns: ns2, addresses: ["10.54.0.1/24", "fd54::1/64"], routes: [{ to: "default", via: "10.54.0.254", metric: 0 }] });
    expect(await pings(ns2, "10.54.0.1")).toBe(true);
  });

  it("undoes everything when a step fails half-way through a create, and says which step", async () => {
    const ns1 = await world.netns("ns1");
    // The route's gateway is on no subnet of the link, so the kernel refuses the last step; the 4 done
    // before it (link add, announce settings, address, up) are undone.
    const failing = create({
      name: "half", parent: "veth0", parentNetns: lab, netns: ns1, addresses: ["10.55.0.1/24"], routes: [{ to: "10.98.0.0/16", via: "192.0.2.1" }],
    });
    await expect(failing).rejects.toThrow(/create MacvlanLink "half" in netns ".*ns1" on localhost: step "ip -n .*ns1 route add 10.98.0.0\/16 via 192.0.2.1 .*" failed: .*; rolled back the 4 step\(s\) done before it/);
    expect(await link(ns1, "half")).toBeUndefined();
    expect(await link(lab, "half")).toBeUndefined();
  });

  it("undoes a failed update completely: the name, IPv6 address and routes the rename's down dropped", async () => {
    const { outs, inputs } = await create({
      name: "r1", parent: "veth0", parentNetns: lab, addresses: ["10.58.0.1/24", "fd58::1/64"], routes: [{ to: "10.97.0.0/16", via: "10.58.0.254" }],
    });
    const news = { ...inputs, name: "r2", routes: [{ to: "10.97.0.0/16", via: "10.58.0.254" }, { to: "10.96.0.0/16", via: "192.0.2.1" }] };
    await expect(update(outs, news)).rejects.toThrow(/step "ip -n .* route add 10.96.0.0\/16 via 192.0.2.1 .*" failed: .*; rolled back the \d+ step\(s\) done before it$/);
    expect(await link(lab, "r2")).toBeUndefined();
    const restored = await link(lab, "r1");
    expect(restored?.flags).toContain("UP");
    expect(restored?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`).sort()).toEqual(["10.58.0.1/24", "fd58::1/64"]);
    const routes = await ipJson<{ dst: string }[]>("-n", lab, "route", "show", "dev", "r1", "proto", "static");
    expect(routes.map((r) => r.dst)).toEqual(["10.97.0.0/16"]);
  });

  it("refuses a taken name unless adopt is set, then takes the link over and converges it", async () => {
    await create({ name: "taken", parent: "veth0", parentNetns: lab, mode: "private" });
    const args = { name: "taken", parent: "veth0", parentNetns: lab, mode: "bridge", addresses: ["10.56.0.1/24"] };
    await expect(create(args)).rejects.toThrow(/already exists in netns .*: choose another name, or set adopt: true/);
    const { outs } = await create({ ...args, adopt: true });
    expect(outs).toMatchObject({ mode: "bridge", addresses: ["10.56.0.1/24"], up: true });
    expect((await link(lab, "taken"))?.linkinfo.info_data.mode).toBe("bridge");

    await world.vethParent(lab, "other0", "other1");
    await expect(create({ ...args, parent: "other0", adopt: true })).rejects.toThrow(/exists but is macvlan on "veth0" in netns ".*", not macvlan on "other0" in netns ".*"/);
  });

  const ifindexOf = async (netns: string, name: string) => (await ipJson<{ ifindex: number }[]>("-n", netns, "link", "show", "dev", name))[0]?.ifindex ?? 0;

  /** A veth0 in namespace `other` with the ifindex lab's veth0 has: another parent, the same number. */
  async function lookalikeParent(other: string): Promise<void> {
    await ip("-n", other, "link", "add", "name", "veth0", "index", String(await ifindexOf(lab, "veth0")), "type", "veth", "peer", "name", "veth1");
  }

  it("adopts a link whose parent is in another namespace, as declared", async () => {
    const ns1 = await world.netns("ns1");
    await ip("-n", lab, "link", "add", "name", "m", "link", "veth0", "netns", ns1, "type", "macvlan", "mode", "bridge");
    const before = await link(ns1, "m");
    const { outs } = await create({ name: "m", parent: "veth0", parentNetns: lab, netns: ns1, adopt: true });
    expect(outs).toMatchObject({ macAddress: before?.address, ifindex: await ifindexOf(ns1, "m"), adopt: true });
  });

  it("refuses to adopt a link on a parent in another namespace that has the declared parent's ifindex, and leaves it", async () => {
    const [ns1, other] = [await world.netns("ns1"), await world.netns("other")];
    await lookalikeParent(other);
    await ip("-n", other, "link", "add", "name", "m", "link", "veth0", "netns", ns1, "type", "macvlan", "mode", "bridge");
    const args = { name: "m", parent: "veth0", parentNetns: lab, netns: ns1, adopt: true };
    const index = await ifindexOf(lab, "veth0");
    await expect(create(args)).rejects.toThrow(
      new RegExp(`adopt MacvlanLink "m" in netns "${ns1}".*: link "m" exists but is macvlan on ifindex ${index} in netns "${other}", not macvlan on "veth0" in netns "${lab}"`),
    );
    expect(await link(ns1, "m")).toBeDefined();
  });

  it("refuses to adopt a link whose parent is in its own namespace when the declared one, of the same name and ifindex, is in another", async () => {
    const ns1 = await world.netns("ns1");
    await lookalikeParent(ns1);
    await ip("-n", ns1, "link", "add", "name", "m", "link", "veth0", "type", "macvlan", "mode", "bridge");
    await expect(create({ name: "m", parent: "veth0", parentNetns: lab, netns: ns1, adopt: true })).rejects.toThrow(
      new RegExp(`link "m" exists but is macvlan on "veth0" in netns "${ns1}", not macvlan on "veth0" in netns "${lab}"`),
    );
    expect(await link(ns1, "m")).toBeDefined();
  });

  it("refresh finds a link gone when a link of its name is now on another parent with the declared parent's ifindex", async () => {
    const [ns1, other] = [await world.netns("ns1"), await world.netns("other")];
    const { id, outs } = await create({ name: "m", parent: "veth0", parentNetns: lab, netns: ns1 });
    await ip("-n", ns1, "link", "del", "dev", "m");
    await lookalikeParent(other);
    await ip("-n", other, "link", "add", "name", "m", "link", "veth0", "netns", ns1, "type", "macvlan", "mode", "bridge");
    expect((await handlers.read(id, outs)).id).toBe("");
  });

  it("adopting a link takes over the routes it asks for that were added by hand, in place, and leaves the others", async () => {
    await ip("-n", lab, "link", "add", "link", "veth0", "name", "hand", "type", "macvlan", "mode", "bridge");
    await ip("-n", lab, "addr", "add", "10.59.0.1/24", "dev", "hand");
    await ip("-n", lab, "link", "set", "dev", "hand", "up");
    await ip("-n", lab, "route", "add", "10.98.0.0/16", "via", "10.59.0.254", "dev", "hand"); // proto boot
    await ip("-n", lab, "route", "add", "10.99.0.0/16", "via", "10.59.0.254", "dev", "hand", "proto", "dhcp");
    const before = await link(lab, "hand");
    const args = { name: "hand", parent: "veth0", parentNetns: lab, addresses: ["10.59.0.1/24"], routes: [{ to: "10.98.0.0/16", via: "10.59.0.254" }], adopt: true };
    const { id, outs, inputs } = await create(args);
    expect(outs.routes).toEqual([{ to: "10.98.0.0/16", via: "10.59.0.254", metric: 0 }]);
    const routes = await ipJson<{ dst: string; protocol: string }[]>("-d", "-n", lab, "route", "show", "dev", "hand");
    expect(routes.map((r) => `${r.dst} ${r.protocol}`).sort()).toEqual(["10.59.0.0/24 kernel", "10.98.0.0/16 static", "10.99.0.0/16 dhcp"]);
    expect((await link(lab, "hand"))?.address).toBe(before?.address);
    // Refresh sees the route as ours, and the next plan is empty.
    const read = await handlers.read(id, outs);
    expect(read.props).toEqual(outs);
    expect((await handlers.diff(id, outs, inputs)).changes).toBe(false);
  });

  it("adopt refuses to take over a route a daemon owns, or one `ip route replace` would change, naming it", async () => {
    await ip("-n", lab, "link", "add", "link", "veth0", "name", "hand", "type", "macvlan", "mode", "bridge");
    await ip("-n", lab, "addr", "add", "10.59.0.1/24", "dev", "hand");
    await ip("-n", lab, "link", "set", "dev", "hand", "up");
    await ip("-n", lab, "route", "add", "10.99.0.0/16", "via", "10.59.0.254", "dev", "hand", "proto", "dhcp");
    await ip("-n", lab, "route", "add", "10.98.0.0/16", "via", "10.59.0.254", "dev", "hand", "src", "10.59.0.1");
    const args = { name: "hand", parent: "veth0", parentNetns: lab, addresses: ["10.59.0.1/24"], adopt: true };
    await expect(create({ ...args, routes: [{ to: "10.99.0.0/16", via: "10.59.0.254" }] })).rejects.toThrow(
      /route 10\.99\.0\.0\/16 via 10\.59\.0\.254 metric 0 exists with proto dhcp\. adopt takes over only routes added by hand \(proto boot\): leave this one to dhcp/,
    );
    await expect(create({ ...args, routes: [{ to: "10.98.0.0/16", via: "10.59.0.254" }] })).rejects.toThrow(/exists with proto boot and prefsrc\. adopt takes over only a route that/);
    const routes = await ipJson<{ dst: string; protocol: string; prefsrc?: string }[]>("-d", "-n", lab, "route", "show", "dev", "hand");
    expect(routes.map((r) => `${r.dst} ${r.protocol} ${r.prefsrc ?? ""}`).sort()).toEqual(["10.59.0.0/24 kernel 10.59.0.1", "10.98.0.0/16 boot 10.59.0.1", "10.99.0.0/16 dhcp "]);
  });

  it("says what is wrong: a missing parent, an MTU above the parent's", async () => {
    const missing = create({ name: "m", parent: "nope0", parentNetns: lab });
    await expect(missing).rejects.toThrow(/Cannot find device "nope0".*Check that parent "nope0" exists/);
    const tooBig = create({ name: "m", parent: "veth0", parentNetns: lab, mtu: 9000 });
    await expect(tooBig).rejects.toThrow(/mtu 9000 may exceed the parent's MTU/);
    expect(await link(lab, "m")).toBeUndefined();
  });

  it("reports drift on refresh (mode, MTU, addresses, up) and a deleted link as gone", async () => {
    const { id, outs, inputs } = await create({ name: "d", parent: "veth0", parentNetns: lab, addresses: ["10.57.0.1/24"], mtu: 1500 });
    await ip("-n", lab, "link", "set", "dev", "d", "type", "macvlan", "mode", "vepa");
    await ip("-n", lab, "link", "set", "dev", "d", "mtu", "1300");
    await ip("-n", lab, "addr", "flush", "dev", "d");
    await ip("-n", lab, "link", "set", "dev", "d", "down");
    const read = await handlers.read(id, outs);
    expect(read.props).toMatchObject({ mode: "vepa", mtu: 1300, addresses: [], up: false });
    expect(read.inputs).toMatchObject({ mode: "vepa", mtu: 1300, addresses: [], up: false });
    // The next plan against the refreshed state repairs all of it in place.
    const { diff, outs: repaired } = await update(read.props as Props, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect(repaired).toMatchObject({ mode: "bridge", mtu: 1500, addresses: ["10.57.0.1/24"], up: true });

    await ip("-n", lab, "link", "del", "dev", "d");
    expect((await handlers.read(id, repaired as Props)).id).toBe("");
  });
});
