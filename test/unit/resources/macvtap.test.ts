// Macvtap's device part (provider/resources/macvtapNode.ts) in the lifecycle, on a scripted host
// (test/support/scriptedRunner.ts): the node is settled after the link and goes before it, and a create
// whose node fails takes back the link it made. The real plans and readers; only the runner is played.
import { describe, expect, it } from "vitest";
import { creationGroup, ownerMark } from "../../../provider/ownerMark";
import { defineHandlers } from "../../../provider/resources/lifecycle";
import { macvtapLifecycle } from "../../../provider/resources/macvtap";
import { ScriptedRunner, type Answer } from "../../support/scriptedRunner";
import { linkReads, type HostLink } from "./linkHost";

const handlersOn = (runner: ScriptedRunner) => defineHandlers(macvtapLifecycle, { runnerFor: () => runner });

const owner = "lab/dev/Macvtap/tap0";
const program = { name: "tap0", parent: "eth9", parentNetns: "ns1", connection: { type: "local" }, owner, persist: false, tapOwner: "1000", tapMode: "0660" };
const made: HostLink = { name: "tap0", ifindex: 12, parent: "eth9", kind: "macvtap", alias: ownerMark(owner) };

async function inputs(args: Record<string, unknown> = {}) {
  const checked = await handlersOn(new ScriptedRunner()).check({}, { ...program, ...args });
  expect(checked.failures).toBeUndefined();
  return checked.inputs;
}

// The device's numbers in sysfs, and the node at its path as stat sees it (none before it is made).
const devNumbers: Answer = { when: "tap-read numbers tap0 12", reply: { stdout: "240:3\n" } };
const noNode: Answer = { when: "tap-read node /dev/tap12", reply: { stdout: "unread\n", stderr: "stat: cannot statx '/dev/tap12': No such file or directory\n" }, times: 1 };
const ourNode: Answer = { when: "tap-read node /dev/tap12", reply: { stdout: "f0:3 1000 0 qemu root 660 character special file\nlive\n" } };
const makesNode: Answer = { when: "tap-node make", reply: {} };
const answersBootWriter: Answer = { when: "pulumi-iproute2-boot batch", reply: {} };

const createAndReadBack = [
  "ip -j -d -n ns1 -batch -",
  // In the add, the owner's creation group; with the mark, the group back to default (plan/liveCreate.ts).
  `link add group ${creationGroup(owner)} link eth9 name tap0 type macvtap mode bridge`,
  `link set dev tap0 alias ${ownerMark(owner)} group default`,
  "link set dev tap0 up",
  "addr show dev tap0",
  "route show dev tap0 proto static",
].join("\n");
const readNumbers = "ip netns exec ns1 sh -c <script> tap-read numbers tap0 12";
const statNode = "sh -c <script> tap-read node /dev/tap12";
const makeNode = "sh -c <script> tap-node make /dev/tap12 absent 0660 240 3 1000";
const removeNode = "sh -c <script> tap-node remove /dev/tap12 240:3 1000 0";
const deleteLink = "ip -force -n ns1 -batch -\nlink del dev tap0";
const removeBootPart = "sh -c <script> pulumi-iproute2-boot batch\nremove link:ns1:tap0.part";

describe("a Macvtap's device node", () => {
  it("is made after the link, with the owner and mode asked, and reported", async () => {
    const host = new ScriptedRunner([...linkReads("ns1", "tap0", made), devNumbers, noNode, makesNode, ourNode]);
    const { outs } = await handlersOn(host).create(await inputs());
    expect(host.texts).toStrictEqual([createAndReadBack, readNumbers, statNode, makeNode, statNode]);
    expect(outs).toMatchObject({ ifindex: 12, tapDevice: "/dev/tap12", tapDevNumbers: "240:3", tapNodeCreated: true, tapOwner: "1000", tapMode: "0660" });
  });

  it("failing, takes back the link the create made (a link without its node is of no use), and says why", async () => {
    const host = new ScriptedRunner([...linkReads("ns1", "tap0", made), devNumbers, noNode, { when: "link del", reply: {} }, answersBootWriter]);
    host.fail("tap-node make", "mknod: /dev/tap12.new: Operation not permitted\n");
    await expect(handlersOn(host).create(await inputs())).rejects.toMatchObject({ kind: "permission", detail: expect.stringContaining("make the device node /dev/tap12") });
    expect(host.texts).toStrictEqual([createAndReadBack, readNumbers, statNode, makeNode, deleteLink, removeBootPart]);
  });

  it("failing on a link taken over, leaves the link (it was there before) and removes only its boot part", async () => {
    const someoneElses = { ...made, alias: undefined };
    const host = new ScriptedRunner([...linkReads("ns1", "tap0", someoneElses, 1), ...linkReads("ns1", "tap0", made), devNumbers, noNode, answersBootWriter]);
    host.fail("tap-node make", "mknod: /dev/tap12.new: Operation not permitted\n");
    await expect(handlersOn(host).create(await inputs({ adopt: true }))).rejects.toMatchObject({ kind: "permission" });
    expect(host.texts.slice(-2)).toStrictEqual([makeNode, removeBootPart]);
    expect(host.texts.some((t) => t.includes("link del"))).toBe(false);
  });

  it("goes before the link on delete", async () => {
    const outs = (await handlersOn(new ScriptedRunner([...linkReads("ns1", "tap0", made), devNumbers, noNode, makesNode, ourNode])).create(await inputs())).outs;
    const host = new ScriptedRunner([...linkReads("ns1", "tap0", made), { when: "tap-node remove", reply: {} }, { when: "link del", reply: {} }, answersBootWriter]);
    await handlersOn(host).delete("ns1/tap0", outs);
    expect(host.texts.slice(-3)).toStrictEqual([removeNode, deleteLink, removeBootPart]);
  });

  it("goes when a refresh finds the link gone (lest it open whichever device gets its numbers next)", async () => {
    const outs = (await handlersOn(new ScriptedRunner([...linkReads("ns1", "tap0", made), devNumbers, noNode, makesNode, ourNode])).create(await inputs())).outs;
    const host = new ScriptedRunner([...linkReads("ns1", "tap0", undefined), { when: "tap-node remove", reply: {} }, answersBootWriter]);
    expect(await handlersOn(host).read("ns1/tap0", outs)).toStrictEqual({ id: "", props: {} });
    expect(host.texts.slice(-2)).toStrictEqual([removeNode, removeBootPart]);
  });
});
