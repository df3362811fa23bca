// MacvlanLink's arguments through validateArgs: what is refused (and which property the failure names),
// what defaults are applied, and what comes out canonical.
import { describe, expect, it } from "vitest";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { UNKNOWN, validateArgs } from "../../../provider/schema/validate";
import { expectFailure, validArgs, type BadRow } from "./expectations";

const base = { name: "mac0", parent: "veth0" };

function bad(label: string, extra: Record<string, unknown>, property: string, reason: string): BadRow {
  return { case: label, raw: { ...base, ...extra }, property, reason };
}

const source = { mode: "source" };
const a = "02:aa:00:00:00:01";
const b = "02:aa:00:00:00:02";

const macvlanBadRows: BadRow[] = [
  // interface names
  bad("empty name", { name: "" }, "name", "must not be empty"),
  bad("missing name", { name: undefined }, "name", "is required"),
  bad("16-byte name", { name: "abcdefghijklmnop" }, "name", "at most 15 bytes"),
  bad("8 characters of 2 bytes each (16 bytes)", { name: "é".repeat(8) }, "name", "at most 15 bytes"),
  bad("15 characters, one of them 2 bytes", { name: `${"a".repeat(14)}é` }, "name", "at most 15 bytes"),
  bad('name with "/"', { name: "mac/0" }, "name", 'must not contain "/"'),
  bad("name with a space", { name: "mac 0" }, "name", "whitespace"),
  bad("name with a tab", { name: "mac\t0" }, "name", "whitespace"),
  bad("name with a newline", { name: "mac0\n" }, "name", "whitespace"),
  bad('name with ":" (an alias)', { name: "eth0:1" }, "name", 'must not contain ":"'),
  bad('name "."', { name: "." }, "name", 'must not be "." or ".."'),
  bad('name ".."', { name: ".." }, "name", 'must not be "." or ".."'),
  bad("name with a double quote", { name: 'mac"0' }, "name", "quotes, backslashes or #"),
  bad("name with a single quote", { name: "mac'0" }, "name", "quotes, backslashes or #"),
  bad("name with a backslash", { name: "mac\\0" }, "name", "quotes, backslashes or #"),
  bad("name with #", { name: "mac#0" }, "name", "quotes, backslashes or #"),
  bad("non-ASCII name", { name: "mäc0" }, "name", "printable ASCII"),
  bad("name with a control character", { name: "mac\u00070" }, "name", "printable ASCII"),
  bad("numeric name", { name: 42 }, "name", "must be a string"),
  bad("empty parent", { parent: "" }, "parent", "must not be empty"),
  bad("missing parent", { parent: undefined }, "parent", "is required"),
  bad("16-byte parent", { parent: "parentparent1234" }, "parent", "at most 15 bytes"),
  bad("parent with whitespace", { parent: "veth 0" }, "parent", "whitespace"),

  // namespace names
  bad("empty netns", { netns: "" }, "netns", "must not be empty"),
  bad("65-character netns", { netns: "n".repeat(65) }, "netns", "at most 64 characters"),
  bad('netns with "/"', { netns: "../ns" }, "netns", 'must not contain "/"'),
  bad('netns "."', { netns: "." }, "netns", 'must not be "." or ".."'),
  bad('netns ".."', { netns: ".." }, "netns", 'must not be "." or ".."'),
  bad('netns starting with "-"', { netns: "-n" }, "netns", 'must not start with "-"'),
  bad("netns with a space", { netns: "ns 1" }, "netns", "whitespace"),
  bad("netns with #", { netns: "ns#1" }, "netns", "quotes, backslashes or #"),
  // The reproduced case: "0x1" put the link in the namespace of process 1, the host's own.
  bad('netns "0x1", process 1 to iproute2', { netns: "0x1" }, "netns", "must not be a number"),
  bad('parentNetns "+1"', { parentNetns: "+1" }, "parentNetns", "must not be a number"),
  bad("netns with a quote", { netns: "ns'1" }, "netns", "quotes, backslashes or #"),
  bad("non-ASCII parentNetns", { parentNetns: "nś1" }, "parentNetns", "printable ASCII"),
  bad("numeric parentNetns", { parentNetns: 7 }, "parentNetns", "must be a string"),

  // MAC addresses
  bad("MAC with five octets", { macAddress: "02:00:00:00:00" }, "macAddress", "six hex octets"),
  bad("MAC with seven octets", { macAddress: "02:00:00:00:00:01:02" }, "macAddress", "six hex octets"),
  bad("MAC with dashes", { macAddress: "02-00-00-00-00-01" }, "macAddress", "six hex octets"),
  bad("MAC in Cisco dots", { macAddress: "0200.0000.0001" }, "macAddress", "six hex octets"),
  bad("MAC with single-digit octets", { macAddress: "2:0:0:0:0:1" }, "macAddress", "six hex octets"),
  bad("MAC with a non-hex digit", { macAddress: "02:00:00:00:00:0g" }, "macAddress", "six hex octets"),
  bad("multicast MAC", { macAddress: "01:00:5e:00:00:01" }, "macAddress", "must be unicast"),
  bad("broadcast MAC", { macAddress: "ff:ff:ff:ff:ff:ff" }, "macAddress", "must be unicast"),
  bad("all-zero MAC", { macAddress: "00:00:00:00:00:00" }, "macAddress", "must not be all zeros"),
  bad("numeric MAC", { macAddress: 0x020000000001 }, "macAddress", "must be a string"),
  bad("multicast source MAC", { ...source, sourceMacs: [a, "03:00:00:00:00:01"] }, "sourceMacs[1]", "must be unicast"),
  bad("badly formed source MAC", { ...source, sourceMacs: ["02:aa"] }, "sourceMacs[0]", "six hex octets"),
  bad("source MAC twice, in two cases", { ...source, sourceMacs: [a, a.toUpperCase()] }, "sourceMacs", "must not repeat"),
  bad("source MACs as one string", { ...source, sourceMacs: a }, "sourceMacs", "must be a list of MAC addresses"),

  // addresses
  bad("address without a prefix", { addresses: ["10.0.0.1"] }, "addresses[0]", "with a prefix length"),
  bad("IPv4 prefix above 32", { addresses: ["10.0.0.1/33"] }, "addresses[0]", "prefix length must be at most 32"),
  bad("IPv6 prefix above 128", { addresses: ["fd00::1/129"] }, "addresses[0]", "128 (IPv6)"),
  bad("garbage before the prefix", { addresses: ["garbage/24"] }, "addresses[0]", "valid IPv4 or IPv6"),
  bad("IPv4 octet above 255", { addresses: ["10.0.0.256/24"] }, "addresses[0]", "valid IPv4 or IPv6"),
  bad("two prefixes", { addresses: ["10.0.0.1/24/8"] }, "addresses[0]", "with a prefix length"),
  bad("empty prefix", { addresses: ["10.0.0.1/"] }, "addresses[0]", "with a prefix length"),
  bad("four-digit prefix", { addresses: ["fd00::1/0064"] }, "addresses[0]", "with a prefix length"),
  bad("address twice", { addresses: ["10.0.0.1/24", "10.0.0.1/24"] }, "addresses", "must not repeat"),
  bad("IPv6 address twice, spelled two ways", { addresses: ["fd00::1/64", "FD00:0:0::1/64"] }, "addresses", "must not repeat"),
  bad("addresses as one string", { addresses: "10.0.0.1/24" }, "addresses", "must be a list of CIDRs"),
  bad("addresses as an object", { addresses: { first: "10.0.0.1/24" } }, "addresses", "must be a list of CIDRs"),
  bad("a number among the addresses", { addresses: ["10.0.0.1/24", 5] }, "addresses[1]", "must be a string"),
  bad("IPv6 link-local address", { addresses: ["10.0.0.1/24", "fe80::ab/64"] }, "addresses[1]", "must not be an IPv6 link-local address"),
  bad("IPv6 link-local address, spelled long", { addresses: ["FE80:0000::00ab/64"] }, "addresses[0]", "must not be an IPv6 link-local address"),
  bad("IPv6 link-local address at the top of fe80::/10", { addresses: ["febf::1/64"] }, "addresses[0]", "must not be an IPv6 link-local address"),

  // MTU and queue lengths
  bad("MTU below 68", { mtu: 67 }, "mtu", "at least 68"),
  bad("negative MTU", { mtu: -1500 }, "mtu", "at least 68"),
  bad("MTU above 65535", { mtu: 65536 }, "mtu", "at most 65535"),
  bad("fractional MTU", { mtu: 1500.5 }, "mtu", "whole number"),
  bad("MTU as a string", { mtu: "1500" }, "mtu", "must be a number"),
  bad("MTU NaN", { mtu: Number.NaN }, "mtu", "must be a number"),
  bad("negative txQueueLength", { txQueueLength: -1 }, "txQueueLength", "must not be negative"),
  bad("txQueueLength of 2^32", { txQueueLength: 2 ** 32 }, "txQueueLength", "32 bits"),
  bad("fractional txQueueLength", { txQueueLength: 1.5 }, "txQueueLength", "whole number"),
  bad("negative bcQueueLength", { bcQueueLength: -5 }, "bcQueueLength", "must not be negative"),
  bad("bcQueueLength of 2^32", { bcQueueLength: 4294967296 }, "bcQueueLength", "32 bits"),
  bad("bcQueueLength as a string", { bcQueueLength: "1000" }, "bcQueueLength", "must be a number"),

  // mode
  bad('mode "bridged"', { mode: "bridged" }, "mode", 'must be one of "bridge", "private", "vepa", "passthru", "source"'),
  bad("mode in capitals", { mode: "BRIDGE" }, "mode", "must be one of"),
  bad("mode as its kernel value", { mode: 4 }, "mode", "must be one of"),

  // rules across fields
  bad("nopromisc with the default mode", { nopromisc: true }, "nopromisc", 'only valid with mode "passthru"'),
  bad("nopromisc with vepa", { mode: "vepa", nopromisc: true }, "nopromisc", 'only valid with mode "passthru"'),
  bad("sourceMacs with the default mode", { sourceMacs: [a] }, "sourceMacs", 'only valid with mode "source"'),
  bad("sourceMacs with passthru", { mode: "passthru", sourceMacs: [a, b] }, "sourceMacs", 'only valid with mode "source"'),
  bad("name equal to parent, both in the host's netns", { name: "veth0" }, "name", "must differ from parent"),
  bad("name equal to parent, both in one named netns", { name: "veth0", parentNetns: "lab", netns: "lab" }, "name", "must differ from parent"),
  bad("name equal to parent, netns defaulting to parentNetns", { name: "veth0", parentNetns: "lab" }, "name", "must differ from parent"),

  // routes
  bad("routes on a link that is down", { up: false, routes: [{ to: "default", via: "10.0.0.1" }] }, "routes", "need up: true"),
  bad("an IPv6 address on a link that is down", { up: false, addresses: ["fd00::1/64"] }, "addresses", "IPv6 addresses need up: true"),
  bad("an IPv6 address beside an IPv4 one, down", { up: false, addresses: ["10.0.0.1/24", "fd00::1/64"] }, "addresses", "IPv6 addresses need up: true"),
  // Below 1280 the kernel turns IPv6 off on the link and answers "Invalid argument" to the address.
  bad("an IPv6 address with mtu 1279", { mtu: 1279, addresses: ["fd00::1/64"] }, "mtu", "must be at least 1280 with IPv6 addresses in addresses"),
  bad("the same route twice", { routes: [{ to: "10.1.0.0/24" }, { to: "10.1.0.0/24" }] }, "routes[1]", "repeats a destination and metric"),
  bad(
    "one destination and metric through two gateways",
    { routes: [{ to: "10.1.0.0/24", via: "10.0.0.1" }, { to: "10.1.0.0/24", via: "10.0.0.2" }] },
    "routes[1]",
    "repeats a destination and metric",
  ),
  bad(
    "an explicit IPv6 metric equal to the default",
    { routes: [{ to: "fd00:1::/64", metric: 1024 }, { to: "fd00:1::/64" }] },
    "routes[1]",
    "repeats a destination and metric",
  ),
  bad(
    "one route spelled two ways",
    { routes: [{ to: "10.0.0.0/8" }, { to: "10.1.1.1/32" }, { to: "FD00::5" }, { to: "fd00::5/128" }] },
    "routes[3]",
    "repeats a destination and metric",
  ),
  bad("IPv4 destination through an IPv6 gateway", { routes: [{ to: "10.1.0.0/24", via: "fd00::1" }] }, "routes[0].via", "same address family"),
  bad("IPv6 destination through an IPv4 gateway", { routes: [{ to: "fd00:1::/64", via: "10.0.0.1" }] }, "routes[0].via", "same address family"),
  bad("IPv4 host route through an IPv6 gateway", { routes: [{ to: "10.1.2.3", via: "fd00::1" }] }, "routes[0].via", "same address family"),
  bad("route prefix above 32", { routes: [{ to: "10.1.0.0/33" }] }, "routes[0].to", "at most 32"),
  bad("IPv6 route prefix above 128", { routes: [{ to: "fd00::/129" }] }, "routes[0].to", "at most 128"),
  bad("route to a name", { routes: [{ to: "nowhere" }] }, "routes[0].to", 'must be "default", an address'),
  bad("route with two prefixes", { routes: [{ to: "10.0.0.0/8/1" }] }, "routes[0].to", 'must be "default", an address'),
  bad("route with a non-numeric prefix", { routes: [{ to: "10.0.0.0/x" }] }, "routes[0].to", "prefix length"),
  bad("route without a destination", { routes: [{ via: "10.0.0.1" }] }, "routes[0].to", "must be a string"),
  bad("gateway that is not an address", { routes: [{ to: "default", via: "gateway" }] }, "routes[0].via", "valid IPv4 or IPv6"),
  bad("gateway with a prefix", { routes: [{ to: "default", via: "10.0.0.1/24" }] }, "routes[0].via", "valid IPv4 or IPv6"),
  bad("negative metric", { routes: [{ to: "default", metric: -1 }] }, "routes[0].metric", "must not be negative"),
  bad("metric as a string", { routes: [{ to: "default", metric: "10" }] }, "routes[0].metric", "must be a number"),
  bad("route with a key of its own", { routes: [{ to: "default", gateway: "10.0.0.1" }] }, "routes[0]", "must be an object like"),
  bad("route as a string", { routes: ["default via 10.0.0.1"] }, "routes[0]", "must be an object like"),
  bad("routes as one object", { routes: { to: "default" } }, "routes", "must be a list of routes"),

  // keys and types
  bad("an argument MacvlanLink does not have", { vlan: 5 }, "vlan", "is not an argument of MacvlanLink"),
  bad("a VethPair argument", { peerName: "veth1" }, "peerName", "is not an argument of MacvlanLink"),
  bad("a misspelt argument", { adress: ["10.0.0.1/24"] }, "adress", "is not an argument of MacvlanLink"),
  bad("up as a string", { up: "true" }, "up", "must be true or false"),
  bad("nopromisc as a string", { mode: "passthru", nopromisc: "yes" }, "nopromisc", "must be true or false"),
  bad("adopt as a number", { adopt: 1 }, "adopt", "must be true or false"),

  // connection
  bad("ssh connection without a host", { connection: { type: "ssh" } }, "connection.host", "must be a string"),
  bad("ssh host with a space", { connection: { type: "ssh", host: "a b" } }, "connection.host", "must be a host name or address"),
  bad("ssh host that reads as an option", { connection: { type: "ssh", host: "-oProxyCommand=x" } }, "connection.host", 'must not start with "-"'),
  bad("ssh host key not in authorized_keys form", { connection: { type: "ssh", host: "h1", hostKey: "AAAA" } }, "connection.hostKey", "authorized_keys form"),
  bad("ssh proxyJump that reads as an option", { connection: { type: "ssh", host: "h1", proxyJump: "-oX=y" } }, "connection.proxyJump", 'must not start with "-"'),
  bad("ssh proxyJump of two hops", { connection: { type: "ssh", host: "h1", proxyJump: "j1,j2" } }, "connection.proxyJump", "must be one jump host"),
  bad("ssh proxyJump with a shell word", { connection: { type: "ssh", host: "h1", proxyJump: "j1;id" } }, "connection.proxyJump", "must be [user@]host[:port]"),
  bad("ssh proxyJump with a %-token", { connection: { type: "ssh", host: "h1", proxyJump: "%h" } }, "connection.proxyJump", "must be [user@]host[:port]"),
  bad("ssh proxyJumpHostKey not a key", { connection: { type: "ssh", host: "h1", proxyJump: "j1", proxyJumpHostKey: "AAAA" } }, "connection.proxyJumpHostKey", "authorized_keys form"),
  bad("ssh private key that is not one", { connection: { type: "ssh", host: "h1", privateKey: "hunter2" } }, "connection.privateKey", "must be a private key"),
  bad("ssh connect timeout of 0", { connection: { type: "ssh", host: "h1", connectTimeoutSeconds: 0 } }, "connection.connectTimeoutSeconds", "at least 1"),
  bad("connection as a string", { connection: "local" }, "connection", 'must have type "local" or "ssh"'),
  // With proxyJump, OpenSSH pastes the -F path unquoted into a local ProxyCommand: this one ran `id`.
  bad("ssh config path with a command in it", { connection: { type: "ssh", host: "h1", sshConfigFile: "/tmp/cfg/$(id>/tmp/INJ)" } }, "connection.sshConfigFile", "must be a plain path"),
  bad("ssh config path with a space", { connection: { type: "ssh", host: "h1", sshConfigFile: "/etc/ssh/my config" } }, "connection.sshConfigFile", "must be a plain path"),
  bad("relative ssh config path", { connection: { type: "ssh", host: "h1", sshConfigFile: "ssh_config" } }, "connection.sshConfigFile", "must be an absolute path"),
  // A space makes two known_hosts files; % and ~ are expanded by ssh.
  bad("known_hosts path with a space", { connection: { type: "ssh", host: "h1", knownHostsFile: "/k/a /tmp/theirs" } }, "connection.knownHostsFile", "must be a plain path"),
  bad("known_hosts path with a %-token", { connection: { type: "ssh", host: "h1", knownHostsFile: "/k/%u" } }, "connection.knownHostsFile", "must be a plain path"),
  bad("agent socket with a backquote", { connection: { type: "ssh", host: "h1", agentSocket: "/run/`id`.sock" } }, "connection.agentSocket", "must be a plain path"),
  bad("connection as a list", { connection: [{ type: "local" }] }, "connection", "must be an object like"),
  bad("connection with a key of its own", { connection: { type: "local", host: "h1" } }, "connection", "must be an object like"),
  bad("connection.sudo as a string", { connection: { sudo: "yes" } }, "connection.sudo", "must be true or false"),
];

