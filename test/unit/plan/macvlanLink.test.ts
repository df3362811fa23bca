// MacvlanLink plans: the diff (no change / update in place / replace) and the exact iproute2 steps of
// create, update and delete, with their undo steps.
import { describe, expect, it } from "vitest";
import type { MacvlanLinkDesired, MacvlanLinkState } from "../../../provider/model";
import { diffMacvlan, planMacvlanClientStop, planMacvlanCreate, planMacvlanDelete, planMacvlanUpdate } from "../../../provider/plan/macvlanLink";
import { describeStep, undoSteps } from "../../../provider/plan/steps";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { UNKNOWN } from "../../../provider/schema/validate";
import { validArgs } from "../schema/expectations";
import { announced, announcedAgain, dhcpChecked, dhcpStarted, dhcpStopped, ipv6Ready, normalized, step, undone, type Expected } from "../steps";

const a = "02:aa:00:00:00:01";
const b = "02:aa:00:00:00:02";
const c = "02:aa:00:00:00:03";

/** What the engine hands diff and update as olds: the outputs after a create or refresh. */
function stateOf(overrides: Partial<MacvlanLinkState> = {}): MacvlanLinkState {
  return {
    name: "mac0",
    parent: "veth0",
    parentNetns: "lab",
    netns: "ns1",
    mode: "bridge",
    nopromisc: false,
    sourceMacs: [],
    dhcp: false,
    macAddress: "02:ab:cd:00:00:01",
    mtu: 1500,
    txQueueLength: 1000,
    bcQueueLength: 1000,
    addresses: ["10.0.0.2/24", "fd00::2/64"],
    routes: [
      { to: "default", via: "10.0.0.1", metric: 0 },
      { to: "fd00:1::/64", via: "fd00::1", metric: 1024 },
    ],
    up: true,
    announce: true,
    nodad: false,
    adopt: false,
    persist: true,
    connection: { type: "local", sudo: false, persist: true },
    ifindex: 7,
    kernelChosen: ["macAddress", "mtu", "txQueueLength", "bcQueueLength"],
    ...overrides,
  };
}

/** The user's arguments that stateOf() stands for. */
const inputs = {
  name: "mac0",
  parent: "veth0",
  parentNetns: "lab",
  netns: "ns1",
  addresses: ["10.0.0.2/24", "fd00::2/64"],
  routes: [
    { to: "default", via: "10.0.0.1" },
    { to: "fd00:1::/64", via: "fd00::1" },
  ],
};

/** What the engine hands diff as news: the inputs as check returned them. */
function checked(raw: Record<string, unknown>): Record<string, unknown> {
  return validArgs(macvlanLinkArgs, raw) as unknown as Record<string, unknown>;
}

type Outcome = "no change" | "update" | "replace";

interface DiffRow {
  case: string;
  olds?: Partial<MacvlanLinkState>;
  news: Record<string, unknown>;
  outcome: Outcome;
  /** The property that changed; undefined for "no change". */
  property?: string;
}

function row(label: string, news: Record<string, unknown>, outcome: Outcome, property?: string, olds?: Partial<MacvlanLinkState>): DiffRow {
  return { case: label, news, outcome, property, olds };
}

const passthru = { mode: "passthru" } as const;
const sourceMode = { mode: "source" } as const;

