// A bridge port's `master`, the piece every kind that can be a port shares (plan/linkSteps.ts masterStep,
// plan/link.ts, plan/diff.ts portPropertyRules, plan/bootPart.ts): its own step in the port's namespace,
// never beside `netns` in an `ip link add` (the kernel would join whatever has that ifindex there), never
// inside `veth peer ...` (ignored); in place; back in its bridge when a move is undone.
import { describe, expect, it } from "vitest";
import type { MacvlanLinkState, VethPairState } from "../../../provider/model";
import { macvlanPart, vethPairPart } from "../../../provider/plan/bootPart";
import { isMasterStep, masterChange } from "../../../provider/plan/linkSteps";
import { diffMacvlan, planMacvlanCreate, planMacvlanUpdate } from "../../../provider/plan/macvlanLink";
import { describeStep, undoSteps } from "../../../provider/plan/steps";
import { diffVeth, planVethCreate, planVethUpdate } from "../../../provider/plan/vethPair";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { macvtapArgs } from "../../../provider/schema/macvtap";
import { validateArgs } from "../../../provider/schema/validate";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { validArgs } from "../schema/expectations";
import { step } from "../steps";

const macvlan = { name: "mv0", parent: "eth9", parentNetns: "a", netns: "b", up: false };
const veth = { name: "v0", peerName: "v1", netns: "a", peerNetns: "b", up: false };

function macvlanState(overrides: Partial<MacvlanLinkState> = {}): MacvlanLinkState {
  return {
    ...validArgs(macvlanLinkArgs, macvlan),
    macAddress: "02:00:00:00:00:01",
    mtu: 1500,
    txQueueLength: 1000,
    bcQueueLength: 1000,
    ifindex: 7,
    kernelChosen: ["macAddress", "mtu", "txQueueLength", "bcQueueLength"],
    ...overrides,
  };
}

function vethState(overrides: Partial<VethPairState> = {}): VethPairState {
  return { ...validArgs(vethPairArgs, veth), mtu: 1500, macAddress: "02:00:00:00:00:01", peerMacAddress: "02:00:00:00:00:02", ifindex: 4, peerIfindex: 5, kernelChosen: ["mtu"], ...overrides };
}

describe("masterChange", () => {
  it.each([
    { case: "joins", current: undefined, desired: "br0", steps: [step("a", "link set dev x0 master br0", step("a", "link set dev x0 nomaster"))] },
    { case: "leaves", current: "br0", desired: undefined, steps: [step("a", "link set dev x0 nomaster", step("a", "link set dev x0 master br0"))] },
    { case: "moves straight to another bridge", current: "br0", desired: "br1", steps: [step("a", "link set dev x0 master br1", step("a", "link set dev x0 master br0"))] },
    { case: "stays", current: "br0", desired: "br0", steps: [] },
  ])("$case", ({ current, desired, steps }) => {
    expect(masterChange("a", "x0", current, desired)).toStrictEqual(steps);
  });

  it("tells master steps from others (a link named master included)", () => {
    expect(isMasterStep(step("a", "link set dev x0 nomaster"))).toBe(true);
    expect(isMasterStep(step("a", "link set dev master up"))).toBe(false);
  });
});

