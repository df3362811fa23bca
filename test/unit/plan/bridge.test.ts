// Bridge plans: made straight in its namespace with STP always said, VLAN filtering only when wanted; its
// own settings in place, one attribute a step in an order the kernel's STP range check accepts; a new
// namespace replaces it; an unset MAC or MTU (which follow the ports) is never a change.
import { describe, expect, it } from "vitest";
import type { BridgeState } from "../../../provider/model";
import { filledPart } from "../../../provider/plan/bootPart";
import { bridgePart, bridgePropertyRules, planBridgeCreate, planBridgeDelete, planBridgeUpdate } from "../../../provider/plan/bridge";
import { diffProperties } from "../../../provider/plan/diff";
import { describeStep, undoSteps } from "../../../provider/plan/steps";
import { bridgeArgs } from "../../../provider/schema/bridge";
import { validArgs } from "../schema/expectations";
import { step } from "../steps";

const desired = (raw: Record<string, unknown> = {}) => validArgs(bridgeArgs, { name: "br0", netns: "a", up: false, ...raw });

function stateOf(overrides: Partial<BridgeState> = {}): BridgeState {
  return { ...desired(), macAddress: "02:00:00:00:00:10", mtu: 1400, txQueueLength: 1000, ifindex: 3, kernelChosen: ["macAddress", "mtu", "txQueueLength"], ...overrides };
}

const diff = (olds: Partial<BridgeState>, raw: Record<string, unknown>) => {
  const { changed, replaces } = diffProperties(bridgePropertyRules, { ...stateOf(), ...olds }, desired(raw) as unknown as Record<string, unknown>);
  return { changed, replaces };
};

describe("planBridgeCreate", () => {
  it.each([
    { case: "the defaults: STP off and the delay said, no vlan_filtering", raw: {}, add: "ip -n a link add name br0 type bridge stp_state 0 forward_delay 1500" },
    { case: "STP on with a delay in seconds, sent in centiseconds", raw: { stp: true, forwardDelay: 4.5 }, add: "ip -n a link add name br0 type bridge stp_state 1 forward_delay 450" },
    { case: "VLAN filtering wanted", raw: { vlanFiltering: true }, add: "ip -n a link add name br0 type bridge stp_state 0 forward_delay 1500 vlan_filtering 1" },
    {
      case: "a MAC pinned, before type (the MTU is a step of its own)",
      raw: { macAddress: "02:AA:BB:CC:DD:EE", mtu: 1450 },
      add: "ip -n a link add name br0 address 02:aa:bb:cc:dd:ee type bridge stp_state 0 forward_delay 1500",
    },
    { case: "in the host's namespace", raw: { netns: undefined }, add: "ip link add name br0 type bridge stp_state 0 forward_delay 1500" },
  ])("$case", ({ raw, add }) => {
    const [first] = planBridgeCreate(desired(raw));
    expect(first && describeStep(first)).toBe(add);
  });

  it("is undone by its link del, and then sets it up and addresses it as every link", () => {
    const steps = planBridgeCreate(desired({ up: true, addresses: ["10.0.0.1/24"], announce: false }));
    expect(steps.map(describeStep)).toStrictEqual([
      "ip -n a link add name br0 type bridge stp_state 0 forward_delay 1500",
      "ip -n a addr add 10.0.0.1/24 dev br0",
      "ip -n a link set dev br0 up",
    ]);
    expect(undoSteps(steps.slice(0, 1)).map(describeStep)).toStrictEqual(["ip -n a link del dev br0"]);
  });

  // The kernel keeps an MTU set on a bridge, but drops one given to its add once a port joins.
  it("sets a pinned MTU right after the add, undone with it", () => {
    const steps = planBridgeCreate(desired({ mtu: 1400, up: true }));
    expect(steps.map(describeStep)).toStrictEqual([
      "ip -n a link add name br0 type bridge stp_state 0 forward_delay 1500",
      "ip -n a link set dev br0 mtu 1400",
      "ip -n a link set dev br0 up",
    ]);
    expect(undoSteps(steps.slice(0, 2)).map(describeStep)).toStrictEqual(["ip -n a link del dev br0"]);
  });
});