describe("MacvlanLink arguments that are refused", () => {
  it("starts from arguments that are valid", () => {
    expect(validateArgs(macvlanLinkArgs, base).ok).toBe(true);
  });
  it.each(macvlanBadRows)("$case: $property", (row) => expectFailure(macvlanLinkArgs, row));
});

const defaults = {
  mode: "bridge",
  nopromisc: false,
  sourceMacs: [],
  addresses: [],
  routes: [],
  dhcp: false,
  up: true,
  announce: true,
  nodad: false,
  adopt: false,
  persist: true,
  connection: { type: "local", sudo: false, persist: true },
};

describe("MacvlanLink defaults and canonical forms", () => {
  it.each([
    { case: "the fewest arguments", raw: {}, args: { ...base, ...defaults } },
    { case: "netns defaults to parentNetns", raw: { parentNetns: "lab" }, args: { ...base, ...defaults, parentNetns: "lab", netns: "lab" } },
    {
      case: "netns apart from parentNetns",
      raw: { parentNetns: "lab", netns: "ns1" },
      args: { ...base, ...defaults, parentNetns: "lab", netns: "ns1" },
    },
    { case: "netns with the parent in the host's", raw: { netns: "ns1" }, args: { ...base, ...defaults, netns: "ns1" } },
    { case: "name equal to parent in another netns", raw: { name: "veth0", netns: "ns1" }, args: { ...base, ...defaults, name: "veth0", netns: "ns1" } },
    { case: "a 15-byte name", raw: { name: "abcdefghijklmno" }, args: { ...base, ...defaults, name: "abcdefghijklmno" } },
    { case: "MAC lower-cased", raw: { macAddress: "02:AB:CD:00:00:0F" }, args: { ...base, ...defaults, macAddress: "02:ab:cd:00:00:0f" } },
    {
      case: "source MACs lower-cased, in the given order",
      raw: { mode: "source", sourceMacs: [b.toUpperCase(), a] },
      args: { ...base, ...defaults, mode: "source", sourceMacs: [b, a] },
    },
    { case: "passthru with nopromisc", raw: { mode: "passthru", nopromisc: true }, args: { ...base, ...defaults, mode: "passthru", nopromisc: true } },
    {
      case: "IPv6 compressed and lower-cased",
      raw: { addresses: ["FD00:0:0::1/64", "fd00:0000::00ab/64", "2001:db8:0:0:1:0:0:1/128"] },
      args: { ...base, ...defaults, addresses: ["fd00::1/64", "fd00::ab/64", "2001:db8::1:0:0:1/128"] },
    },
    { case: "prefix length without leading zeros", raw: { addresses: ["10.0.0.1/024"] }, args: { ...base, ...defaults, addresses: ["10.0.0.1/24"] } },
    {
      case: "IPv4 route metric defaults to 0",
      raw: { routes: [{ to: "10.1.0.0/24", via: "10.0.0.1" }] },
      args: { ...base, ...defaults, routes: [{ to: "10.1.0.0/24", via: "10.0.0.1", metric: 0 }] },
    },
    {
      case: "IPv6 route metric defaults to 1024",
      raw: { routes: [{ to: "FD00:1:0::/64", via: "FD00::1" }] },
      args: { ...base, ...defaults, routes: [{ to: "fd00:1::/64", via: "fd00::1", metric: 1024 }] },
    },
    {
      case: "default route takes its gateway's family for the metric",
      raw: { routes: [{ to: "default", via: "fd00::1" }, { to: "default", via: "10.0.0.1" }] },
      args: {
        ...base,
        ...defaults,
        routes: [
          { to: "default", via: "fd00::1", metric: 1024 },
          { to: "default", via: "10.0.0.1", metric: 0 },
        ],
      },
    },
    { case: "default route with no gateway is IPv4", raw: { routes: [{ to: "default" }] }, args: { ...base, ...defaults, routes: [{ to: "default", metric: 0 }] } },
    {
      case: "host routes get a full-length prefix",
      raw: { routes: [{ to: "10.1.2.3" }, { to: "FD00::5", metric: 5 }] },
      args: {
        ...base,
        ...defaults,
        routes: [
          { to: "10.1.2.3/32", metric: 0 },
          { to: "fd00::5/128", metric: 5 },
        ],
      },
    },
    {
      case: "the same destination with two metrics",
      raw: { routes: [{ to: "10.1.0.0/24" }, { to: "10.1.0.0/24", metric: 100 }] },
      args: {
        ...base,
        ...defaults,
        routes: [
          { to: "10.1.0.0/24", metric: 0 },
          { to: "10.1.0.0/24", metric: 100 },
        ],
      },
    },
    { case: "null is the default", raw: { up: null, mode: null, addresses: null }, args: { ...base, ...defaults } },
    { case: "the engine's __provider key is not an argument", raw: { __provider: "serialized" }, args: { ...base, ...defaults } },
    {
      case: "every optional argument",
      raw: { macAddress: "02:00:00:00:00:01", mtu: 68, txQueueLength: 0, bcQueueLength: 4294967295, up: false, adopt: true, connection: { sudo: true } },
      args: {
        ...base,
        ...defaults,
        macAddress: "02:00:00:00:00:01",
        mtu: 68,
        txQueueLength: 0,
        bcQueueLength: 4294967295,
        up: false,
        adopt: true,
        connection: { type: "local", sudo: true, persist: true },
      },
    },
  ])("$case", ({ raw, args }) => {
    // toEqual: `complete` spreads `netns: undefined` into args that have no netns.
    expect(validArgs(macvlanLinkArgs, { ...base, ...raw })).toEqual(args);
  });

  // The duplicate-route rule keys routes by family as well as destination and metric, so an IPv4 and an
  // IPv6 default route with the same metric are two routes, not one repeated.
  it("accepts an IPv4 and an IPv6 default route with the same metric", () => {
    const args = validArgs(macvlanLinkArgs, {
      ...base,
      routes: [
        { to: "default", via: "10.0.0.1", metric: 100 },
        { to: "default", via: "fd00::1", metric: 100 },
      ],
    });
    expect(args.routes).toStrictEqual([
      { to: "default", via: "10.0.0.1", metric: 100 },
      { to: "default", via: "fd00::1", metric: 100 },
    ]);
  });
});

