// VethPair plans: the diff and the exact steps of create, update and delete.
import { describe, expect, it } from "vitest";
import type { VethPairDesired, VethPairState } from "../../../provider/model";
import { diffVeth, planVethCreate, planVethDelete, planVethUpdate } from "../../../provider/plan/vethPair";
import { undoSteps } from "../../../provider/plan/steps";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { UNKNOWN } from "../../../provider/schema/validate";
import { validArgs } from "../schema/expectations";
import { announced, announcedAgain, dhcpChecked, dhcpStarted, dhcpStopped, ipv6Ready, normalized, step, undone } from "../steps";

function stateOf(overrides: Partial<VethPairState> = {}): VethPairState {
  return {
    name: "veth0",
    peerName: "veth1",
    netns: "a",
    peerNetns: "b",
    addresses: ["10.0.0.1/24", "fd00::1/64"],
    peerAddresses: ["10.0.0.2/24"],
    dhcp: false,
    peerDhcp: false,
    mtu: 1500,
    up: true,
    announce: true,
    nodad: false,
    adopt: false,
    persist: true,
    connection: { type: "local", sudo: false, persist: true },
    macAddress: "02:00:00:00:00:01",
    peerMacAddress: "02:00:00:00:00:02",
    ifindex: 4,
    peerIfindex: 5,
    kernelChosen: ["mtu"],
    ...overrides,
  };
}

const inputs = { name: "veth0", peerName: "veth1", netns: "a", peerNetns: "b", addresses: ["10.0.0.1/24", "fd00::1/64"], peerAddresses: ["10.0.0.2/24"] };

function desired(raw: Record<string, unknown>): VethPairDesired {
  return validArgs(vethPairArgs, raw);
}

type Outcome = "no change" | "update" | "replace";

describe("diffVeth", () => {
  it.each<{ case: string; olds?: Partial<VethPairState>; news: Record<string, unknown>; outcome: Outcome; property?: string }>([
    { case: "the MTU the kernel chose, left unset", news: {}, outcome: "no change" },
    { case: "the MTU the kernel chose, now given", news: { mtu: 1500 }, outcome: "no change" },
    { case: "addresses in another order", news: { addresses: ["fd00::1/64", "10.0.0.1/24"] }, outcome: "no change" },
    { case: "an address spelled another way", news: { addresses: ["10.0.0.1/24", "FD00:0::1/64"] }, outcome: "no change" },
    {
      case: "IPv4-mapped addresses stored in their hex spelling",
      olds: { addresses: ["::ffff:a00:1/128"], peerAddresses: ["::ffff:a00:2/128"] },
      news: { addresses: ["::ffff:10.0.0.1/128"], peerAddresses: ["::FFFF:10.0.0.2/128"] },
      outcome: "no change",
    },
    { case: "an address added", news: { addresses: [...inputs.addresses, "10.0.1.1/24"] }, outcome: "update", property: "addresses" },
    { case: "a peer address removed", news: { peerAddresses: [] }, outcome: "update", property: "peerAddresses" },
    { case: "mtu", news: { mtu: 9000 }, outcome: "update", property: "mtu" },
    // IPv6 addresses need up: true, so the link going down has only its IPv4 one.
    { case: "up", olds: { addresses: ["10.0.0.1/24"] }, news: { up: false, addresses: ["10.0.0.1/24"] }, outcome: "update", property: "up" },
    { case: "connection.sudo", news: { connection: { sudo: true } }, outcome: "update", property: "connection" },
    { case: "name", news: { name: "veth2" }, outcome: "replace", property: "name" },
    { case: "peerName", news: { peerName: "veth3" }, outcome: "replace", property: "peerName" },
    { case: "netns", news: { netns: "c" }, outcome: "replace", property: "netns" },
    { case: "peerNetns", news: { peerNetns: "c" }, outcome: "replace", property: "peerNetns" },
    { case: "peerNetns unset: it defaults to netns", news: { peerNetns: undefined }, outcome: "replace", property: "peerNetns" },
    { case: "name unknown", news: { name: UNKNOWN }, outcome: "replace", property: "name" },
    { case: "netns unknown", news: { netns: UNKNOWN }, outcome: "replace", property: "netns" },
    { case: "mtu unknown", news: { mtu: UNKNOWN }, outcome: "update", property: "mtu" },
    { case: "a peer address unknown", news: { peerAddresses: [UNKNOWN] }, outcome: "update", property: "peerAddresses" },
    { case: "an owner where the state has none (an upgrade)", news: { owner: "p/s/VethPair/v" }, outcome: "update", property: "owner" },
    { case: "another owner", olds: { owner: "p/s/VethPair/v" }, news: { owner: "p/t/VethPair/v" }, outcome: "update", property: "owner" },
  ])("$case: $outcome", ({ olds, news, outcome, property }) => {
    const diff = diffVeth(stateOf(olds) as unknown as Record<string, unknown>, validArgs(vethPairArgs, { ...inputs, ...news }) as unknown as Record<string, unknown>);
    expect(diff).toStrictEqual({
      changes: outcome !== "no change",
      changed: property !== undefined ? [property] : [],
      replaces: outcome === "replace" && property !== undefined ? [property] : [],
    });
  });
});

