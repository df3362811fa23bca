// VethPair's arguments through validateArgs.
import { describe, expect, it } from "vitest";
import { portFields } from "../../../provider/schema/link";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { UNKNOWN, validateArgs } from "../../../provider/schema/validate";
import { expectFailure, validArgs, type BadRow } from "./expectations";

const base = { name: "veth0", peerName: "veth1" };

function bad(label: string, extra: Record<string, unknown>, property: string, reason: string): BadRow {
  return { case: label, raw: { ...base, ...extra }, property, reason };
}

const vethBadRows: BadRow[] = [
  bad("missing name", { name: undefined }, "name", "is required"),
  bad("missing peerName", { peerName: undefined }, "peerName", "is required"),
  bad("empty peerName", { peerName: "" }, "peerName", "must not be empty"),
  bad("16-byte peerName", { peerName: "veth-peer-012345" }, "peerName", "at most 15 bytes"),
  bad("peerName of 5 three-byte characters and a letter (16 bytes)", { peerName: "€€€€€a" }, "peerName", "at most 15 bytes"),
  bad('peerName with ":"', { peerName: "veth1:0" }, "peerName", 'must not contain ":"'),
  bad('peerName ".."', { peerName: ".." }, "peerName", 'must not be "." or ".."'),
  bad("name with a backslash", { name: "veth\\0" }, "name", "quotes, backslashes or #"),
  bad("name with a space", { name: "veth 0" }, "name", "whitespace"),
  bad("peerName equal to name, both in the host's netns", { peerName: "veth0" }, "peerName", "must differ from name"),
  bad('peerNetns "010", process 8 to iproute2', { peerNetns: "010" }, "peerNetns", "must not be a number"),
  bad("peerName equal to name, both in one netns", { peerName: "veth0", netns: "a", peerNetns: "a" }, "peerName", "must differ from name"),
  bad("peerName equal to name, peerNetns defaulting to netns", { peerName: "veth0", netns: "a" }, "peerName", "must differ from name"),
  bad('peerNetns starting with "-"', { peerNetns: "-all" }, "peerNetns", 'must not start with "-"'),
  bad('netns ".."', { netns: ".." }, "netns", 'must not be "." or ".."'),
  bad("netns with a double quote", { netns: 'ns"1' }, "netns", "quotes, backslashes or #"),
  bad("address without a prefix", { addresses: ["10.0.0.1"] }, "addresses[0]", "with a prefix length"),
  bad("peer address twice", { peerAddresses: ["10.0.0.2/24", "10.0.0.2/24"] }, "peerAddresses", "must not repeat"),
  bad("peer address as an object", { peerAddresses: [{ address: "10.0.0.2/24" }] }, "peerAddresses[0]", "must be a string"),
  bad("peer addresses as an object", { peerAddresses: { a: "10.0.0.2/24" } }, "peerAddresses", "must be a list of CIDRs"),
  bad("IPv6 link-local address", { addresses: ["fe80::1/64"] }, "addresses[0]", "must not be an IPv6 link-local address"),
  bad("IPv6 link-local peer address", { peerAddresses: ["10.0.0.2/24", "FE80::2/64"] }, "peerAddresses[1]", "must not be an IPv6 link-local address"),
  bad("an IPv6 address, down", { up: false, addresses: ["10.0.0.1/24", "fd00::1/64"] }, "addresses", "IPv6 addresses need up: true"),
  bad("an IPv6 peer address with mtu 1200", { mtu: 1200, peerAddresses: ["fd00::2/64"] }, "mtu", "must be at least 1280 with IPv6 addresses in peerAddresses"),
  bad("an IPv6 peer address, down", { up: false, peerAddresses: ["fd00::2/64"] }, "peerAddresses", "IPv6 addresses need up: true"),
  bad("MTU below 68", { mtu: 50 }, "mtu", "at least 68"),
  bad("MTU as a string", { mtu: "9000" }, "mtu", "must be a number"),
  bad("up as a string", { up: "false" }, "up", "must be true or false"),
  bad("a MacvlanLink argument", { parent: "eth0" }, "parent", "is not an argument of VethPair"),
  bad("mode on a veth", { mode: "bridge" }, "mode", "is not an argument of VethPair"),
  bad("ssh connection on port 0", { connection: { type: "ssh", host: "h1", port: 0 } }, "connection.port", "must be 1 to 65535"),
];

describe("VethPair arguments that are refused", () => {
  it("starts from arguments that are valid", () => {
    expect(validateArgs(vethPairArgs, base).ok).toBe(true);
  });
  it.each(vethBadRows)("$case: $property", (row) => expectFailure(vethPairArgs, row));
});

const defaults = { addresses: [], peerAddresses: [], dhcp: false, peerDhcp: false, up: true, announce: true, nodad: false, adopt: false, persist: true, connection: { type: "local", sudo: false, persist: true } };

describe("VethPair defaults and canonical forms", () => {
  it.each([
    { case: "the fewest arguments", raw: {}, args: { ...base, ...defaults } },
    { case: "peerNetns defaults to netns", raw: { netns: "a" }, args: { ...base, ...defaults, netns: "a", peerNetns: "a" } },
    { case: "peerNetns apart from netns", raw: { netns: "a", peerNetns: "b" }, args: { ...base, ...defaults, netns: "a", peerNetns: "b" } },
    { case: "only the peer in a named netns", raw: { peerNetns: "b" }, args: { ...base, ...defaults, peerNetns: "b" } },
    {
      case: "equal names in two namespaces",
      raw: { peerName: "veth0", netns: "a", peerNetns: "b" },
      args: { ...base, ...defaults, peerName: "veth0", netns: "a", peerNetns: "b" },
    },
    {
      case: "addresses canonical",
      raw: { addresses: ["10.0.0.1/24", "FD00:0::1/64"], peerAddresses: ["fd00:0:0:0:0:0:0:2/64"] },
      args: { ...base, ...defaults, addresses: ["10.0.0.1/24", "fd00::1/64"], peerAddresses: ["fd00::2/64"] },
    },
    { case: "an MTU", raw: { mtu: 9000, up: false }, args: { ...base, ...defaults, mtu: 9000, up: false } },
  ])("$case", ({ raw, args }) => {
    // toEqual: `complete` spreads `peerNetns: undefined` into args that have no netns.
    expect(validArgs(vethPairArgs, { ...base, ...raw })).toEqual(args);
  });

  it.each([
    { case: "peerName unknown", raw: { peerName: UNKNOWN } },
    { case: "equal names, peerNetns unknown", raw: { peerName: "veth0", peerNetns: UNKNOWN } },
    { case: "equal names, netns unknown", raw: { peerName: "veth0", netns: UNKNOWN } },
  ])("skips the names rule for $case", ({ raw }) => {
    expect(validateArgs(vethPairArgs, { ...base, ...raw }).ok).toBe(true);
  });
});

describe("VethPair's ports", () => {
  // As docs/adding-a-kind.md says of every kind that can be a port: its ends' bridges are the shared port field.
  it("takes each end's bridge as the port field every port kind shares, after peerNetns", () => {
    expect(vethPairArgs.fields.master).toBe(portFields.master);
    expect(vethPairArgs.fields.peerMaster).toBe(portFields.master);
    expect(Object.keys(vethPairArgs.fields).slice(0, 6)).toEqual(["name", "peerName", "netns", "peerNetns", "master", "peerMaster"]);
  });
});