describe("planBridgeUpdate", () => {
  const set = (attribute: string, value: string, old: string) => step("a", `link set dev br0 type bridge ${attribute} ${value}`, step("a", `link set dev br0 type bridge ${attribute} ${old}`));

  it.each([
    { case: "STP on", cur: {}, raw: { stp: true }, steps: [set("stp_state", "1", "0")] },
    { case: "the delay alone", cur: {}, raw: { forwardDelay: 0 }, steps: [set("forward_delay", "0", "1500")] },
    // Turning STP on checks the delay: the new delay first, while STP is still off.
    { case: "STP on with a new delay: the delay first", cur: { forwardDelay: 0 }, raw: { stp: true, forwardDelay: 4 }, steps: [set("forward_delay", "400", "0"), set("stp_state", "1", "0")] },
    // With STP on, 0 is out of range: STP off first.
    { case: "STP off with a delay of 0: STP first", cur: { stp: true, forwardDelay: 4 }, raw: { forwardDelay: 0 }, steps: [set("stp_state", "0", "1"), set("forward_delay", "0", "400")] },
    { case: "VLAN filtering on", cur: {}, raw: { vlanFiltering: true }, steps: [set("vlan_filtering", "1", "0")] },
    { case: "VLAN filtering off", cur: { vlanFiltering: true }, raw: {}, steps: [set("vlan_filtering", "0", "1")] },
    { case: "nothing of its own: VLAN filtering never said", cur: {}, raw: {}, steps: [] },
    // An unset MAC and MTU follow the ports: the kernel's, never set back.
    { case: "an unset MAC and MTU the ports changed", cur: { macAddress: "00:00:00:00:00:00", mtu: 1300 }, raw: {}, steps: [] },
    { case: "an MTU pinned", cur: {}, raw: { mtu: 1500 }, steps: [step("a", "link set dev br0 mtu 1500", step("a", "link set dev br0 mtu 1400"))] },
  ])("$case", ({ cur, raw, steps }) => {
    expect(planBridgeUpdate(stateOf(cur), desired(raw))).toStrictEqual(steps);
  });
});

describe("the Bridge diff", () => {
  it.each([
    { case: "STP", olds: {}, raw: { stp: true }, changed: ["stp"], replaces: [] },
    { case: "the delay", olds: {}, raw: { forwardDelay: 0 }, changed: ["forwardDelay"], replaces: [] },
    { case: "VLAN filtering", olds: {}, raw: { vlanFiltering: true }, changed: ["vlanFiltering"], replaces: [] },
    { case: "a new namespace replaces it (the kernel never moves a bridge)", olds: {}, raw: { netns: "b" }, changed: ["netns"], replaces: ["netns"] },
    { case: "a rename is in place", olds: {}, raw: { name: "br1" }, changed: ["name"], replaces: [] },
    { case: "a MAC and MTU the ports changed, unset: no change", olds: { macAddress: "02:00:00:00:00:05", mtu: 1300 }, raw: {}, changed: [], replaces: [] },
    { case: "a MAC set", olds: {}, raw: { macAddress: "02:00:00:00:00:99" }, changed: ["macAddress"], replaces: [] },
  ])("$case", ({ olds, raw, changed, replaces }) => {
    expect(diff(olds, raw)).toStrictEqual({ changed, replaces });
  });
});

describe("planBridgeDelete", () => {
  it("deletes the bridge alone: its ports are released by the kernel", () => {
    expect(planBridgeDelete(stateOf()).map(describeStep)).toStrictEqual(["ip -n a link del dev br0"]);
  });
});

describe("a Bridge's part", () => {
  it("pins its ifindex, but not its MAC when unset (it follows the ports)", () => {
    const part = bridgePart(desired({ up: true }));
    expect(filledPart(part, [{ ifindex: 9, macAddress: "02:00:00:00:00:10" }]).split("\n").filter((l) => /^(needs|add|anew|ip) /.test(l))).toStrictEqual([
      "needs netns a",
      "add a link add index 9 name br0 type bridge stp_state 0 forward_delay 1500",
      "anew a link add name br0 type bridge stp_state 0 forward_delay 1500",
      "ip a link set dev br0 up",
    ]);
  });

  it("sets a pinned MTU after the add, as at create", () => {
    const lines = bridgePart(desired({ mtu: 1400 })).text.split("\n").filter((l) => /^(add|anew|ip) /.test(l));
    expect(lines).toStrictEqual([
      "add a link add index #index1# name br0 type bridge stp_state 0 forward_delay 1500",
      "anew a link add name br0 type bridge stp_state 0 forward_delay 1500",
      "ip a link set dev br0 mtu 1400",
    ]);
  });

  it("pins a MAC that is set", () => {
    const part = bridgePart(desired({ macAddress: "02:aa:bb:cc:dd:ee" }));
    expect(part.text).toContain("add a link add index #index1# name br0 address 02:aa:bb:cc:dd:ee type bridge");
  });
});