describe("a MacvlanLink port", () => {
  it("joins its bridge in a step of its own in its namespace, never in the add that names another namespace", () => {
    const [add, ...rest] = planMacvlanCreate(validArgs(macvlanLinkArgs, { ...macvlan, master: "br0" }));
    expect(add && describeStep(add)).toBe("ip -n a link add link eth9 name mv0 netns b type macvlan mode bridge");
    expect(rest.map(describeStep)).toStrictEqual(["ip -n b link set dev mv0 master br0"]);
  });

  it.each([
    { case: "joining", olds: {}, news: { master: "br0" }, changed: ["master"] },
    { case: "leaving", olds: { master: "br0" }, news: {}, changed: ["master"] },
    { case: "another bridge", olds: { master: "br0" }, news: { master: "br1" }, changed: ["master"] },
    { case: "the same bridge", olds: { master: "br0" }, news: { master: "br0" }, changed: [] },
  ])("diffs $case in place", ({ olds, news, changed }) => {
    const diff = diffMacvlan({ ...macvlanState(), ...olds }, validArgs(macvlanLinkArgs, { ...macvlan, ...news }) as unknown as Record<string, unknown>);
    expect({ changed: diff.changed, replaces: diff.replaces }).toStrictEqual({ changed, replaces: [] });
  });

  it("joins its bridge again in the namespace it moves to, and a move undone puts it back in the old one", () => {
    const steps = planMacvlanUpdate(macvlanState({ master: "br0" }), validArgs(macvlanLinkArgs, { ...macvlan, netns: "c", master: "br0" }));
    expect(steps.map(describeStep)).toStrictEqual(["ip -n b link set dev mv0 netns c", "ip -n c link set dev mv0 master br0"]);
    expect(undoSteps(steps).map(describeStep)).toStrictEqual(["ip -n c link set dev mv0 nomaster", "ip -n c link set dev mv0 netns b", "ip -n b link set dev mv0 master br0"]);
  });

  it("leaves with nomaster, after its own type changes", () => {
    const steps = planMacvlanUpdate(macvlanState({ master: "br0" }), validArgs(macvlanLinkArgs, { ...macvlan, mode: "private" }));
    expect(steps.map(describeStep)).toStrictEqual(["ip -n b link set dev mv0 type macvlan mode private", "ip -n b link set dev mv0 nomaster"]);
  });

  it("waits at boot for its bridge, in its own namespace", () => {
    const part = macvlanPart(validArgs(macvlanLinkArgs, { ...macvlan, master: "br0" }), "macvlan");
    expect(part.text.split("\n").filter((l) => l.startsWith("needs ") || l.includes("master"))).toStrictEqual([
      "needs netns a",
      "needs netns b",
      "needs link a eth9",
      "needs link b br0",
      "ip b link set dev mv0 master br0",
    ]);
  });
});

describe("a VethPair's ends as ports", () => {
  it("joins each end's bridge in its own namespace after the add (a master inside peer ... is ignored)", () => {
    const steps = planVethCreate(validArgs(vethPairArgs, { ...veth, master: "br0", peerMaster: "br1" }));
    expect(steps.map(describeStep)).toStrictEqual([
      "ip -n a link add name v0 type veth peer name v1 netns b",
      "ip -n a link set dev v0 master br0",
      "ip -n b link set dev v1 master br1",
    ]);
  });

  it("changes each end's bridge in place, each undone by the old one", () => {
    const news = validArgs(vethPairArgs, { ...veth, peerMaster: "br1" });
    expect(diffVeth(vethState({ master: "br0" }), news as unknown as Record<string, unknown>)).toStrictEqual({ changes: true, changed: ["master", "peerMaster"], replaces: [] });
    const steps = planVethUpdate(vethState({ master: "br0" }), news);
    expect(steps).toStrictEqual([
      step("a", "link set dev v0 nomaster", step("a", "link set dev v0 master br0")),
      step("b", "link set dev v1 master br1", step("b", "link set dev v1 nomaster")),
    ]);
  });

  it("waits at boot for each end's bridge", () => {
    const part = vethPairPart(validArgs(vethPairArgs, { ...veth, master: "br0", peerMaster: "br1" }));
    expect(part.text.split("\n").filter((l) => l.startsWith("needs "))).toStrictEqual(["needs netns a", "needs netns b", "needs link a br0", "needs link b br1"]);
  });
});

describe("master arguments that are refused", () => {
  it.each([
    { spec: "MacvlanLink", result: validateArgs(macvlanLinkArgs, { ...macvlan, master: "mv0" }), property: "master", reason: "must name a bridge, not the link itself" },
    { spec: "VethPair", result: validateArgs(vethPairArgs, { ...veth, peerMaster: "v1" }), property: "peerMaster", reason: "must name a bridge, not the link itself" },
    { spec: "VethPair", result: validateArgs(vethPairArgs, { ...veth, master: "a/b" }), property: "master", reason: 'must not contain "/"' },
  ])("$spec: $property $reason", ({ result, property, reason }) => {
    expect(result.ok ? [] : result.failures).toStrictEqual([{ property, reason }]);
  });

  it("refuses master on a Macvtap, which the kernel never takes as a port, naming the field", () => {
    const result = validateArgs(macvtapArgs, { ...macvlan, master: "br0" });
    expect(result.ok ? [] : result.failures.map((f) => f.property)).toStrictEqual(["master"]);
    expect(result.ok ? "" : result.failures[0]?.reason).toMatch(/Device or resource busy/);
  });
});
