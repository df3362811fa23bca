// The lifecycle every resource runs (provider/resources/lifecycle.ts), through MacvlanLink's tables, on a
// scripted host (test/support/scriptedRunner.ts): the real schema, plans, apply and state readers, with
// only the runner played. Each test checks what the handler gives the engine and which commands reached
// the host, in order, as someone running `pulumi up` would see them in the host's history.
import { describe, expect, it } from "vitest";
import { Iproute2Error } from "../../../provider/exec/errors";
import { creationGroup, ownerMark } from "../../../provider/ownerMark";
import { defineHandlers } from "../../../provider/resources/lifecycle";
import { macvlanKindLifecycle } from "../../../provider/resources/macvlanKind";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { ScriptedRunner } from "../../support/scriptedRunner";
import { linkReads, type HostLink } from "./linkHost";

const macvlan = macvlanKindLifecycle(macvlanLinkArgs);
const handlersOn = (runner: ScriptedRunner) => defineHandlers(macvlan, { runnerFor: () => runner });

const owner = "lab/dev/MacvlanLink/mac0";
const program = { name: "mac0", parent: "eth9", parentNetns: "ns1", connection: { type: "local" }, owner, persist: false };
/** The link as the kernel has it once made: ifindex 7, carrying the owner's mark. */
const made: HostLink = { name: "mac0", ifindex: 7, parent: "eth9", kind: "macvlan", alias: ownerMark(owner) };

/** The program's inputs as the engine hands them to create and update: checked, with the defaults. */
async function inputs(args: Record<string, unknown> = {}) {
  const checked = await handlersOn(new ScriptedRunner()).check({}, { ...program, ...args });
  expect(checked.failures).toBeUndefined();
  return checked.inputs;
}

// The commands, as commandText writes them.
const createAndReadBack = [
  "ip -j -d -n ns1 -batch -",
  // In the add, the owner's creation group; with the mark, the group back to default (plan/liveCreate.ts).
  `link add group ${creationGroup(owner)} link eth9 name mac0 type macvlan mode bridge`,
  `link set dev mac0 alias ${ownerMark(owner)} group default`,
  "link set dev mac0 up",
  "addr show dev mac0",
  "route show dev mac0 proto static",
].join("\n");
const readAlone = ["ip -j -d -n ns1 -batch -", "addr show dev mac0", "route show dev mac0 proto static"].join("\n");
const readAloneIpv6 = "ip -j -6 -n ns1 route show dev mac0 proto static";
const removeBootPart = ["sh -c <script> pulumi-iproute2-boot batch", "remove link:ns1:mac0.part"].join("\n");
const answersBootWriter = { when: "pulumi-iproute2-boot batch", reply: {} };

describe("create, and adopt", () => {
  it("creates the link in one round trip, and reports what the kernel made", async () => {
    const host = new ScriptedRunner(linkReads("ns1", "mac0", made));
    const { id, outs } = await handlersOn(host).create(await inputs());
    expect(host.texts).toStrictEqual([createAndReadBack]);
    expect(id).toBe("ns1/mac0");
    expect(outs).toMatchObject({ name: "mac0", ifindex: 7, owner, up: true, macAddress: "0a:da:c3:bf:9a:6f", kernelChosen: expect.arrayContaining(["macAddress", "mtu"]) });
  });

  it("with adopt, takes over the link that is there (its own ifindex), marks it and brings it up, and adds nothing", async () => {
    const someoneElses: HostLink = { ...made, ifindex: 31, alias: undefined, up: false };
    const host = new ScriptedRunner([...linkReads("ns1", "mac0", someoneElses, 1), ...linkReads("ns1", "mac0", { ...someoneElses, alias: ownerMark(owner), up: true })]);
    const { outs } = await handlersOn(host).create(await inputs({ adopt: true }));
    expect(host.texts).toStrictEqual([
      // What is there, with every route (one added by hand is taken over too).
      "ip -j -d -n ns1 -batch -\naddr show dev mac0\nroute show dev mac0",
      "ip -j -d -6 -n ns1 route show dev mac0",
      // The update from what was found, and the read-back: no `link add`.
      ["ip -j -d -n ns1 -batch -", "link set dev mac0 up", `link set dev mac0 alias ${ownerMark(owner)}`, "addr show dev mac0", "route show dev mac0 proto static"].join("\n"),
      readAloneIpv6,
    ]);
    expect(outs).toMatchObject({ ifindex: 31, owner, up: true });
  });

  it("with adopt and nothing there, makes the link", async () => {
    const host = new ScriptedRunner([...linkReads("ns1", "mac0", undefined, 1), ...linkReads("ns1", "mac0", made)]);
    const { outs } = await handlersOn(host).create(await inputs({ adopt: true }));
    expect(host.texts).toStrictEqual(["ip -j -d -n ns1 -batch -\naddr show dev mac0\nroute show dev mac0", createAndReadBack]);
    expect(outs).toMatchObject({ ifindex: 7, owner });
  });

  it("without adopt, refuses the link that is there, saying how to take it over", async () => {
    const host = new ScriptedRunner(linkReads("ns1", "mac0", { ...made, alias: undefined })).fail("link add", "RTNETLINK answers: File exists\nCommand failed -:1\n");
    const created = handlersOn(host).create(await inputs());
    await expect(created).rejects.toMatchObject({ kind: "exists", hint: expect.stringContaining("set adopt: true") });
  });
});

