// The plan every link kind shares: a create's phases for each end after the kind's own add, and a single
// link's update with the kind's own `type` changes in their place.
import { describe, expect, it } from "vitest";
import type { SingleLinkDesired, SingleLinkState } from "../../../provider/model";
import { planLinkCreate, planLinkDelete, planSingleLinkUpdate, singleLinkAdd } from "../../../provider/plan/link";
import { describeStep } from "../../../provider/plan/steps";
import { announced, announcedAgain, ipv6Ready, normalized, step, undone } from "../steps";

const connection = { type: "local" as const, sudo: false, persist: true };
const shared = { up: true, announce: true, nodad: false, adopt: false, persist: true, owner: undefined, connection };
const add = step("a", "link add name x0 type dummy", step("a", "link del dev x0"));

describe("singleLinkAdd", () => {
  it.each([
    { case: "the name alone, then the kind's words", d: { name: "x0", netns: "a" }, add: "ip -n a link add name x0 type ifb" },
    // "name" always: a bare "mtu" or "up" would be read as a keyword.
    { case: "a keyword as its name", d: { name: "mtu" }, add: "ip link add name mtu type ifb" },
    { case: "MAC, MTU and queue length before type", d: { name: "up", netns: "a", macAddress: "02:00:00:00:00:01", mtu: 1400, txQueueLength: 500 }, add: "ip -n a link add name up address 02:00:00:00:00:01 mtu 1400 txqueuelen 500 type ifb" },
  ])("$case", ({ d, add: expected }) => {
    const made = singleLinkAdd(d, ["type", "ifb"]);
    expect(describeStep(made)).toBe(expected);
    expect(made.undo?.map(describeStep)).toStrictEqual([`ip${d.netns !== undefined ? ` -n ${d.netns}` : ""} link del dev ${d.name}`]);
  });
});

describe("planLinkCreate", () => {
  it("runs each phase on every end before the next, after the kind's add", () => {
    const d = { ...shared, name: "x0", netns: "a", addresses: ["10.0.0.1/24"] };
    const ends = [
      { netns: "a", name: "x0", addresses: ["10.0.0.1/24"], routes: [{ to: "default", via: "10.0.0.9", metric: 0 }] },
      { netns: "b", name: "x1", addresses: ["fd00::2/64"], routes: [] },
    ];
    expect(normalized(planLinkCreate(d, add, ends))).toEqual([
      add,
      announced("a", "x0"),
      announced("b", "x1"),
      step("a", "addr add 10.0.0.1/24 dev x0"),
      step("b", "addr add fd00::2/64 dev x1"),
      step("a", "link set dev x0 up"),
      step("b", "link set dev x1 up"),
      step("a", "route add default via 10.0.0.9 dev x0 proto static metric 0"),
      ipv6Ready("b", "x1", "fd00::2/64"),
    ]);
  });
});

describe("planSingleLinkUpdate", () => {
  const current: SingleLinkState = {
    ...shared,
    name: "x0",
    netns: "a",
    addresses: [],
    routes: [],
    macAddress: "02:00:00:00:00:01",
    mtu: 1500,
    txQueueLength: 1000,
    ifindex: 7,
    kernelChosen: ["macAddress"],
  };
  const kindsOwn = step("a", "link set dev x0 type dummy something 1", step("a", "link set dev x0 type dummy something 0"));

  it("puts the kind's type changes after the announce settings, before the MTU and addresses", () => {
    const d: SingleLinkDesired = { ...current, macAddress: undefined, mtu: 1400, addresses: ["10.0.0.1/24"] };
    expect(normalized(planSingleLinkUpdate(current, d, [kindsOwn]))).toEqual([
      announced("a", "x0", true, false),
      kindsOwn,
      undone("a", "link set dev x0 mtu 1400", "a", "link set dev x0 mtu 1500"),
      undone("a", "addr add 10.0.0.1/24 dev x0", "a", "addr del 10.0.0.1/24 dev x0"),
      announcedAgain("a", "x0"),
    ]);
  });

  it("deletes by name in its namespace", () => {
    expect(planLinkDelete(current)).toEqual([step("a", "link del dev x0")]);
  });
});
