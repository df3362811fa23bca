// MacvlanLink's handlers against the real kernel, in namespaces made for each test.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { macvlanLinkHandlers as handlers } from "../../provider/resources/macvlanLink";
import { ipJson, pings, World } from "../support/netns";

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
  const links = await ipJson<IpLink[]>("-d", "-n", netns, "addr", "show").catch(() => []);
  return links.find((l) => l.ifname === name);
}

/** check, then create, as the engine does. */
async function create(news: Props) {
  const checked = await handlers.check({}, news);
  expect(checked.failures ?? []).toEqual([]);
  return { inputs: checked.inputs as Props, ...(await handlers.create(checked.inputs as Props)) };
}

async function update(olds: Props, news: Props) {
  const checked = (await handlers.check({}, news)).inputs as Props;
  const diff = await handlers.diff("id", olds, checked);
  return { diff, ...(diff.replaces.length === 0 ? await handlers.update("id", olds, checked) : { outs: undefined }) };
}

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
});