const diffRows: DiffRow[] = [
  row("every value the kernel chose, given as it has them", { macAddress: "02:ab:cd:00:00:01", mtu: 1500, txQueueLength: 1000, bcQueueLength: 1000 }, "no change"),
  row("the MAC the kernel chose, left unset", {}, "no change"),
  row("the MAC the kernel chose, now given in capitals", { macAddress: "02:AB:CD:00:00:01" }, "no change"),
  row("the MTU the kernel chose, now given", { mtu: 1500 }, "no change"),
  row("addresses in another order", { addresses: ["fd00::2/64", "10.0.0.2/24"] }, "no change"),
  row("an IPv6 address spelled another way", { addresses: ["10.0.0.2/24", "FD00:0::2/64"] }, "no change"),
  row("routes in another order", { routes: [...inputs.routes].reverse() }, "no change"),
  // A state written while the canonical spelling of an IPv4-mapped address was ::ffff:a00:1 (before
  // it became the one ip prints): the same values, no change.
  row(
    "IPv4-mapped addresses and routes stored in their hex spelling",
    { addresses: ["::ffff:10.0.0.2/128"], routes: [{ to: "::ffff:10.1.0.0/112", via: "::ffff:10.0.0.1" }] },
    "no change",
    undefined,
    { addresses: ["::ffff:a00:2/128"], routes: [{ to: "::ffff:a01:0/112", via: "::ffff:a00:1", metric: 1024 }] },
  ),
  row(
    "an IPv4-mapped address that differs in value",
    { addresses: ["::ffff:10.0.0.3/128"], routes: [] },
    "update",
    "addresses",
    { addresses: ["::ffff:a00:2/128"], routes: [] },
  ),
  row("the IPv6 metric given as its default", { routes: [inputs.routes[0], { to: "fd00:1::/64", via: "fd00::1", metric: 1024 }] }, "no change"),
  row("source MACs in another order", { ...sourceMode, sourceMacs: [b, a] }, "no change", undefined, { mode: "source", sourceMacs: [a, b] }),
  row("source MACs in capitals", { ...sourceMode, sourceMacs: [a.toUpperCase(), b] }, "no change", undefined, { mode: "source", sourceMacs: [a, b] }),

  // in place
  row("name", { name: "mac1" }, "update", "name"),
  row("netns", { netns: "ns2" }, "update", "netns"),
  row("netns back to parentNetns", { netns: undefined }, "update", "netns"),
  row("mode bridge -> private", { mode: "private" }, "update", "mode"),
  row("mode bridge -> vepa", { mode: "vepa" }, "update", "mode"),
  row("mode bridge -> source", { ...sourceMode }, "update", "mode"),
  row("mode source -> bridge", {}, "update", "mode", { mode: "source" }),
  row("mode vepa -> private", { mode: "private" }, "update", "mode", { mode: "vepa" }),
  row("nopromisc false -> true", { ...passthru, nopromisc: true }, "update", "nopromisc", { mode: "passthru" }),
  row("a source MAC added", { ...sourceMode, sourceMacs: [a, b, c] }, "update", "sourceMacs", { mode: "source", sourceMacs: [a, b] }),
  row("a source MAC removed", { ...sourceMode, sourceMacs: [a] }, "update", "sourceMacs", { mode: "source", sourceMacs: [a, b] }),
  row("macAddress", { macAddress: "02:ab:cd:00:00:02" }, "update", "macAddress"),
  row("mtu", { mtu: 1400 }, "update", "mtu"),
  row("an owner where the state has none (an upgrade)", { owner: "p/s/MacvlanLink/m" }, "update", "owner"),
  row("another owner (handed over)", { owner: "p/t/MacvlanLink/m" }, "update", "owner", { owner: "p/s/MacvlanLink/m" }),
  row("txQueueLength", { txQueueLength: 500 }, "update", "txQueueLength"),
  row("bcQueueLength", { bcQueueLength: 2000 }, "update", "bcQueueLength"),
  row("an address added", { addresses: [...inputs.addresses, "10.0.1.2/24"] }, "update", "addresses"),
  row("an address removed", { addresses: ["10.0.0.2/24"] }, "update", "addresses"),
  row("a route's metric", { routes: [{ to: "default", via: "10.0.0.1", metric: 10 }, inputs.routes[1]] }, "update", "routes"),
  row("a route's gateway", { routes: [{ to: "default", via: "10.0.0.9" }, inputs.routes[1]] }, "update", "routes"),
  row("a route removed", { routes: [inputs.routes[0]] }, "update", "routes"),
  // A link that is down has no routes, nor IPv6 addresses (validation refuses them with up: false).
  row("down (a link that is down has no routes, nor IPv6 addresses)", { up: false, routes: [], addresses: ["10.0.0.2/24"] }, "update", "up", {
    routes: [],
    addresses: ["10.0.0.2/24"],
  }),
  row("up", {}, "update", "up", { up: false }),
  row("persist off", { persist: false }, "update", "persist"),
  row("persist back on (refresh found the part missing)", {}, "update", "persist", { persist: false }),
  row("announce turned off", { announce: false }, "update", "announce"),
  row("nodad turned on", { nodad: true }, "update", "nodad"),
  row("adopt", { adopt: true }, "update", "adopt"),
  row("connection.sudo: the same machine, reached another way", { connection: { sudo: true } }, "update", "connection"),

  // replace
  row("parent", { parent: "veth1" }, "replace", "parent"),
  row("parentNetns", { parentNetns: "lab2" }, "replace", "parentNetns"),
  row("parentNetns back to the host's", { parentNetns: undefined }, "replace", "parentNetns"),
  row("mode bridge -> passthru", { ...passthru }, "replace", "mode"),
  row("mode source -> passthru", { ...passthru }, "replace", "mode", { mode: "source" }),
  row("mode passthru -> bridge", {}, "replace", "mode", { mode: "passthru" }),
  row("mode passthru -> vepa", { mode: "vepa" }, "replace", "mode", { mode: "passthru" }),
  row("nopromisc true -> false", { ...passthru }, "replace", "nopromisc", { mode: "passthru", nopromisc: true }),
  row(
    "a connection stored by a later version (another machine)",
    {},
    "replace",
    "connection",
    { connection: { type: "ssh", host: "h1" } as unknown as MacvlanLinkState["connection"] },
  ),

  // values not known yet: a replace-kind field reports a replace
  row("parent unknown", { parent: UNKNOWN }, "replace", "parent"),
  row("parentNetns unknown", { parentNetns: UNKNOWN }, "replace", "parentNetns"),
  row("mode unknown", { mode: UNKNOWN }, "replace", "mode"),
  row("nopromisc unknown", { nopromisc: UNKNOWN }, "replace", "nopromisc"),
  // persist given: unset, it would be the unknown connection's, and unknown too
  row("connection unknown", { persist: true, connection: UNKNOWN }, "replace", "connection"),
  row("name unknown", { name: UNKNOWN }, "update", "name"),
  row("netns unknown", { netns: UNKNOWN }, "update", "netns"),
  row("mtu unknown", { mtu: UNKNOWN }, "update", "mtu"),
  row("one address unknown", { addresses: ["10.0.0.2/24", UNKNOWN] }, "update", "addresses"),
  row("a route's gateway unknown", { routes: [{ to: "default", via: UNKNOWN }, inputs.routes[1]] }, "update", "routes"),
];

