// The single-value schemas and helpers of schema/fields.ts that the resource tables do not reach.
import { describe, expect, it } from "vitest";
import { canonicalAddressText, canonicalIp, familyOf } from "../../../provider/schema/fields";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { macvtapArgs } from "../../../provider/schema/macvtap";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { validateArgs } from "../../../provider/schema/validate";

describe("canonicalIp", () => {
  it.each([
    ["10.0.0.1", "10.0.0.1"],
    ["FD00:0:0::1", "fd00::1"],
    ["fd00:0000:0000:0000:0000:0000:0000:0001", "fd00::1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:0:0:1:0:0", "2001:db8::1:0:0"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::0:ab", "fe80::ab"],
    // IPv4-mapped: the last 32 bits dotted, as ip prints them (inet_ntop, glibc and musl alike).
    ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["::ffff:a00:1", "::ffff:10.0.0.1"],
    ["0:0:0:0:0:FFFF:0A00:0001", "::ffff:10.0.0.1"],
    ["::ffff:0:0", "::ffff:0.0.0.0"],
    ["::ffff:ffff:ffff", "::ffff:255.255.255.255"],
    // Not IPv4-mapped: hex, as ip prints them too.
    ["::a00:1", "::a00:1"],
    ["::ffff:0:a00:1", "::ffff:0:a00:1"],
    ["64:ff9b::10.0.0.1", "64:ff9b::a00:1"],
    ["1::ffff:a00:1", "1::ffff:a00:1"],
  ])("%s -> %s", (address, canonical) => {
    expect(canonicalIp(address)).toBe(canonical);
  });
});

describe("IPv4-mapped IPv6 addresses in arguments", () => {
  const macvlan = { name: "mac0", parent: "veth0" };
  it("come out in the spelling ip prints, whichever spelling was given", () => {
    const result = validateArgs(macvlanLinkArgs, {
      ...macvlan,
      addresses: ["::ffff:a00:1/128", "0::FFFF:10.0.1.1/120"],
      routes: [{ to: "::ffff:a01:0/112", via: "::ffff:a00:109" }],
    });
    expect(result.ok && { addresses: result.args.addresses, routes: result.args.routes }).toEqual({
      addresses: ["::ffff:10.0.0.1/128", "::ffff:10.0.1.1/120"],
      routes: [{ to: "::ffff:10.1.0.0/112", via: "::ffff:10.0.1.9", metric: 1024 }],
    });
  });

  it("are one address in any spelling (a list must not repeat it), and a network's host bits are seen", () => {
    expect(validateArgs(macvlanLinkArgs, { ...macvlan, addresses: ["::ffff:10.0.0.1/128", "::ffff:a00:1/128"] })).toMatchObject({
      ok: false,
      failures: [{ property: "addresses", reason: "must not repeat an item" }],
    });
    expect(validateArgs(macvlanLinkArgs, { ...macvlan, routes: [{ to: "::ffff:10.1.0.1/112" }] })).toMatchObject({
      ok: false,
      failures: [{ property: "routes[0].to", reason: "must have no host bits set: write ::ffff:10.1.0.0/112" }],
    });
  });
});

describe("canonicalAddressText", () => {
  it.each([
    ["::ffff:a00:1/128", "::ffff:10.0.0.1/128"],
    ["::FFFF:10.0.0.1", "::ffff:10.0.0.1"],
    ["FD00::1/064", "fd00::1/64"],
    ["10.0.0.1/24", "10.0.0.1/24"],
    // Not an address: as it is.
    ["default", "default"],
    ["fe80::1%eth0/64", "fe80::1%eth0/64"],
    ["10.0.0.1/24/1", "10.0.0.1/24/1"],
    [42, 42],
  ])("%s -> %s", (value, canonical) => {
    expect(canonicalAddressText(value)).toBe(canonical);
  });
});

describe("familyOf", () => {
  it.each([
    ["10.0.0.1/24", 4],
    ["10.0.0.1", 4],
    ["fd00::1/64", 6],
    ["::", 6],
    ["default", 4],
  ])("%s -> IPv%d", (address, family) => {
    expect(familyOf(address)).toBe(family);
  });
});

// node's isIPv6 accepts a zone index ("fe80::1%eth0"), which the URL parser behind canonicalIp would
// throw on; validation refuses a zone before that, so validateArgs reports a failure instead of throwing.
describe("IPv6 addresses with a zone index", () => {
  const macvlan = { name: "mac0", parent: "veth0" };
  const veth = { name: "veth0", peerName: "veth1" };
  it.each([
    { case: "an address", validate: () => validateArgs(macvlanLinkArgs, { ...macvlan, addresses: ["fe80::1%mac0/64"] }), property: "addresses[0]" },
    { case: "a peer address", validate: () => validateArgs(vethPairArgs, { ...veth, peerAddresses: ["fe80::2%veth1/64"] }), property: "peerAddresses[0]" },
    { case: "a route destination", validate: () => validateArgs(macvlanLinkArgs, { ...macvlan, routes: [{ to: "fe80::1%mac0" }] }), property: "routes[0].to" },
    {
      case: "a route gateway",
      validate: () => validateArgs(macvlanLinkArgs, { ...macvlan, routes: [{ to: "default", via: "fe80::1%mac0" }] }),
      property: "routes[0].via",
    },
  ])("are refused as $case, not thrown", ({ validate, property }) => {
    let result: { ok: true } | { ok: false; failures: { property: string }[] } | undefined;
    expect(() => {
      result = validate();
    }).not.toThrow();
    expect(result?.ok === false && result.failures.map((f) => f.property)).toContain(property);
  });
});

// The kernel reads a link name with "%" as a pattern ("x%d" is made as x0: test/integration/vethPair.test.ts
// shows it), so every field that names a link refuses one before anything reaches a host.
describe('"%" in a link name', () => {
  const macvlan = { name: "mac0", parent: "veth0" };
  const veth = { name: "veth0", peerName: "veth1" };
  it.each([
    { kind: "MacvlanLink", spec: macvlanLinkArgs, raw: { ...macvlan, name: "x%d" }, property: "name" },
    { kind: "MacvlanLink", spec: macvlanLinkArgs, raw: { ...macvlan, parent: "eth%d" }, property: "parent" },
    { kind: "Macvtap", spec: macvtapArgs, raw: { ...macvlan, name: "tap%d" }, property: "name" },
    { kind: "Macvtap", spec: macvtapArgs, raw: { ...macvlan, parent: "p%" }, property: "parent" },
    { kind: "VethPair", spec: vethPairArgs, raw: { ...veth, name: "v%d" }, property: "name" },
    { kind: "VethPair", spec: vethPairArgs, raw: { ...veth, peerName: "%s" }, property: "peerName" },
  ])("is refused in $property of $kind, naming it", ({ spec, raw, property }) => {
    const result = validateArgs(spec as typeof macvlanLinkArgs, raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.failures).toEqual([{ property, reason: 'must not contain "%" (the kernel reads it as a pattern: "x%d" would become x0)' }]);
  });

  // A namespace's name is a file's (/run/netns/NAME): iproute2 reads no pattern in it ("ip netns add
  // a%d" makes a%d), so a "%" there means itself.
  it("is a character like any other in a namespace's name", () => {
    const result = validateArgs(netNamespaceArgs, { name: "lab%d" });
    expect(result.ok && result.args.name).toBe("lab%d");
    expect(validateArgs(macvlanLinkArgs, { ...macvlan, netns: "ns%1", parentNetns: "p%d" }).ok).toBe(true);
  });
});