/** What Pulumi keeps of a create the connection cut off: the error's id and properties (an init error). */
async function interruptedCreate(): Promise<{ id: string; properties: Record<string, unknown> }> {
  const host = new ScriptedRunner(linkReads("ns1", "mac0", made)).cutOff("link add");
  const failure: unknown = await handlersOn(host).create(await inputs()).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(Iproute2Error);
  return failure as { id: string; properties: Record<string, unknown> };
}

describe("a create cut off", () => {
  it("fails as interrupted and keeps what was asked as an unverified state, for refresh and the next up to settle", async () => {
    const failure = await interruptedCreate();
    expect(failure).toMatchObject({ kind: "interrupted", id: "ns1/mac0", properties: { name: "mac0", parent: "eth9", owner, ifindex: 0 } });
    expect(macvlan.unverified.is(macvlan.parseState(failure.properties))).toBe(true);
  });

  it("is updated from what the host has: read first, then only what differs (it was cut before `up`)", async () => {
    const { properties } = await interruptedCreate();
    const host = new ScriptedRunner([...linkReads("ns1", "mac0", { ...made, up: false }, 1), ...linkReads("ns1", "mac0", made)]);
    const { outs } = await handlersOn(host).update("ns1/mac0", properties, await inputs());
    expect(host.texts).toStrictEqual([
      readAlone,
      readAloneIpv6,
      ["ip -j -d -n ns1 -batch -", "link set dev mac0 up", "addr show dev mac0", "route show dev mac0 proto static"].join("\n"),
      readAloneIpv6,
    ]);
    expect(outs).toMatchObject({ ifindex: 7, owner });
  });

  it("is updated from what the host has: read first, then made when nothing was", async () => {
    const { properties } = await interruptedCreate();
    const host = new ScriptedRunner([...linkReads("ns1", "mac0", undefined, 1), ...linkReads("ns1", "mac0", made)]);
    const { outs } = await handlersOn(host).update("ns1/mac0", properties, await inputs());
    expect(host.texts).toStrictEqual([readAlone, createAndReadBack]);
    expect(outs).toMatchObject({ ifindex: 7, owner });
  });
});

describe("refresh and delete", () => {
  const created = async () => (await handlersOn(new ScriptedRunner(linkReads("ns1", "mac0", made))).create(await inputs())).outs;
  const refreshRead = ["ip -j -6 -n ns1 route show proto static", ["ip -j -d -force -n ns1 -batch -", "addr show dev mac0", "route show proto static", "netns list-id"].join("\n")];

  it("reads the link in its namespace's batch, and gives it back as it is", async () => {
    const outs = await created();
    const host = new ScriptedRunner(linkReads("ns1", "mac0", made));
    const { id, props, inputs: refreshed } = await handlersOn(host).read("ns1/mac0", outs);
    expect(host.texts).toStrictEqual(refreshRead);
    expect({ id, props }).toStrictEqual({ id: "ns1/mac0", props: outs });
    expect(refreshed).toMatchObject({ name: "mac0", owner });
  });

  it("returns gone (an empty id) when the link is not there, and removes its part of the boot description", async () => {
    const outs = await created();
    const host = new ScriptedRunner([...linkReads("ns1", "mac0", undefined), answersBootWriter]);
    expect(await handlersOn(host).read("ns1/mac0", outs)).toStrictEqual({ id: "", props: {} });
    expect(host.texts).toStrictEqual([...refreshRead, removeBootPart]);
  });

  it("returns gone, and leaves alone, a link of its name that carries another's mark", async () => {
    const outs = await created();
    const anothers = { ...made, alias: ownerMark("lab/other/MacvlanLink/mac0") };
    // The part of the boot description under its name is theirs too: it carries their mark.
    const theirPart = `=== link:ns1:mac0.part\n|ip link set dev mac0 alias ${anothers.alias}\nrestore present\nunit present\n`;
    const host = new ScriptedRunner([...linkReads("ns1", "mac0", anothers), { when: "pulumi-iproute2-boot-read", reply: { stdout: theirPart } }]);
    expect(await handlersOn(host).read("ns1/mac0", outs)).toStrictEqual({ id: "", props: {} });
    expect(host.texts).toStrictEqual([...refreshRead, "sh -c <script> pulumi-iproute2-boot-read link:ns1:mac0.part"]);
  });

  it("deletes only after checking the link is still its own", async () => {
    const outs = await created();
    const host = new ScriptedRunner([...linkReads("ns1", "mac0", made), { when: "link del", reply: {} }, answersBootWriter]);
    await handlersOn(host).delete("ns1/mac0", outs);
    expect(host.texts).toStrictEqual([...refreshRead, "ip -force -n ns1 -batch -\nlink del dev mac0", removeBootPart]);
  });
});

describe("check", () => {
  it("asks the resource's host, through the same runner, whether anything will replay its part at boot", async () => {
    const host = new ScriptedRunner([{ when: "sh -c <script>", reply: { exitCode: 1 } }]);
    const checked = await handlersOn(host).check({}, { ...program, persist: true });
    expect(checked).toMatchObject({ inputs: { persist: true } });
    expect(host.ran).toStrictEqual([{ argv: ["sh", "-c", "command -v systemctl"] }]);
  });
});