const delVeth0 = (netns: string | undefined) => step(netns, "link del dev veth0");

describe("planVethCreate", () => {
  it.each([
    {
      case: "in the host's namespace",
      raw: { name: "veth0", peerName: "veth1" },
      steps: [
        step(undefined, "link add name veth0 type veth peer name veth1", delVeth0(undefined)),
        step(undefined, "link set dev veth0 up"),
        step(undefined, "link set dev veth1 up"),
      ],
    },
    {
      case: "both ends in one named netns",
      raw: { name: "veth0", peerName: "veth1", netns: "a", up: false },
      steps: [step("a", "link add name veth0 type veth peer name veth1", delVeth0("a"))],
    },
    {
      case: "ends in two namespaces, an MTU on both, addresses on both",
      raw: { ...inputs, mtu: 9000 },
      steps: [
        step("a", "link add name veth0 mtu 9000 type veth peer name veth1 netns b mtu 9000", delVeth0("a")),
        announced("a", "veth0"),
        announced("b", "veth1"),
        step("a", "addr add 10.0.0.1/24 dev veth0"),
        step("a", "addr add fd00::1/64 dev veth0"),
        step("b", "addr add 10.0.0.2/24 dev veth1"),
        step("a", "link set dev veth0 up"),
        step("b", "link set dev veth1 up"),
        ipv6Ready("a", "veth0", "fd00::1/64"),
      ],
    },
    {
      case: "announce off and nodad: neither settings nor a wait",
      raw: { ...inputs, announce: false, nodad: true },
      steps: [
        step("a", "link add name veth0 type veth peer name veth1 netns b", delVeth0("a")),
        step("a", "addr add 10.0.0.1/24 dev veth0"),
        step("a", "addr add fd00::1/64 dev veth0 nodad"),
        step("b", "addr add 10.0.0.2/24 dev veth1"),
        step("a", "link set dev veth0 up"),
        step("b", "link set dev veth1 up"),
      ],
    },
    {
      case: "with an owner: both ends marked right after the add, each in its namespace",
      raw: { name: "veth0", peerName: "veth1", netns: "a", peerNetns: "b", up: false, owner: "p/s/VethPair/v" },
      steps: [
        step("a", "link add name veth0 type veth peer name veth1 netns b", delVeth0("a")),
        step("a", "link set dev veth0 alias pulumi-iproute2:p/s/VethPair/v"),
        step("b", "link set dev veth1 alias pulumi-iproute2:p/s/VethPair/v"),
      ],
    },
    {
      case: "only the peer in a named netns",
      raw: { name: "veth0", peerName: "veth1", peerNetns: "b", up: false },
      steps: [step(undefined, "link add name veth0 type veth peer name veth1 netns b", delVeth0(undefined))],
    },
  ])("$case", ({ raw, steps }) => {
    expect(normalized(planVethCreate(desired(raw)))).toStrictEqual(steps);
  });

  it("is undone by one link del of the first end", () => {
    expect(normalized(undoSteps(planVethCreate(desired({ ...inputs, mtu: 1400 }))))).toStrictEqual([delVeth0("a")]);
  });
});