describe("diffMacvlan", () => {
  it.each(diffRows)("$case: $outcome", ({ olds, news, outcome, property }) => {
    const diff = diffMacvlan(stateOf(olds) as unknown as Record<string, unknown>, checked({ ...inputs, ...news }));
    expect(diff).toStrictEqual({
      changes: outcome !== "no change",
      changed: property !== undefined ? [property] : [],
      replaces: outcome === "replace" && property !== undefined ? [property] : [],
    });
  });

  it("lists every property that changed and each that replaces", () => {
    const diff = diffMacvlan(stateOf() as unknown as Record<string, unknown>, checked({ ...inputs, name: "mac1", parent: "veth1", mtu: 9000, mode: "passthru" }));
    expect(diff).toStrictEqual({ changes: true, changed: ["name", "parent", "mode", "mtu"], replaces: ["parent", "mode"] });
  });
});

// ---- plans ----

function desired(raw: Record<string, unknown>): MacvlanLinkDesired {
  return validArgs(macvlanLinkArgs, { name: "mac0", parent: "veth0", ...raw });
}

const linkDel = (netns: string | undefined) => step(netns, "link del dev mac0");

/**
 * What stateOf() had in ns1 as mac0, added back there: the undo of a move or a rename's down. After a
 * down the IPv6 address is replaced: keep_addr_on_down may have kept it.
 */
const restoredInNs1 = {
  v4Address: step("ns1", "addr add 10.0.0.2/24 dev mac0"),
  v6Address: step("ns1", "addr add fd00::2/64 dev mac0"),
  v6AddressAfterDown: step("ns1", "addr replace fd00::2/64 dev mac0"),
  up: step("ns1", "link set dev mac0 up"),
  routes: [
    step("ns1", "route add default via 10.0.0.1 dev mac0 proto static metric 0"),
    step("ns1", "route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024"),
  ],
};

describe("planMacvlanCreate", () => {
  it.each([
    {
      case: "in the host's namespace, defaults",
      raw: {},
      steps: [step(undefined, "link add link veth0 name mac0 type macvlan mode bridge", linkDel(undefined)),
        step(undefined, "link set dev mac0 up"),
      ],
    },
    {
      case: "with a DHCP client: udhcpc checked for before the add, the client started last (stopped on undo)",
      raw: { netns: "ns1", addresses: ["10.0.0.2/24"], announce: false, dhcp: true },
      steps: [
        dhcpChecked,
        step(undefined, "link add link veth0 name mac0 netns ns1 type macvlan mode bridge", linkDel("ns1")),
        step("ns1", "addr add 10.0.0.2/24 dev mac0"),
        step("ns1", "link set dev mac0 up"),
        dhcpStarted("ns1", "mac0"),
      ],
    },
    {
      case: "beside its parent in a named netns",
      raw: { parentNetns: "lab" },
      steps: [step("lab", "link add link veth0 name mac0 type macvlan mode bridge", linkDel("lab")), step("lab", "link set dev mac0 up")],
    },
    {
      case: "with an owner: marked right after the add, in its batch",
      raw: { parentNetns: "lab", owner: "p/s/MacvlanLink/mac 0" },
      steps: [
        step("lab", "link add link veth0 name mac0 type macvlan mode bridge", linkDel("lab")),
        step("lab", "link set dev mac0 alias pulumi-iproute2:p/s/MacvlanLink/mac%200"),
        step("lab", "link set dev mac0 up"),
      ],
    },
    {
      case: "from the host's namespace into a named one",
      raw: { netns: "ns1", up: false },
      steps: [step(undefined, "link add link veth0 name mac0 netns ns1 type macvlan mode bridge", linkDel("ns1"))],
    },
    {
      case: "into another netns with addresses and routes",
      raw: {
        parentNetns: "lab",
        netns: "ns1",
        addresses: ["10.0.0.2/24", "fd00::2/64"],
        routes: [{ to: "default", via: "10.0.0.1" }, { to: "fd00:1::/64", via: "fd00::1" }, { to: "10.9.9.9", metric: 5 }],
      },
      steps: [
        step("lab", "link add link veth0 name mac0 netns ns1 type macvlan mode bridge", linkDel("ns1")),
        announced("ns1", "mac0"),
        step("ns1", "addr add 10.0.0.2/24 dev mac0"),
        step("ns1", "addr add fd00::2/64 dev mac0"),
        step("ns1", "link set dev mac0 up"),
        step("ns1", "route add default via 10.0.0.1 dev mac0 proto static metric 0"),
        step("ns1", "route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024"),
        step("ns1", "route add 10.9.9.9/32 dev mac0 proto static metric 5"),
        ipv6Ready("ns1", "mac0", "fd00::2/64"),
      ],
    },
    {
      case: "every attribute",
      raw: { mode: "vepa", macAddress: "02:AB:CD:00:00:01", mtu: 1400, txQueueLength: 500, bcQueueLength: 2000 },
      steps: [
        step(undefined, "link add link veth0 name mac0 address 02:ab:cd:00:00:01 mtu 1400 txqueuelen 500 type macvlan mode vepa bcqueuelen 2000", linkDel(undefined)),
        step(undefined, "link set dev mac0 up"),
      ],
    },
    {
      case: "passthru with nopromisc",
      raw: { mode: "passthru", nopromisc: true, up: false },
      steps: [step(undefined, "link add link veth0 name mac0 type macvlan mode passthru flag nopromisc", linkDel(undefined))],
    },
    {
      case: "source with two MACs",
      raw: { mode: "source", sourceMacs: [a, b], up: false },
      steps: [step(undefined, `link add link veth0 name mac0 type macvlan mode source macaddr set ${a} ${b}`, linkDel(undefined))],
    },
    {
      case: "source with no MACs yet",
      raw: { mode: "source", up: false },
      steps: [step(undefined, "link add link veth0 name mac0 type macvlan mode source", linkDel(undefined))],
    },
    {
      case: "down, with an address",
      raw: { up: false, addresses: ["10.0.0.2/24"] },
      steps: [step(undefined, "link add link veth0 name mac0 type macvlan mode bridge", linkDel(undefined)), announced(undefined, "mac0"), step(undefined, "addr add 10.0.0.2/24 dev mac0")],
    },
    {
      case: "announce off: no settings, nothing to set",
      raw: { announce: false, addresses: ["10.0.0.2/24"] },
      steps: [
        step(undefined, "link add link veth0 name mac0 type macvlan mode bridge", linkDel(undefined)),
        step(undefined, "addr add 10.0.0.2/24 dev mac0"),
        step(undefined, "link set dev mac0 up"),
      ],
    },
    {
      case: "nodad: IPv6 addresses added without DAD, and no wait",
      raw: { nodad: true, addresses: ["10.0.0.2/24", "fd00::2/64"] },
      steps: [
        step(undefined, "link add link veth0 name mac0 type macvlan mode bridge", linkDel(undefined)),
        announced(undefined, "mac0"),
        step(undefined, "addr add 10.0.0.2/24 dev mac0"),
        step(undefined, "addr add fd00::2/64 dev mac0 nodad"),
        step(undefined, "link set dev mac0 up"),
      ],
    },
  ])("$case", ({ raw, steps }) => {
    expect(normalized(planMacvlanCreate(desired(raw)))).toStrictEqual(steps);
  });

  it("makes a macvtap with the same options", () => {
    const [add] = planMacvlanCreate(desired({ mode: "source", sourceMacs: [a] }), "macvtap");
    expect(add && describeStep(add)).toBe(`ip link add link veth0 name mac0 type macvtap mode source macaddr set ${a}`);
  });

  it("is undone by one link del in the target netns, whatever else it does", () => {
    const steps = planMacvlanCreate(desired({ parentNetns: "lab", netns: "ns1", addresses: ["10.0.0.2/24"], routes: [{ to: "default", via: "10.0.0.1" }] }));
    expect(normalized(undoSteps(steps))).toStrictEqual([step("ns1", "link del dev mac0")]);
  });
});

