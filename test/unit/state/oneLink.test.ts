// Reading a link back from what real iproute2 printed (test/fixtures/iproute2, made by record.sh).
import { describe, expect, it } from "vitest";
import type { CommandResult } from "../../../provider/exec/runner";
import { routeFamily, type LinkObserved } from "../../../provider/model";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { validateArgs } from "../../../provider/schema/validate";
import { linkFromResults, linkReadCommands } from "../../../provider/state/oneLink";
import { observeLink } from "../../../provider/state/observeLink";
import { linkWithAddresses } from "../../../provider/state/ipJson";
import { validArgs } from "../schema/expectations";
import { asRunnerReturns, linkFixtureNames, linkFixtureOf, type LinkFixtureName } from "../fixtures";

function read(name: LinkFixtureName): LinkObserved | undefined {
  const fixture = linkFixtureOf(name);
  return linkFromResults(asRunnerReturns(fixture.results), fixture.name);
}

describe("linkReadCommands", () => {
  it.each(linkFixtureNames)("are the commands %s was recorded with", (name) => {
    const fixture = linkFixtureOf(name);
    expect(linkReadCommands(fixture.netns, fixture.name)).toStrictEqual(fixture.results.map((r) => r.command));
  });

  it("reads the host's namespace without -n", () => {
    expect(linkReadCommands(undefined, "mac0")).toStrictEqual([
      { argv: ["ip", "-j", "-d", "-batch", "-"], stdin: "addr show dev mac0\nroute show dev mac0 proto static\n" },
      { argv: ["ip", "-j", "-6", "route", "show", "dev", "mac0", "proto", "static"] },
    ]);
  });
});

const noRoutes = { routes: [] };

describe("linkFromResults on real iproute2 output", () => {
  it.each<{ fixture: LinkFixtureName; observed: LinkObserved }>([
    {
      fixture: "macvlan-bridge",
      observed: {
        name: "mvbr",
        ifindex: 9,
        kind: "macvlan",
        parentLink: "v0",
        macAddress: "0a:da:c3:bf:9a:6f",
        mtu: 1500,
        txQueueLength: 1000,
        up: true,
        // The kernel's own fe80:: address is left out; the IPv6 address given as FD00:0061:0:0::2 is canonical.
        addresses: ["10.61.0.2/24", "10.61.1.2/24", "fd00:61::2/64"],
        // Only `proto static` routes: 10.66.0.0/16 (proto boot) and the kernel's prefix routes are not ours.
        routes: [
          { to: "default", via: "10.61.0.1", metric: 50 },
          { to: "10.62.0.0/24", via: "10.61.0.1", metric: 0 },
          { to: "10.63.0.5/32", metric: 100 },
          { to: "fd00:62::/64", via: "fd00:61::1", metric: 1024 },
          { to: "fd00:63::5/128", metric: 200 },
          { to: "default", via: "fd00:61::1", metric: 1024 },
        ],
        macvlan: { mode: "bridge", nopromisc: false, sourceMacs: [], bcQueueLength: 1000 },
      },
    },
    {
      fixture: "macvlan-private",
      observed: {
        name: "mvpriv",
        ifindex: 10,
        kind: "macvlan",
        parentLink: "v0",
        macAddress: "6a:ab:49:06:44:bb",
        mtu: 1500,
        txQueueLength: 1000,
        up: false,
        addresses: ["10.64.0.2/24"],
        ...noRoutes,
        macvlan: { mode: "private", nopromisc: false, sourceMacs: [], bcQueueLength: 1000 },
      },
    },
    {
      fixture: "macvlan-vepa",
      observed: {
        name: "mvvepa",
        ifindex: 11,
        kind: "macvlan",
        parentLink: "v0",
        macAddress: "02:ab:cd:00:00:01",
        mtu: 1400,
        txQueueLength: 500,
        up: true,
        addresses: [],
        ...noRoutes,
        // bcqueuelen is what was asked; usedbcqueuelen (the parent's, the largest of its children) is not ours.
        macvlan: { mode: "vepa", nopromisc: false, sourceMacs: [], bcQueueLength: 2000 },
      },
    },
    {
      fixture: "macvlan-passthru",
      observed: {
        name: "mvpt",
        ifindex: 12,
        kind: "macvlan",
        parentLink: "v2",
        macAddress: "e2:2b:e3:42:cc:22",
        mtu: 1500,
        txQueueLength: 1000,
        up: true,
        addresses: ["10.67.0.2/24"],
        ...noRoutes,
        macvlan: { mode: "passthru", nopromisc: true, sourceMacs: [], bcQueueLength: 1000 },
      },
    },
    {
      fixture: "macvlan-source",
      observed: {
        name: "mvsrc",
        ifindex: 13,
        kind: "macvlan",
        parentLink: "v0",
        macAddress: "b2:6a:e6:84:67:8d",
        mtu: 1500,
        txQueueLength: 1000,
        up: true,
        addresses: [],
        ...noRoutes,
        // In the kernel's order, which is not the order they were set in.
        macvlan: { mode: "source", nopromisc: false, sourceMacs: ["02:aa:00:00:00:02", "02:aa:00:00:00:01"], bcQueueLength: 1000 },
      },
    },
    {
      fixture: "macvlan-other-netns",
      observed: {
        name: "mvfar",
        ifindex: 2,
        kind: "macvlan",
        // The parent is in another namespace: iproute2 gives its ifindex there, not its name, and the
        // id this namespace gives that one.
        parentIndex: 3,
        parentNetnsid: 0,
        macAddress: "b2:50:9c:68:ab:3d",
        mtu: 1500,
        txQueueLength: 1000,
        up: true,
        addresses: ["10.68.0.2/24"],
        ...noRoutes,
        macvlan: { mode: "bridge", nopromisc: false, sourceMacs: [], bcQueueLength: 1000 },
      },
    },
    {
      fixture: "macvtap-bridge",
      observed: {
        name: "mvtap",
        ifindex: 14,
        kind: "macvtap",
        parentLink: "v0",
        macAddress: "7e:c7:a3:03:d5:a7",
        mtu: 1500,
        txQueueLength: 500,
        up: false,
        addresses: [],
        ...noRoutes,
        macvlan: { mode: "bridge", nopromisc: false, sourceMacs: [], bcQueueLength: 1000 },
      },
    },
    {
      fixture: "veth-end",
      observed: {
        name: "v1",
        ifindex: 2,
        kind: "veth",
        parentLink: "v0",
        macAddress: "ca:dd:5b:19:e3:83",
        mtu: 1500,
        txQueueLength: 1000,
        up: true,
        addresses: ["10.65.0.2/24", "fd00:65::2/64"],
        ...noRoutes,
      },
    },
    {
      fixture: "veth-peer-elsewhere",
      observed: {
        name: "vx1",
        ifindex: 3,
        kind: "veth",
        parentIndex: 15,
        parentNetnsid: 0,
        macAddress: "de:e7:1b:7c:3c:d6",
        mtu: 1500,
        txQueueLength: 1000,
        up: false,
        addresses: [],
        ...noRoutes,
      },
    },
  ])("$fixture", ({ fixture, observed }) => {
    expect(read(fixture)).toStrictEqual(observed);
  });

  it.each<LinkFixtureName>(["missing-device", "missing-netns"])("%s is gone, as the runner returns it (stopped at the first failure)", (name) => {
    expect(read(name)).toBeUndefined();
  });

  it.each<LinkFixtureName>(["missing-device", "missing-netns"])("%s is gone, with both commands' results", (name) => {
    const fixture = linkFixtureOf(name);
    expect(fixture.results.every((r) => r.exitCode !== 0)).toBe(true);
    expect(linkFromResults(fixture.results, fixture.name)).toBeUndefined();
  });

  it("reads every route of the IPv6 listing as IPv6", () => {
    // The kernel lists an IPv6 default route without a gateway (added as `::/0`) as "default" with no
    // gateway, which alone would be taken for IPv4; it reads back as "::/0", so it matches a desired
    // "::/0" and routeStep() deletes it as IPv6.
    const fixture = linkFixtureOf("macvlan-route-spellings");
    const [, v6] = fixture.results;
    const v6Count = JSON.parse(v6?.stdout ?? "[]").length as number;
    const observed = read("macvlan-route-spellings");
    expect(observed?.routes.slice(-v6Count).map(routeFamily)).toStrictEqual(Array(v6Count).fill(6));
  });
});