describe("planVethUpdate", () => {
  it.each([
    { case: "nothing to change", cur: {}, raw: inputs, steps: [] },
    { case: "the kernel's MTU left unset", cur: { mtu: 65535 }, raw: inputs, steps: [] },
    {
      case: "addresses swapped on both ends: removals, then additions",
      cur: {},
      raw: { ...inputs, addresses: ["10.0.0.1/24", "fd00::3/64"], peerAddresses: ["10.0.0.3/24"] },
      steps: [
        undone("a", "addr del fd00::1/64 dev veth0", "a", "addr add fd00::1/64 dev veth0"),
        undone("b", "addr del 10.0.0.2/24 dev veth1", "b", "addr add 10.0.0.2/24 dev veth1"),
        undone("a", "addr add fd00::3/64 dev veth0", "a", "addr del fd00::3/64 dev veth0"),
        undone("b", "addr add 10.0.0.3/24 dev veth1", "b", "addr del 10.0.0.3/24 dev veth1"),
        // The new IPv4 address of an end that stays up is announced by its MAC set to itself.
        announcedAgain("b", "veth1"),
        ipv6Ready("a", "veth0", "fd00::3/64"),
      ],
    },
    {
      case: "announce turned off, on both ends",
      cur: {},
      raw: { ...inputs, announce: false },
      steps: [announced("a", "veth0", false, true), announced("b", "veth1", false, true)],
    },
    {
      case: "the MTU, on both ends",
      cur: {},
      raw: { ...inputs, mtu: 9000 },
      steps: [
        undone("a", "link set dev veth0 mtu 9000", "a", "link set dev veth0 mtu 1500"),
        undone("b", "link set dev veth1 mtu 9000", "b", "link set dev veth1 mtu 1500"),
      ],
    },
    {
      case: "down, both ends",
      cur: { addresses: ["10.0.0.1/24"] },
      raw: { ...inputs, up: false, addresses: ["10.0.0.1/24"] },
      steps: [undone("a", "link set dev veth0 down", "a", "link set dev veth0 up"), undone("b", "link set dev veth1 down", "b", "link set dev veth1 up")],
    },
    {
      case: "an address removed and the MTU changed: removal, MTU, up last",
      cur: { up: false },
      raw: { ...inputs, addresses: ["10.0.0.1/24"], mtu: 1400 },
      steps: [
        undone("a", "addr del fd00::1/64 dev veth0", "a", "addr add fd00::1/64 dev veth0"),
        undone("a", "link set dev veth0 mtu 1400", "a", "link set dev veth0 mtu 1500"),
        undone("b", "link set dev veth1 mtu 1400", "b", "link set dev veth1 mtu 1500"),
        undone("a", "link set dev veth0 up", "a", "link set dev veth0 down"),
        undone("b", "link set dev veth1 up", "b", "link set dev veth1 down"),
        // veth0 came up while veth1 was down, without carrier: its announcement went nowhere.
        announcedAgain("a", "veth0"),
      ],
    },
    {
      case: "up again with IPv6 addresses: waited for, each end's",
      cur: { up: false, peerAddresses: ["fd00::2/64"] },
      raw: { ...inputs, announce: false, peerAddresses: ["fd00::2/64"] },
      steps: [
        announced("a", "veth0", false, true),
        announced("b", "veth1", false, true),
        undone("a", "link set dev veth0 up", "a", "link set dev veth0 down"),
        undone("b", "link set dev veth1 up", "b", "link set dev veth1 down"),
        ipv6Ready("a", "veth0", "fd00::1/64"),
        ipv6Ready("b", "veth1", "fd00::2/64"),
      ],
    },
    {
      case: "an IPv6 address added with nodad to an end that is up: announced anew, not waited for",
      cur: { nodad: true },
      raw: { ...inputs, nodad: true, peerAddresses: ["10.0.0.2/24", "fd00::2/64"] },
      steps: [undone("b", "addr add fd00::2/64 dev veth1 nodad", "b", "addr del fd00::2/64 dev veth1"), announcedAgain("b", "veth1")],
    },
  ])("$case", ({ cur, raw, steps }) => {
    expect(normalized(planVethUpdate(stateOf(cur), desired(raw)))).toStrictEqual(steps);
  });
});