describe("planMacvlanUpdate", () => {
  it("stops a link's DHCP client before a rename and starts it under the new name after every other step", () => {
    const cur = stateOf({ dhcp: true });
    const renamed = desired({ ...inputs, dhcp: true, name: "mac1" });
    const without = normalized(planMacvlanUpdate(stateOf(), { ...renamed, dhcp: false }));
    expect(normalized(planMacvlanUpdate(cur, renamed))).toStrictEqual([
      dhcpChecked,
      dhcpStopped("ns1", "mac0", [dhcpStarted("ns1", "mac0")]),
      ...without,
      dhcpStarted("ns1", "mac1"),
    ]);
  });

  it.each<{ case: string; cur: Partial<MacvlanLinkState>; raw: Record<string, unknown>; steps: Expected[] }>([
    { case: "nothing to change", cur: {}, raw: inputs, steps: [] },
    { case: "kernel-chosen values left unset", cur: { mtu: 9000, macAddress: "02:00:00:00:00:09" }, raw: inputs, steps: [] },
    { case: "a DHCP client running as asked: left alone", cur: { dhcp: true }, raw: { ...inputs, dhcp: true }, steps: [] },
    { case: "a DHCP client asked: started last", cur: {}, raw: { ...inputs, dhcp: true }, steps: [dhcpChecked, dhcpStarted("ns1", "mac0")] },
    { case: "a DHCP client no longer asked: stopped first", cur: { dhcp: true }, raw: inputs, steps: [dhcpStopped("ns1", "mac0", [dhcpStarted("ns1", "mac0")])] },
    {
      // What adopt reads: a wanted route that was added by hand is taken over in place, and undone by
      // its old protocol; nothing else about it changes.
      case: "an adopted link's route added by hand (proto boot) is taken over in place",
      cur: { routes: [{ to: "default", via: "10.0.0.1", metric: 0, protocol: "boot" }, { to: "fd00:1::/64", via: "fd00::1", metric: 1024 }] },
      raw: inputs,
      steps: [
        undone(
          "ns1",
          "route replace default via 10.0.0.1 dev mac0 proto static metric 0",
          "ns1",
          "route replace default via 10.0.0.1 dev mac0 proto boot metric 0",
        ),
      ],
    },
    {
      case: "a move to another netns re-adds addresses, up and routes there",
      cur: {},
      raw: { ...inputs, netns: "ns2" },
      steps: [
        // Undone by moving back, then adding back in ns1 everything the move dropped.
        step("ns1", "link set dev mac0 netns ns2", [
          step("ns2", "link set dev mac0 netns ns1"),
          announced("ns1", "mac0"),
          restoredInNs1.v4Address,
          restoredInNs1.v6Address,
          restoredInNs1.up,
          ...restoredInNs1.routes,
        ]),
        // A move starts the link's announce settings afresh: set again, before it comes up.
        announced("ns2", "mac0"),
        undone("ns2", "addr add 10.0.0.2/24 dev mac0", "ns2", "addr del 10.0.0.2/24 dev mac0"),
        undone("ns2", "addr add fd00::2/64 dev mac0", "ns2", "addr del fd00::2/64 dev mac0"),
        undone("ns2", "link set dev mac0 up", "ns2", "link set dev mac0 down"),
        undone("ns2", "route add default via 10.0.0.1 dev mac0 proto static metric 0", "ns2", "route del default via 10.0.0.1 dev mac0 proto static metric 0"),
        undone(
          "ns2",
          "route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
          "ns2",
          "route del fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
        ),
        ipv6Ready("ns2", "mac0", "fd00::2/64"),
      ],
    },
    {
      case: "a move to the host's namespace uses PID 1's",
      cur: { parentNetns: undefined, addresses: [], routes: [] },
      raw: { name: "mac0", parent: "veth0" },
      steps: [
        // No addresses to announce: no settings written, here or back in ns1.
        step("ns1", "link set dev mac0 netns 1", [step(undefined, "link set dev mac0 netns ns1"), restoredInNs1.up]),
        undone(undefined, "link set dev mac0 up", undefined, "link set dev mac0 down"),
      ],
    },
    {
      // The current state (down with an IPv6 address) is one validation now refuses as input, but a
      // link made by an older version, or adopted, can be in it.
      case: "a move of a link that stays down, with an address dropped",
      cur: { up: false, routes: [] },
      raw: { ...inputs, netns: "ns2", up: false, addresses: ["10.0.0.2/24"], routes: [] },
      steps: [
        // Undone with both current addresses, and neither up nor routes: it was down.
        step("ns1", "link set dev mac0 netns ns2", [
          step("ns2", "link set dev mac0 netns ns1"),
          announced("ns1", "mac0"),
          restoredInNs1.v4Address,
          restoredInNs1.v6Address,
        ]),
        announced("ns2", "mac0"),
        undone("ns2", "addr add 10.0.0.2/24 dev mac0", "ns2", "addr del 10.0.0.2/24 dev mac0"),
      ],
    },
    {
      case: "a rename brings the link down first, then puts back the IPv6 addresses and routes going down dropped",
      cur: {},
      raw: { ...inputs, name: "mac1" },
      steps: [
        // Undone by putting back, under the old name, what going down dropped: IPv6 addresses, up, routes.
        step("ns1", "link set dev mac0 down", [restoredInNs1.v6AddressAfterDown, restoredInNs1.up, ...restoredInNs1.routes]),
        undone("ns1", "link set dev mac0 name mac1", "ns1", "link set dev mac1 name mac0"),
        undone("ns1", "addr replace fd00::2/64 dev mac1", "ns1", "addr del fd00::2/64 dev mac1"),
        undone("ns1", "link set dev mac1 up", "ns1", "link set dev mac1 down"),
        undone("ns1", "route add default via 10.0.0.1 dev mac1 proto static metric 0", "ns1", "route del default via 10.0.0.1 dev mac1 proto static metric 0"),
        undone(
          "ns1",
          "route add fd00:1::/64 via fd00::1 dev mac1 proto static metric 1024",
          "ns1",
          "route del fd00:1::/64 via fd00::1 dev mac1 proto static metric 1024",
        ),
        ipv6Ready("ns1", "mac1", "fd00::2/64"),
      ],
    },
    {
      // The rename's down and up run DAD again for every IPv6 address, the kept ones with nodad excepted.
      case: "a rename with nodad turned on: the address re-added without DAD, none waited for",
      cur: { routes: [] },
      raw: { ...inputs, name: "mac1", nodad: true, routes: [] },
      steps: [
        step("ns1", "link set dev mac0 down", [restoredInNs1.v6AddressAfterDown, restoredInNs1.up]),
        undone("ns1", "link set dev mac0 name mac1", "ns1", "link set dev mac1 name mac0"),
        undone("ns1", "addr replace fd00::2/64 dev mac1 nodad", "ns1", "addr del fd00::2/64 dev mac1"),
        undone("ns1", "link set dev mac1 up", "ns1", "link set dev mac1 down"),
      ],
    },
    {
      case: "up again with nodad turned on: the address added with DAD is still waited for",
      cur: { up: false, routes: [] },
      raw: { ...inputs, nodad: true, routes: [] },
      steps: [undone("ns1", "link set dev mac0 up", "ns1", "link set dev mac0 down"), ipv6Ready("ns1", "mac0", "fd00::2/64")],
    },
    {
      case: "a rename of a link that is down",
      cur: { up: false, addresses: ["10.0.0.2/24"], routes: [] },
      raw: { ...inputs, name: "mac1", up: false, addresses: ["10.0.0.2/24"], routes: [] },
      steps: [undone("ns1", "link set dev mac0 name mac1", "ns1", "link set dev mac1 name mac0")],
    },
    {
      case: "a move and a rename: the move takes the link down",
      cur: { addresses: [], routes: [] },
      raw: { name: "mac1", parent: "veth0", parentNetns: "lab", netns: "ns2" },
      steps: [
        step("ns1", "link set dev mac0 netns ns2", [step("ns2", "link set dev mac0 netns ns1"), restoredInNs1.up]),
        undone("ns2", "link set dev mac0 name mac1", "ns2", "link set dev mac1 name mac0"),
        undone("ns2", "link set dev mac1 up", "ns2", "link set dev mac1 down"),
      ],
    },
    {
      case: "a mode change, undone by the old mode",
      cur: {},
      raw: { ...inputs, mode: "vepa" },
      steps: [undone("ns1", "link set dev mac0 type macvlan mode vepa", "ns1", "link set dev mac0 type macvlan mode bridge")],
    },
    {
      case: "into source mode with MACs",
      cur: {},
      raw: { ...inputs, mode: "source", sourceMacs: [a, b] },
      steps: [
        undone("ns1", "link set dev mac0 type macvlan mode source", "ns1", "link set dev mac0 type macvlan mode bridge"),
        undone("ns1", `link set dev mac0 type macvlan macaddr set ${a} ${b}`, "ns1", "link set dev mac0 type macvlan macaddr flush"),
      ],
    },
    {
      case: "a source MAC replaced: the list is set whole",
      cur: { mode: "source", sourceMacs: [a, b] },
      raw: { ...inputs, mode: "source", sourceMacs: [a, c] },
      steps: [undone("ns1", `link set dev mac0 type macvlan macaddr set ${a} ${c}`, "ns1", `link set dev mac0 type macvlan macaddr set ${a} ${b}`)],
    },
    {
      case: "every source MAC removed: flush",
      cur: { mode: "source", sourceMacs: [a, b] },
      raw: { ...inputs, mode: "source", sourceMacs: [] },
      steps: [undone("ns1", "link set dev mac0 type macvlan macaddr flush", "ns1", `link set dev mac0 type macvlan macaddr set ${a} ${b}`)],
    },
    { case: "source MACs reordered", cur: { mode: "source", sourceMacs: [a, b] }, raw: { ...inputs, mode: "source", sourceMacs: [b, a] }, steps: [] },
    {
      case: "nopromisc set on a live passthru link, for good",
      cur: { mode: "passthru" },
      raw: { ...inputs, mode: "passthru", nopromisc: true },
      steps: [step("ns1", "link set dev mac0 type macvlan mode passthru flag nopromisc")],
    },
    {
      case: "bcqueuelen",
      cur: {},
      raw: { ...inputs, bcQueueLength: 2000 },
      steps: [undone("ns1", "link set dev mac0 type macvlan bcqueuelen 2000", "ns1", "link set dev mac0 type macvlan bcqueuelen 1000")],
    },
    {
      case: "MAC, MTU and txqueuelen",
      cur: {},
      raw: { ...inputs, macAddress: "02:AB:CD:00:00:02", mtu: 1400, txQueueLength: 500 },
      steps: [
        undone("ns1", "link set dev mac0 mtu 1400", "ns1", "link set dev mac0 mtu 1500"),
        undone("ns1", "link set dev mac0 txqueuelen 500", "ns1", "link set dev mac0 txqueuelen 1000"),
        undone("ns1", "link set dev mac0 address 02:ab:cd:00:00:02", "ns1", "link set dev mac0 address 02:ab:cd:00:00:01"),
      ],
    },
    {
      case: "an address and a route swapped: removals first, a route after its address",
      cur: {},
      raw: { ...inputs, addresses: ["10.0.0.2/24", "fd00::3/64"], routes: [inputs.routes[0], { to: "fd00:1::/64", via: "fd00::1", metric: 10 }] },
      steps: [
        undone("ns1", "addr del fd00::2/64 dev mac0", "ns1", "addr add fd00::2/64 dev mac0"),
        undone(
          "ns1",
          "route del fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
          "ns1",
          "route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
        ),
        undone("ns1", "addr add fd00::3/64 dev mac0", "ns1", "addr del fd00::3/64 dev mac0"),
        undone("ns1", "route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 10", "ns1", "route del fd00:1::/64 via fd00::1 dev mac0 proto static metric 10"),
        // The new IPv6 address is usable only once duplicate address detection is done.
        ipv6Ready("ns1", "mac0", "fd00::3/64"),
      ],
    },
    {
      // Nothing in the kernel announces an IPv4 address added to a link already up: setting its MAC
      // to itself does.
      case: "an IPv4 address added to a link that is up: announced by its MAC set to itself",
      cur: {},
      raw: { ...inputs, addresses: [...inputs.addresses, "10.0.0.3/24"] },
      steps: [undone("ns1", "addr add 10.0.0.3/24 dev mac0", "ns1", "addr del 10.0.0.3/24 dev mac0"), announcedAgain("ns1", "mac0")],
    },
    {
      case: "an IPv4 address added with a new MAC: the MAC change, after the address, announces it",
      cur: {},
      raw: { ...inputs, macAddress: "02:ab:cd:00:00:02", addresses: [...inputs.addresses, "10.0.0.3/24"] },
      steps: [
        undone("ns1", "addr add 10.0.0.3/24 dev mac0", "ns1", "addr del 10.0.0.3/24 dev mac0"),
        undone("ns1", "link set dev mac0 address 02:ab:cd:00:00:02", "ns1", "link set dev mac0 address 02:ab:cd:00:00:01"),
      ],
    },
    {
      case: "an IPv4 address added with announce off: not announced",
      cur: { announce: false },
      raw: { ...inputs, announce: false, addresses: [...inputs.addresses, "10.0.0.3/24"] },
      steps: [undone("ns1", "addr add 10.0.0.3/24 dev mac0", "ns1", "addr del 10.0.0.3/24 dev mac0")],
    },
    {
      case: "an IPv4 address added to a link coming up: its coming up announces it",
      cur: { up: false, addresses: ["10.0.0.2/24"], routes: [] },
      raw: { ...inputs, addresses: ["10.0.0.2/24", "10.0.0.3/24"], routes: [] },
      steps: [undone("ns1", "addr add 10.0.0.3/24 dev mac0", "ns1", "addr del 10.0.0.3/24 dev mac0"), undone("ns1", "link set dev mac0 up", "ns1", "link set dev mac0 down")],
    },
    { case: "announce turned off, in place", cur: {}, raw: { ...inputs, announce: false }, steps: [announced("ns1", "mac0", false, true)] },
    {
      // Settings are written once a link has addresses to announce: its first one, on a link that is up.
      case: "the first address of a link that had none: settings, the address, then announced anew",
      cur: { addresses: [], routes: [] },
      raw: { ...inputs, addresses: ["10.0.0.2/24"], routes: [] },
      steps: [
        announced("ns1", "mac0", true, false),
        undone("ns1", "addr add 10.0.0.2/24 dev mac0", "ns1", "addr del 10.0.0.2/24 dev mac0"),
        announcedAgain("ns1", "mac0"),
      ],
    },
    { case: "announce turned on, in place", cur: { announce: false }, raw: inputs, steps: [announced("ns1", "mac0", true, false)] },
    {
      case: "a move with announce off: the new namespace's defaults stand",
      cur: { announce: false, addresses: [], routes: [] },
      raw: { ...inputs, announce: false, netns: "ns2", addresses: [], routes: [] },
      steps: [
        step("ns1", "link set dev mac0 netns ns2", [step("ns2", "link set dev mac0 netns ns1"), restoredInNs1.up]),
        undone("ns2", "link set dev mac0 up", "ns2", "link set dev mac0 down"),
      ],
    },
    {
      // Without DAD the kernel does not announce it: announced anew.
      case: "nodad: a new IPv6 address is added without DAD, not waited for, and announced",
      cur: { nodad: true },
      raw: { ...inputs, nodad: true, addresses: [...inputs.addresses, "fd00::3/64"] },
      steps: [undone("ns1", "addr add fd00::3/64 dev mac0 nodad", "ns1", "addr del fd00::3/64 dev mac0"), announcedAgain("ns1", "mac0")],
    },

    // The flag of an address already on the link stays as it was added.
    { case: "nodad turned on: in place, nothing to run", cur: {}, raw: { ...inputs, nodad: true }, steps: [] },
    {
      case: "nodad turned on with an IPv6 address removed: undone the way it was added",
      cur: {},
      raw: { ...inputs, nodad: true, addresses: ["10.0.0.2/24"], routes: [inputs.routes[0]] },
      steps: [
        undone("ns1", "addr del fd00::2/64 dev mac0", "ns1", "addr add fd00::2/64 dev mac0"),
        undone(
          "ns1",
          "route del fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
          "ns1",
          "route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
        ),
      ],
    },
    {
      case: "down: the routes go with it, without a route del",
      cur: { addresses: ["10.0.0.2/24"] },
      raw: { ...inputs, up: false, addresses: ["10.0.0.2/24"], routes: [] },
      // Its undo puts back what going down dropped: up, then the routes.
      steps: [
        step("ns1", "link set dev mac0 down", [
          step("ns1", "link set dev mac0 up"),
          step("ns1", "route add default via 10.0.0.1 dev mac0 proto static metric 0"),
          step("ns1", "route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024"),
        ]),
      ],
    },
    {
      case: "up again: the routes are added after it",
      cur: { up: false, routes: [] },
      raw: inputs,
      steps: [
        undone("ns1", "link set dev mac0 up", "ns1", "link set dev mac0 down"),
        undone("ns1", "route add default via 10.0.0.1 dev mac0 proto static metric 0", "ns1", "route del default via 10.0.0.1 dev mac0 proto static metric 0"),
        undone(
          "ns1",
          "route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
          "ns1",
          "route del fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
        ),
        // Coming up, every IPv6 address goes through DAD again, not only new ones.
        ipv6Ready("ns1", "mac0", "fd00::2/64"),
      ],
    },
  ])("$case", ({ cur, raw, steps }) => {
    expect(normalized(planMacvlanUpdate(stateOf(cur), desired(raw)))).toStrictEqual(steps);
  });

  it("marks a renamed link under its new name when a state from before marks gets an owner, and hands it over in place", () => {
    const owner = "p/s/MacvlanLink/m";
    const steps = planMacvlanUpdate(stateOf(), desired({ ...inputs, owner }));
    expect(steps.map(describeStep)).toStrictEqual([`ip -n ns1 link set dev mac0 alias pulumi-iproute2:${owner}`]);
    expect(steps.flatMap((s) => ("args" in s ? (s.undo ?? []) : [])).map(describeStep)).toStrictEqual(['ip -n ns1 link set dev mac0 alias ""']);
    const renamed = planMacvlanUpdate(stateOf({ owner }), desired({ ...inputs, name: "mac9", owner: "p/t/MacvlanLink/m" }));
    expect(renamed.map(describeStep).filter((d) => d.includes(" alias "))).toStrictEqual(["ip -n ns1 link set dev mac9 alias pulumi-iproute2:p/t/MacvlanLink/m"]);
  });

  it("changes a macvtap's mode as a macvtap", () => {
    const steps = planMacvlanUpdate(stateOf(), desired({ ...inputs, mode: "private" }), "macvtap");
    expect(steps.map(describeStep)).toStrictEqual(["ip -n ns1 link set dev mac0 type macvtap mode private"]);
  });

  // With net.ipv6.conf.*.keep_addr_on_down at its default (0) the kernel also drops a link's IPv6
  // addresses when it goes down (checked on this machine: a down/rename/up batch leaves only fe80::);
  // with 1 it keeps them, and `ip addr add` of one it kept fails ("address already assigned"). So after
  // a rename the plan puts them back with `ip addr replace`, right either way (the integration test
  // renames with keep_addr_on_down=1), and adds the routes back.
  it("puts back the IPv6 addresses a rename's down may have dropped, with replace", () => {
    const descriptions = planMacvlanUpdate(stateOf(), desired({ ...inputs, name: "mac1" })).map(describeStep);
    const renamedAt = descriptions.indexOf("ip -n ns1 link set dev mac0 name mac1");
    expect(renamedAt).toBeGreaterThanOrEqual(0);
    expect(descriptions.indexOf("ip -n ns1 addr replace fd00::2/64 dev mac1")).toBeGreaterThan(renamedAt);
    expect(descriptions.filter((d) => d.includes(" addr add "))).toEqual([]);
  });

  // A new IPv6 address in the same rename is one the link never had: added, so a taken one still fails.
  it("adds an IPv6 address new in a rename, and replaces only the ones the link had", () => {
    const descriptions = planMacvlanUpdate(stateOf(), desired({ ...inputs, name: "mac1", addresses: [...inputs.addresses, "fd00::3/64"] })).map(describeStep);
    expect(descriptions).toContain("ip -n ns1 addr replace fd00::2/64 dev mac1");
    expect(descriptions).toContain("ip -n ns1 addr add fd00::3/64 dev mac1");
  });

  // Leaving source mode makes the kernel drop the source MAC list (macvlan_changelink flushes it), so
  // the undo sets the mode back together with the list it had.
  it("undoes a change out of source mode with the source MACs it had", () => {
    const steps = planMacvlanUpdate(stateOf({ mode: "source", sourceMacs: [a, b] }), desired({ ...inputs, mode: "bridge" }));
    const undo = undoSteps(steps).map(describeStep);
    expect(undo).toContainEqual(expect.stringMatching(new RegExp(`^ip -n ns1 link set dev mac0 type macvlan .*macaddr set ${a} ${b}$`)));
  });

  // A move drops the link's addresses and routes and takes it down, so undoing it moves it back and
  // then adds back, in the old namespace, the addresses, up state and routes it had.
  it("undoes a move with the addresses, up state and routes the move dropped", () => {
    const steps = planMacvlanUpdate(stateOf(), desired({ ...inputs, netns: "ns2", mtu: 9000 }));
    const moveDone = steps.slice(0, steps.findIndex((s) => describeStep(s).includes(" netns ")) + 1);
    const undo = undoSteps(moveDone).map(describeStep);
    expect(undo[0]).toBe("ip -n ns2 link set dev mac0 netns ns1");
    expect(undo).toEqual(
      expect.arrayContaining([
        "ip -n ns1 addr add 10.0.0.2/24 dev mac0",
        "ip -n ns1 addr add fd00::2/64 dev mac0",
        "ip -n ns1 link set dev mac0 up",
        "ip -n ns1 route add default via 10.0.0.1 dev mac0 proto static metric 0",
        "ip -n ns1 route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
      ]),
    );
  });

  // For the same reason, the down before a rename is undone with the routes (and IPv6 addresses) that
  // going down dropped, not only by setting the link up again.
  it("undoes a rename with the routes going down dropped", () => {
    const steps = planMacvlanUpdate(stateOf(), desired({ ...inputs, name: "mac1", mtu: 9000 }));
    const renameDone = steps.slice(0, steps.findIndex((s) => describeStep(s).includes(" name ")) + 1);
    const undo = undoSteps(renameDone).map(describeStep);
    expect(undo).toEqual(
      expect.arrayContaining([
        "ip -n ns1 route add default via 10.0.0.1 dev mac0 proto static metric 0",
        "ip -n ns1 route add fd00:1::/64 via fd00::1 dev mac0 proto static metric 1024",
      ]),
    );
  });
});

