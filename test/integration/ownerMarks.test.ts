// Owner marks against the real kernel, driving the handlers as the engine does: every object a resource
// makes carries its owner's mark (a link's alias, a namespace's lo's); a create that finds its own mark
// resumes (a kill cut it off), as it does a link with no alias in its owner's creation group (the kill
// came before the mark), and one that finds another's or none is refused; delete and refresh leave a
// stranger's object of the same name alone; adopt writes the mark. What the provider warns, the CLI
// shows: here it goes to the console, where the tests read it.
import { execa } from "execa";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { creationGroup, ownerMark } from "../../provider/ownerMark";
import { makeNamespaceStep } from "../../provider/plan/liveCreate";
import { macvlanLinkArgs } from "../../provider/schema/macvlanLink";
import { parseArgs } from "../../provider/schema/validate";
import { unverifiedMacvlanState } from "../../provider/state/macvlanLink";
import { macvlanLinkHandlers as macvlan } from "../../provider/resources/macvlanLink";
import { netNamespaceHandlers as namespaceHandlers } from "../../provider/resources/netNamespace";
import { vethPairHandlers as veth } from "../../provider/resources/vethPair";
import { asTheEngine } from "../support/engineCalls";
import { ip, ipJson, listNamespaces, orIfGone, World } from "../support/netns";

type Props = Record<string, unknown>;
interface IpLink {
  ifname: string;
  ifindex: number;
  ifalias?: string;
  /** A number, or its name ("default" for 0). */
  group: string;
  flags: string[];
  addr_info?: { local: string; prefixlen: number; scope: string }[];
}

const owner = (name: string, kind = "MacvlanLink") => `lab/dev/${kind}/${name}`;
const another = "other-project/prod/MacvlanLink/m1";

async function link(netns: string, name: string): Promise<IpLink | undefined> {
  const links = await orIfGone(ipJson<IpLink[]>("-d", "-n", netns, "addr", "show"), []);
  return links.find((l) => l.ifname === name);
}

const macvlanEngine = asTheEngine(macvlan);