/** One failed or odd result in place of the first command's. */
function withFirst(result: Partial<CommandResult>): CommandResult[] {
  const [first, second] = linkFixtureOf("macvlan-bridge").results;
  if (!first || !second) throw new Error("fixture macvlan-bridge has fewer than two results");
  return [{ ...first, ...result }, second];
}

describe("linkFromResults on failures and odd output", () => {
  it("throws any other failure with the command's own words", () => {
    expect(() => linkFromResults(withFirst({ exitCode: 2, stdout: "", stderr: "RTNETLINK answers: Operation not permitted\n" }).slice(0, 1), "mvbr")).toThrow(
      'reading link "mvbr" failed: RTNETLINK answers: Operation not permitted',
    );
  });

  it("throws when the batch's result is missing", () => {
    expect(() => linkFromResults([], "mvbr")).toThrow('reading link "mvbr" returned no output');
  });

  it("reads no IPv6 routes when they were not listed", () => {
    const routes = linkFromResults(withFirst({}).slice(0, 1), "mvbr")?.routes ?? [];
    expect(routes.length).toBeGreaterThan(0); // the IPv4 ones, from the batch
    expect(routes.map(routeFamily)).not.toContain(6);
  });

  it("throws on output that is not JSON", () => {
    expect(() => linkFromResults(withFirst({ stdout: "mvbr: <BROADCAST,MULTICAST,UP> mtu 1500\n" }), "mvbr")).toThrow("something other than JSON");
  });

  it("throws on JSON of another shape", () => {
    expect(() => linkFromResults(withFirst({ stdout: '[{"ifindex":"nine","ifname":"mvbr"}]\n[]\n' }), "mvbr")).toThrow("unexpected iproute2 JSON");
  });

  it("throws on a macvlan mode it does not know", () => {
    const [first] = withFirst({});
    const stdout = first?.stdout.replace('"mode":"bridge"', '"mode":"bridged"');
    expect(() => linkFromResults(withFirst({ stdout }), "mvbr")).toThrow('unknown macvlan mode "bridged" in iproute2 output');
  });

  it("is gone when iproute2 lists no link", () => {
    expect(linkFromResults(withFirst({ stdout: "[]\n[]\n" }), "mvbr")).toBeUndefined();
  });
});