describe("planMacvlanDelete", () => {
  it.each([
    { case: "in a named netns", cur: { netns: "ns1", name: "mac0", dhcp: false }, steps: [step("ns1", "link del dev mac0")] },
    { case: "in the host's namespace", cur: { netns: undefined, name: "mac0", dhcp: false }, steps: [step(undefined, "link del dev mac0")] },
    {
      case: "with a DHCP client: stopped (released) before the link goes",
      cur: { netns: "ns1", name: "mac0", dhcp: true },
      steps: [dhcpStopped("ns1", "mac0"), step("ns1", "link del dev mac0")],
    },
  ])("$case", ({ cur, steps }) => {
    expect(normalized(planMacvlanDelete(cur))).toStrictEqual(steps);
  });
});

describe("planMacvlanClientStop (a refresh found the link gone)", () => {
  const lease = { address: "10.0.0.9", prefixLength: 24, server: "10.0.0.1", leaseTime: 120 };
  it.each([
    { case: "a running client: stopped", cur: { netns: "ns1", name: "mac0", dhcp: true }, steps: [dhcpStopped("ns1", "mac0")] },
    { case: "a dead one with a lease: its files taken off", cur: { netns: "ns1", name: "mac0", dhcp: false, dhcpLease: lease }, steps: [dhcpStopped("ns1", "mac0")] },
    { case: "none: nothing", cur: { netns: "ns1", name: "mac0", dhcp: false }, steps: [] },
  ])("$case", ({ cur, steps }) => {
    expect(normalized(planMacvlanClientStop(cur))).toStrictEqual(steps);
  });
});
