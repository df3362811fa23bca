// What a live create runs beyond its plan: a link carries the owner's creation group from its add to
// its mark (the window a kill can land in), the mark putting it back to default in the same request; a
// namespace is named only once its lo is marked.
import { describe, expect, it } from "vitest";
import { creationGroup, ownerMark } from "../../../provider/ownerMark";
import { planBridgeCreate } from "../../../provider/plan/bridge";
import { liveCreate } from "../../../provider/plan/liveCreate";
import { planMacvlanCreate } from "../../../provider/plan/macvlanLink";
import { planNetNamespaceCreate } from "../../../provider/plan/netNamespace";
import { planVethCreate } from "../../../provider/plan/vethPair";
import { planVxlanCreate } from "../../../provider/plan/vxlan";
import { bridgeArgs } from "../../../provider/schema/bridge";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { vxlanArgs } from "../../../provider/schema/vxlan";
import { validArgs } from "../schema/expectations";
import { normalized, step } from "../steps";

const owner = "lab/dev/MacvlanLink/mac0";
const group = creationGroup(owner);
const claim = (netns: string, dev: string) => step(netns, `link set dev ${dev} alias ${ownerMark(owner)} group default`);

describe("creationGroup", () => {
  it("is the same for an owner every time, apart for two owners, and a group number ip takes above the hand-made ones", () => {
    expect(creationGroup(owner)).toBe(group);
    expect(creationGroup("lab/dev/MacvlanLink/mac1")).not.toBe(group);
    for (const o of [owner, "", "x".repeat(500), "p/s/VethPair/\u202e"]) {
      expect(creationGroup(o)).toBeGreaterThanOrEqual(2 ** 30);
      expect(creationGroup(o)).toBeLessThanOrEqual(2 ** 31 - 1); // ip refuses a group above INT_MAX
    }
  });
});

describe("liveCreate", () => {
  it("puts the group in a macvlan's add, made into another namespace, and claims it where it is marked", () => {
    const d = validArgs(macvlanLinkArgs, { name: "mac0", parent: "veth0", parentNetns: "lab", netns: "ns1", owner });
    const steps = normalized(liveCreate(planMacvlanCreate(d), owner));
    expect(steps.slice(0, 2)).toStrictEqual([
      step("lab", `link add group ${group} link veth0 name mac0 netns ns1 type macvlan mode bridge`, step("ns1", "link del dev mac0")),
      claim("ns1", "mac0"),
    ]);
    // The rest of the plan as it was.
    expect(steps.slice(2)).toStrictEqual(normalized(planMacvlanCreate(d)).slice(2));
  });

  it("gives each end of a veth pair the group (the peer's after `type veth peer`), and claims each end in its namespace", () => {
    const d = validArgs(vethPairArgs, { name: "peer", peerName: "veth", netns: "a", peerNetns: "b", owner });
    const steps = normalized(liveCreate(planVethCreate(d), owner));
    expect(steps.slice(0, 3)).toStrictEqual([
      // Names that are keywords of the add itself: the words are found by position, not by value.
      step("a", `link add group ${group} name peer type veth peer group ${group} name veth netns b`, step("a", "link del dev peer")),
      claim("a", "peer"),
      claim("b", "veth"),
    ]);
  });

  it("gives a bridge the group", () => {
    const d = validArgs(bridgeArgs, { name: "br0", netns: "a", owner });
    expect(normalized(liveCreate(planBridgeCreate(d), owner)).slice(0, 2)).toStrictEqual([
      step("a", `link add group ${group} name br0 type bridge stp_state 0 forward_delay 1500`, step("a", "link del dev br0")),
      claim("a", "br0"),
    ]);
  });

  it("gives a vxlan the group (its own multicast `group` comes after `type vxlan`, a word of the kind's)", () => {
    const d = validArgs(vxlanArgs, { name: "vx0", netns: "a", vni: 42, group: "239.1.1.1", underlay: "veth0", owner });
    const [add, mark] = normalized(liveCreate(planVxlanCreate(d), owner)) as { args: string[] }[];
    expect(add?.args.slice(0, 4)).toStrictEqual(["link", "add", "group", String(group)]);
    expect(add?.args.slice(4)).toStrictEqual((normalized(planVxlanCreate(d))[0] as { args: string[] }).args.slice(2));
    expect(mark).toStrictEqual(claim("a", "vx0"));
  });

  it("makes a namespace nameless, marks its lo, then names it, in one step; lo up after", () => {
    const ns = validArgs(netNamespaceArgs, { name: "ns1", owner });
    expect(normalized(liveCreate(planNetNamespaceCreate(ns), owner))).toStrictEqual([
      { argv: ["sh", "-c", "<script>", "sh", ownerMark(owner), "ns1"], undo: [step(undefined, "netns del ns1")] },
      step("ns1", "link set dev lo up"),
    ]);
  });

  it("leaves a plan without an owner (a state from before marks) as it is", () => {
    const d = validArgs(macvlanLinkArgs, { name: "mac0", parent: "veth0", netns: "ns1" });
    expect(liveCreate(planMacvlanCreate(d), undefined)).toStrictEqual(planMacvlanCreate(d));
    const ns = validArgs(netNamespaceArgs, { name: "ns1" });
    expect(liveCreate(planNetNamespaceCreate(ns), undefined)).toStrictEqual(planNetNamespaceCreate(ns));
  });
});