describe("observeLink", () => {
  const link = linkWithAddresses.parse({
    ifindex: 5,
    ifname: "m0",
    link: "veth0",
    flags: ["BROADCAST", "MULTICAST", "LOWER_UP"],
    mtu: 9000,
    address: "02:AB:CD:EF:00:01",
    linkinfo: { info_kind: "macvtap", info_data: { mode: "source", macaddr_data: ["02:AA:00:00:00:01"] } },
    addr_info: [
      { family: "inet6", local: "FD00:0:0::5", prefixlen: 64, scope: "global" },
      { family: "inet6", local: "fe80::1", prefixlen: 64, scope: "link" },
      { family: "inet", prefixlen: 24 },
    ],
  });

  it("reads flags, case and missing fields the way the kernel means them", () => {
    expect(observeLink(link, [{ to: "default", metric: 0 }])).toStrictEqual({
      name: "m0",
      ifindex: 5,
      kind: "macvtap",
      parentLink: "veth0",
      macAddress: "02:ab:cd:ef:00:01",
      mtu: 9000,
      txQueueLength: 0,
      // LOWER_UP alone is carrier, not the administrative state.
      up: false,
      addresses: ["fd00::5/64"],
      routes: [{ to: "default", metric: 0 }],
      macvlan: { mode: "source", nopromisc: false, sourceMacs: ["02:aa:00:00:00:01"] },
    });
  });

  it("refuses macvlan data without a mode", () => {
    expect(() => observeLink({ ...link, linkinfo: { info_kind: "macvlan", info_data: {} } }, [])).toThrow(/mode/);
  });
});

// What the user writes must read back equal once the kernel has it, or every preview shows a change.
// macvlan-route-spellings.json was made with `ip route add` of exactly these spellings.
describe("routes and addresses as written, against what the kernel reports", () => {
  const observed = read("macvlan-route-spellings");
  const bridge = read("macvlan-bridge");

  function asValidated(raw: Record<string, unknown>) {
    const result = validateArgs(macvlanLinkArgs, { name: "mvrt", parent: "v0", ...raw });
    return result.ok ? result.args : "refused";
  }

  it.each([
    { case: "default via an IPv4 gateway", route: { to: "default", via: "10.61.0.1", metric: 50 } },
    { case: "an IPv4 network", route: { to: "10.62.0.0/24", via: "10.61.0.1" } },
    { case: "an IPv4 host, no prefix", route: { to: "10.63.0.5", metric: 100 } },
    { case: "an IPv6 network", route: { to: "fd00:62::/64", via: "fd00:61::1" } },
    { case: "an IPv6 host, no prefix", route: { to: "fd00:63::5", metric: 200 } },
    { case: "default via an IPv6 gateway", route: { to: "default", via: "fd00:61::1" } },
  ])("$case reads back as written (macvlan-bridge)", ({ route }) => {
    const [validated] = validArgs(macvlanLinkArgs, { name: "mvbr", parent: "v0", routes: [route] }).routes;
    expect(bridge?.routes).toContainEqual(validated);
  });

  // Spellings the kernel accepts but reports in another form: validation either rewrites them to the
  // kernel's form (0.0.0.0/0 -> "default"; "::/0" stays, and reads back so) or refuses them (host bits).
  it.each([
    { case: '"0.0.0.0/0" (the kernel reports "default")', route: { to: "0.0.0.0/0", via: "10.72.0.1", metric: 7 }, outcome: "reads back" },
    { case: '"::/0" (the kernel reports "default")', route: { to: "::/0", metric: 300 }, outcome: "reads back" },
    { case: "an IPv6 network with host bits set (the kernel masks them)", route: { to: "fd00:73::1/64" }, outcome: "is refused" },
  ])("$case $outcome", ({ route, outcome }) => {
    const args = asValidated({ routes: [route] });
    if (outcome === "is refused") expect(args).toBe("refused");
    else expect(observed?.routes).toContainEqual(args === "refused" ? "refused" : args.routes[0]);
  });

  it.each([
    { case: "an IPv4 address", address: "10.72.0.2/24", outcome: "reads back" },
    { case: "an IPv6 address", address: "fd00:72::2/64", outcome: "reads back" },
    // observeLink leaves out every inet6 address of scope link, so validation refuses one as input.
    { case: "a link-local IPv6 address of our own (fe80::72/64)", address: "fe80::72/64", outcome: "is refused" },
  ])("$case $outcome", ({ address, outcome }) => {
    const args = asValidated({ addresses: [address] });
    if (outcome === "is refused") expect(args).toBe("refused");
    else expect(observed?.addresses).toContainEqual(args === "refused" ? "refused" : args.addresses[0]);
  });
});