describe("owner marks on the real kernel", () => {
  let world: World;
  let lab: string;
  let warnings: MockInstance<typeof console.warn>;
  const warned = () => warnings.mock.calls.map((call) => String(call[0]));
  beforeEach(async () => {
    world = new World();
    lab = await world.netns("lab");
    await world.vethParent(lab);
    warnings = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(async () => {
    warnings.mockRestore();
    await world.cleanup();
  });

  /**
   * A macvlan link made by hand on the lab's parent, with `alias` when given: what a kill left, or a
   * stranger's; in `group` when given (a create's add gives the owner's creation group).
   */
  async function byHand(name: string, alias?: string, group?: number) {
    await ip("-n", lab, "link", "add", "link", "veth0", "name", name, ...(group !== undefined ? ["group", String(group)] : []), "type", "macvlan", "mode", "bridge");
    if (alias !== undefined) await ip("-n", lab, "link", "set", "dev", name, "alias", alias);
    return (await link(lab, name))?.ifindex;
  }

  it("marks the link it makes, in the create's own batch", async () => {
    const { outs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, owner: owner("m1") });
    expect(await link(lab, "m1")).toMatchObject({ ifalias: `pulumi-iproute2:${owner("m1")}`, group: "default" });
    expect(outs.owner).toBe(owner("m1"));
  });

  it("resumes a create cut off between its add and its mark: no alias, but the owner's creation group; marks it, group back to default", async () => {
    const ifindex = await byHand("m1", undefined, creationGroup(owner("m1")));
    const { outs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, addresses: ["10.61.0.1/24"], owner: owner("m1") });
    const after = await link(lab, "m1");
    expect(after).toMatchObject({ ifindex, ifalias: ownerMark(owner("m1")), group: "default", addr_info: expect.arrayContaining([expect.objectContaining({ local: "10.61.0.1" })]) });
    expect(after?.flags).toContain("UP");
    expect(outs).toMatchObject({ ifindex, owner: owner("m1") });
    expect(warned()).toContainEqual(expect.stringContaining('resuming the create of MacvlanLink "m1" cut off earlier: taking over what it made'));
  });

  it.each([
    ["its own", owner("m1")],
    ["another owner's", another],
  ])("adopt takes a link a create was cut off making, in %s creation group, out of that group", async (_whose, whose) => {
    const ifindex = await byHand("m1", undefined, creationGroup(whose));
    const { outs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, adopt: true, owner: owner("m1") });
    expect(await link(lab, "m1")).toMatchObject({ ifindex, ifalias: ownerMark(owner("m1")), group: "default" });
    expect(outs).toMatchObject({ ifindex, owner: owner("m1") });
  });

  it("refuses a link of its name without a mark in another owner's creation group: the group is the owner's alone", async () => {
    const ifindex = await byHand("m1", undefined, creationGroup(another));
    await expect(macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, owner: owner("m1") })).rejects.toThrow(/already exists in netns .*: choose another name, or set adopt: true/);
    expect(await link(lab, "m1")).toMatchObject({ ifindex, group: String(creationGroup(another)) });
    expect((await link(lab, "m1"))?.ifalias).toBeUndefined();
  });

  it("resumes a create cut off after its link was made and marked: takes it over, converges it, says so", async () => {
    const ifindex = await byHand("m1", ownerMark(owner("m1")));
    const { outs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, addresses: ["10.61.0.1/24"], owner: owner("m1") });
    const after = await link(lab, "m1");
    expect(after).toMatchObject({ ifindex, ifalias: ownerMark(owner("m1")), addr_info: expect.arrayContaining([expect.objectContaining({ local: "10.61.0.1" })]) });
    expect(after?.flags).toContain("UP");
    expect(outs).toMatchObject({ ifindex, owner: owner("m1"), addresses: ["10.61.0.1/24"] });
    expect(warned()).toContainEqual(expect.stringContaining('resuming the create of MacvlanLink "m1" cut off earlier: taking over what it made'));
  });

  it("refuses a link of its name that carries another owner's mark, naming the owner, on create and on adopt", async () => {
    const ifindex = await byHand("m1", ownerMark(another));
    const args = { name: "m1", parent: "veth0", parentNetns: lab, owner: owner("m1") };
    await expect(macvlanEngine.create(args)).rejects.toThrow(`create MacvlanLink "m1" in netns "${lab}" on localhost: "m1" exists, marked by owner "${another}". It belongs to another resource or stack`);
    await expect(macvlanEngine.create({ ...args, adopt: true })).rejects.toThrow(`adopt MacvlanLink "m1" in netns "${lab}" on localhost: "m1" exists, marked by owner "${another}"`);
    expect(await link(lab, "m1")).toMatchObject({ ifindex, ifalias: ownerMark(another) });
  });

  it("refuses a link of its name without a mark, as before: adopt is the user's choice", async () => {
    const ifindex = await byHand("m1");
    await expect(macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, owner: owner("m1") })).rejects.toThrow(/already exists in netns .*: choose another name, or set adopt: true/);
    expect(await link(lab, "m1")).toMatchObject({ ifindex });
    expect((await link(lab, "m1"))?.ifalias).toBeUndefined();
  });

  it("adopt writes the mark, replacing a person's alias with a warning that quotes it", async () => {
    const ifindex = await byHand("m1", "uplink to rack 3");
    const { outs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, adopt: true, owner: owner("m1") });
    expect(await link(lab, "m1")).toMatchObject({ ifindex, ifalias: ownerMark(owner("m1")) });
    expect(outs).toMatchObject({ ifindex, owner: owner("m1") });
    expect(warned()).toContainEqual(expect.stringContaining('its alias "uplink to rack 3" is replaced by the owner\'s mark'));
  });

  it.each([
    ["made again by hand, without a mark", undefined, "without a mark: made by someone else"],
    ["another stack's", ownerMark(another), `marked by owner "${another}"`],
  ])("leaves a link of its name that is %s on delete, and refresh reports the resource gone", async (_label, alias, what) => {
    const { id, outs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, owner: owner("m1") });
    await ip("-n", lab, "link", "del", "dev", "m1"); // deleted out of band, then its name taken again
    const ifindex = await byHand("m1", alias);

    expect((await macvlan.read(id, outs)).id).toBe("");
    expect(warned()).toContainEqual(expect.stringContaining(`refresh MacvlanLink "m1" in netns "${lab}" on localhost: what has its name is not this resource's (${what}): taken as gone`));
    await macvlan.delete(id, outs);
    expect(warned()).toContainEqual(expect.stringContaining(`delete MacvlanLink "m1" in netns "${lab}" on localhost: left alone what has its name (${what})`));
    expect(await link(lab, "m1")).toMatchObject({ ifindex });
  });

  it("deletes its own marked link, and one of a state from before marks as before", async () => {
    const { id, outs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, owner: owner("m1") });
    await macvlan.delete(id, outs);
    expect(await link(lab, "m1")).toBeUndefined();
    const old = await macvlanEngine.create({ name: "m2", parent: "veth0", parentNetns: lab });
    expect((await link(lab, "m2"))?.ifalias).toBeUndefined();
    await macvlan.delete(old.id, old.outs);
    expect(await link(lab, "m2")).toBeUndefined();
  });

  it("upgrades a state from before marks: owner changes in place, and the update sets the alias only", async () => {
    const { outs, inputs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, addresses: ["10.61.0.1/24"] });
    const { owner: _none, ...oldState } = outs;
    const before = await link(lab, "m1");
    const { diff, outs: updated } = await macvlanEngine.update(oldState, { ...inputs, owner: owner("m1") });
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect((await macvlan.diff("id", oldState, { ...inputs, owner: owner("m1") })).changes).toBe(true);
    const after = await link(lab, "m1");
    expect(after).toEqual({ ...before, ifalias: ownerMark(owner("m1")) });
    expect(updated).toEqual({ ...outs, owner: owner("m1") });
  });

  it("keeps its own link whose mark a person replaced with an alias of theirs: refresh warns, the next up marks it again, destroy deletes it", async () => {
    const { outs, inputs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, owner: owner("m1") });
    await ip("-n", lab, "link", "set", "dev", "m1", "alias", "uplink rack 3");

    const read = await macvlan.read("id", outs);
    expect(read.id).toBe("id");
    expect(read.props).toEqual({ ...outs, owner: undefined });
    expect(warned()).toContainEqual(expect.stringContaining('its mark was replaced by hand (without a mark (its alias is "uplink rack 3")'));
    const { diff, outs: updated } = await macvlanEngine.update(read.props as Props, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect(updated?.owner).toBe(owner("m1"));
    expect((await link(lab, "m1"))?.ifalias).toBe(ownerMark(owner("m1")));

    await ip("-n", lab, "link", "set", "dev", "m1", "alias", "uplink rack 3");
    await macvlan.delete("id", updated ?? {});
    expect(await link(lab, "m1")).toBeUndefined();
  });

  it("refuses to update what another stack made under its name since its own went, and changes nothing of it", async () => {
    const { outs, inputs } = await macvlanEngine.create({ name: "m1", parent: "veth0", parentNetns: lab, owner: owner("m1") });
    await ip("-n", lab, "link", "del", "dev", "m1");
    await byHand("m1", ownerMark(another));
    const theirs = await link(lab, "m1");
    for (const news of [{ ...inputs, mtu: 1300 }, { ...inputs, mtu: 1300, owner: owner("renamed") }]) {
      await expect(macvlan.update("id", outs, (await macvlan.check({}, news)).inputs)).rejects.toThrow(/is not this resource's: it is marked by owner "other-project\/prod\/MacvlanLink\/m1"/);
    }
    expect(await link(lab, "m1")).toEqual(theirs);
  });

  it("refuses to take another's marked link for a create that was cut off, on the next up", async () => {
    const { inputs } = await macvlanEngine.create({ name: "m0", parent: "veth0", parentNetns: lab, owner: owner("m0") });
    const cutOff = unverifiedMacvlanState(parseArgs(macvlanLinkArgs, { ...inputs, name: "m1", owner: owner("m1") }));
    await byHand("m1", ownerMark(another));
    const theirs = await link(lab, "m1");
    await expect(macvlan.update("id", cutOff, (await macvlan.check({}, { ...inputs, name: "m1", owner: owner("m1") })).inputs)).rejects.toThrow(/marked by owner "other-project/);
    expect(await link(lab, "m1")).toEqual(theirs);
  });

  describe("a create cut off by a broken connection before its mark (an unverified state, its link in the owner's creation group)", () => {
    const args = (name: string, whose = owner(name)) => ({ name, parent: "veth0", parentNetns: lab, owner: whose });
    const cutOff = (name: string) => unverifiedMacvlanState(parseArgs(macvlanLinkArgs, args(name)));

    it("is marked by refresh, which keeps it", async () => {
      const ifindex = await byHand("m1", undefined, creationGroup(owner("m1")));
      const read = await macvlan.read("id", cutOff("m1"));
      expect(read.id).toBe("id");
      expect(read.props).toMatchObject({ ifindex, owner: owner("m1") });
      expect(await link(lab, "m1")).toMatchObject({ ifindex, ifalias: ownerMark(owner("m1")), group: "default" });
      expect(warned()).toContainEqual(expect.stringContaining('refresh MacvlanLink "m1"'));
    });

    it("is taken and marked by the next update, without a refresh", async () => {
      const ifindex = await byHand("m1", undefined, creationGroup(owner("m1")));
      const { outs } = await macvlan.update("id", cutOff("m1"), (await macvlan.check({}, args("m1"))).inputs);
      expect(outs).toMatchObject({ ifindex, owner: owner("m1"), up: true });
      expect(await link(lab, "m1")).toMatchObject({ ifindex, ifalias: ownerMark(owner("m1")), group: "default" });
    });

    it("is deleted by destroy", async () => {
      await byHand("m1", undefined, creationGroup(owner("m1")));
      await macvlan.delete("id", cutOff("m1"));
      expect(await link(lab, "m1")).toBeUndefined();
    });

    it("in another owner's creation group, is a stranger's: refresh takes the resource as gone, destroy leaves it", async () => {
      const ifindex = await byHand("m1", undefined, creationGroup(another));
      expect((await macvlan.read("id", cutOff("m1"))).id).toBe("");
      await macvlan.delete("id", cutOff("m1"));
      expect(await link(lab, "m1")).toMatchObject({ ifindex, group: String(creationGroup(another)) });
      expect((await link(lab, "m1"))?.ifalias).toBeUndefined();
    });
  });

  describe("NetNamespace: the mark is its lo's alias", () => {
    const nsEngine = asTheEngine(namespaceHandlers);
    const loAlias = async (name: string) => (await ipJson<IpLink[]>("-n", name, "link", "show", "dev", "lo"))[0]?.ifalias;

    it("marks the namespace it makes, resumes one cut off after its mark, and leaves a stranger's on delete", async () => {
      const name = world.plannedNetns("marked");
      const mine = owner(name, "NetNamespace");
      const { id, outs } = await nsEngine.create({ name, owner: mine });
      expect(await loAlias(name)).toBe(ownerMark(mine));

      // Cut off: made and marked, never recorded. Create again takes it over and brings lo up.
      await ip("netns", "del", name);
      await ip("netns", "add", name);
      await ip("-n", name, "link", "set", "dev", "lo", "alias", ownerMark(mine));
      await nsEngine.create({ name, owner: mine });
      expect(warned()).toContainEqual(expect.stringContaining(`resuming the create of NetNamespace "${name}" cut off earlier`));
      expect((await ipJson<IpLink[]>("-n", name, "link", "show", "dev", "lo"))[0]?.flags).toContain("UP");

      // Made again by someone else: not ours to delete, nor to take.
      await ip("netns", "del", name);
      await ip("netns", "add", name);
      await expect(nsEngine.create({ name, owner: mine })).rejects.toThrow(/already exists: choose another name, set adopt: true/);
      expect((await namespaceHandlers.read(id, outs)).id).toBe("");
      await namespaceHandlers.delete(id, outs);
      expect(await listNamespaces()).toContain(name);
      expect(warned()).toContainEqual(expect.stringContaining(`delete NetNamespace "${name}" on localhost: left alone what has its name (without a mark`));
    });

    it("names an empty /run/netns file (ip cut off between making it and mounting the namespace) and how to remove it", async () => {
      const name = world.plannedNetns("empty");
      writeFileSync(`/run/netns/${name}`, "", { flag: "wx" });
      try {
        await expect(nsEngine.create({ name, owner: owner(name, "NetNamespace") })).rejects.toThrow(`/run/netns/${name} names no namespace (ip was cut off making it): \`ip netns del ${name}\` removes it`);
      } finally {
        rmSync(`/run/netns/${name}`, { force: true });
      }
    });

    // The step's program on a PATH of its own: with unshare, an `ip` that refuses `netns add` (so only
    // the attach can name it); without, the real one.
    it.each([
      ["with unshare and ip netns attach: named once its lo is marked", true],
      ["without unshare: named, then marked, as before", false],
    ])("makes a namespace %s", async (_how, withUnshare) => {
      const name = world.plannedNetns("made");
      const mine = owner(name, "NetNamespace");
      const bin = mkdtempSync(path.join(tmpdir(), "pi2-bin-"));
      const where = async (program: string) => (await execa("sh", ["-c", `command -v ${program}`])).stdout;
      try {
        for (const program of ["sh", "grep", ...(withUnshare ? ["unshare"] : [])]) symlinkSync(await where(program), path.join(bin, program));
        if (withUnshare) {
          writeFileSync(path.join(bin, "ip"), `#!/bin/sh\n[ "$1 $2" = "netns add" ] && { echo "netns add refused" >&2; exit 1; }\nexec ${await where("ip")} "$@"\n`, { mode: 0o755 });
        } else {
          symlinkSync(await where("ip"), path.join(bin, "ip"));
        }
        const { command } = makeNamespaceStep(name, mine);
        await execa(command.argv[0] ?? "", command.argv.slice(1), { env: { PATH: bin }, extendEnv: false });
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
      expect(await loAlias(name)).toBe(ownerMark(mine));
    });
  });

  describe("VethPair: both ends carry the mark", () => {
    const vethEngine = asTheEngine(veth);

    it("marks both ends, and resumes a create cut off before its peer was marked (in another namespace)", async () => {
      const a = await world.netns("a");
      const b = await world.netns("b");
      const mine = owner("pair", "VethPair");
      const args = { name: "va", peerName: "vb", netns: a, peerNetns: b, owner: mine };
      const { id, outs } = await vethEngine.create(args);
      expect([(await link(a, "va"))?.ifalias, (await link(b, "vb"))?.ifalias]).toEqual([ownerMark(mine), ownerMark(mine)]);
      await veth.delete(id, outs as Props);
      expect(await link(a, "va")).toBeUndefined();

      // The end made and marked, the kill before the peer's batch.
      await ip("-n", a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b);
      await ip("-n", a, "link", "set", "dev", "va", "alias", ownerMark(mine));
      const resumed = await vethEngine.create(args);
      expect([(await link(a, "va"))?.ifalias, (await link(b, "vb"))?.ifalias]).toEqual([ownerMark(mine), ownerMark(mine)]);
      expect(resumed.outs).toMatchObject({ owner: mine, up: true });
    });

    it("marks a peer left in the owner's creation group (its batch cut off) on refresh and on update; destroy deletes the pair", async () => {
      const a = await world.netns("a");
      const b = await world.netns("b");
      const mine = owner("pair", "VethPair");
      const { id, outs, inputs } = await vethEngine.create({ name: "va", peerName: "vb", netns: a, peerNetns: b, owner: mine });
      const cutOff = () => ip("-n", b, "link", "set", "dev", "vb", "alias", "", "group", String(creationGroup(mine)));
      const marked = { ifalias: ownerMark(mine), group: "default" };

      await cutOff();
      expect((await veth.read(id, outs as Props)).id).toBe(id);
      expect(await link(b, "vb")).toMatchObject(marked);

      await cutOff();
      const { outs: updated } = await vethEngine.update(outs as Props, { ...inputs, mtu: 1400 });
      expect(updated).toMatchObject({ owner: mine, mtu: 1400 });
      expect(await link(b, "vb")).toMatchObject(marked);

      await cutOff();
      await veth.delete(id, updated as Props);
      expect([await link(a, "va"), await link(b, "vb")]).toEqual([undefined, undefined]);
    });

    it("resumes a create cut off before either end was marked: both ends in the owner's creation group, the peer in another namespace", async () => {
      const a = await world.netns("a");
      const b = await world.netns("b");
      const mine = owner("pair", "VethPair");
      const group = String(creationGroup(mine));
      await ip("-n", a, "link", "add", "va", "group", group, "type", "veth", "peer", "group", group, "name", "vb", "netns", b);
      const [va, vb] = [await link(a, "va"), await link(b, "vb")];
      const resumed = await vethEngine.create({ name: "va", peerName: "vb", netns: a, peerNetns: b, owner: mine });
      expect([await link(a, "va"), await link(b, "vb")]).toMatchObject([
        { ifindex: va?.ifindex, ifalias: ownerMark(mine), group: "default" },
        { ifindex: vb?.ifindex, ifalias: ownerMark(mine), group: "default" },
      ]);
      expect(resumed.outs).toMatchObject({ owner: mine, up: true });
      expect(warned()).toContainEqual(expect.stringContaining('resuming the create of VethPair "va" cut off earlier'));
    });
  });
});