describe("planVethDelete", () => {
  it.each([
    { case: "in a named netns", cur: { netns: "a", name: "veth0" }, steps: [step("a", "link del dev veth0")] },
    { case: "in the host's namespace", cur: { netns: undefined, name: "veth0" }, steps: [step(undefined, "link del dev veth0")] },
    {
      case: "with a DHCP client on the peer: stopped (released) first",
      cur: { netns: "a", name: "veth0", peerDhcp: true },
      steps: [dhcpStopped("b", "veth1"), step("a", "link del dev veth0")],
    },
  ])("$case", ({ cur, steps }) => {
    expect(normalized(planVethDelete(stateOf(cur)))).toStrictEqual(steps);
  });
});

describe("a pair's DHCP clients", () => {
  it("are checked for first and started last on create, each end in its namespace", () => {
    const steps = normalized(planVethCreate(validArgs(vethPairArgs, { name: "veth0", peerName: "veth1", netns: "a", peerNetns: "b", dhcp: true, peerDhcp: true })));
    expect(steps[0]).toStrictEqual(dhcpChecked);
    expect(steps.slice(-2)).toStrictEqual([dhcpStarted("a", "veth0"), dhcpStarted("b", "veth1")]);
  });
  it("come and go in place, each end on its own", () => {
    const d = validArgs(vethPairArgs, { name: "veth0", peerName: "veth1", netns: "a", peerNetns: "b", addresses: ["10.0.0.1/24", "fd00::1/64"], peerAddresses: ["10.0.0.2/24"], mtu: 1500, peerDhcp: true });
    expect(normalized(planVethUpdate(stateOf({ dhcp: true }), d))).toStrictEqual([
      dhcpChecked,
      dhcpStopped("a", "veth0", [dhcpStarted("a", "veth0")]),
      dhcpStarted("b", "veth1"),
    ]);
  });
});

describe("planVethDelete (the old shape)", () => {
  it.each([
    { case: "a state without dhcp", cur: { netns: "a", name: "veth0", dhcp: false, peerDhcp: false, peerName: "veth1" }, steps: [step("a", "link del dev veth0")] },
  ])("$case", ({ cur, steps }) => {
    expect(normalized(planVethDelete(cur))).toStrictEqual(steps);
  });
});

describe("planVethUpdate of the owner", () => {
  it("marks both ends, and nothing else, when a state from before marks gets an owner", () => {
    const owner = "p/s/VethPair/v";
    const clear = (netns: string, dev: string) => ({ netns, args: ["link", "set", "dev", dev, "alias", ""] });
    expect(normalized(planVethUpdate(stateOf(), desired({ ...inputs, owner })))).toStrictEqual([
      { ...step("a", `link set dev veth0 alias pulumi-iproute2:${owner}`), undo: [clear("a", "veth0")] },
      { ...step("b", `link set dev veth1 alias pulumi-iproute2:${owner}`), undo: [clear("b", "veth1")] },
    ]);
  });
});