describe("MacvlanLink values not known yet (preview)", () => {
  it.each([
    { case: "name", raw: { name: UNKNOWN } },
    { case: "a MAC that would be refused if known", raw: { macAddress: UNKNOWN } },
    { case: "one address in the list", raw: { addresses: ["10.0.0.1/24", UNKNOWN] } },
    { case: "a route's gateway", raw: { routes: [{ to: "default", via: UNKNOWN }] } },
    { case: "the connection's sudo", raw: { connection: { type: "local", sudo: UNKNOWN } } },
  ])("$case passes through as it is", ({ raw }) => {
    const result = validateArgs(macvlanLinkArgs, { ...base, ...raw });
    expect(result).toMatchObject({ ok: true, args: raw });
    const [field] = Object.keys(raw);
    expect(result.ok && [...result.unknownFields]).toStrictEqual([field]);
  });

  it.each([
    { case: "nopromisc with mode unknown", raw: { nopromisc: true, mode: UNKNOWN } },
    { case: "nopromisc unknown with a mode that refuses it", raw: { nopromisc: UNKNOWN, mode: "bridge" } },
    { case: "sourceMacs with mode unknown", raw: { sourceMacs: [a], mode: UNKNOWN } },
    { case: "name unknown, maybe equal to parent", raw: { name: UNKNOWN } },
    { case: "name equal to parent, netns unknown", raw: { name: "veth0", netns: UNKNOWN } },
    { case: "name equal to parent, parentNetns unknown", raw: { name: "veth0", parentNetns: UNKNOWN } },
    { case: "routes unknown", raw: { routes: [{ to: "default" }, { to: UNKNOWN }] } },
  ])("skips the rule across fields for $case", ({ raw }) => {
    expect(validateArgs(macvlanLinkArgs, { ...base, ...raw }).ok).toBe(true);
  });

  it("still runs a rule that reads no unknown field", () => {
    expectFailure(macvlanLinkArgs, bad("nopromisc with bridge, name unknown", { name: UNKNOWN, nopromisc: true }, "nopromisc", "passthru"));
  });

  it("still checks the known fields next to an unknown one", () => {
    expectFailure(macvlanLinkArgs, bad("netns unknown, bad MTU", { netns: UNKNOWN, mtu: 10 }, "mtu", "at least 68"));
  });

  it("defaults netns to an unknown parentNetns", () => {
    const result = validateArgs(macvlanLinkArgs, { ...base, parentNetns: UNKNOWN });
    expect(result.ok && result.args.netns).toBe(UNKNOWN);
  });
});
