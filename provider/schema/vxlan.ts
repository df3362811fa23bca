// A Vxlan's arguments: a single link's (schema/link.ts) with the tunnel's own. What the kernel or ip's
// parser would refuse at create (a VNI out of range, a unicast group, a group without its underlay, two
// address families) is refused here, before anything touches a host: a parser exit ends an `ip -batch`
// without saying which line failed.
import { z } from "zod";
import type { VxlanDesired } from "../model";
import { definedOnly, spliced } from "../shape";
import { addressBytes, familyOf, flag, interfaceName, ipAddress } from "./fields";
import { masterNotItself, portFields, singleLinkFields, singleLinkRules } from "./link";
import { withPersist } from "./persist";
import { distinct, type ArgsSpec } from "./validate";

/** 224.0.0.0/4 or ff00::/8. */
function isMulticast(address: string): boolean {
  const [first = 0] = addressBytes(address);
  return familyOf(address) === 4 ? first >= 224 && first < 240 : first === 0xff;
}
const isUnspecified = (address: string) => addressBytes(address).every((byte) => byte === 0);

/** An address of one tunnel end: unicast, and not 0.0.0.0 or :: (which `ip` reads as "none"). */
const endAddress = ipAddress
  .refine((a) => !isUnspecified(a), "must not be the unspecified address (leave it out for none)")
  .refine((a) => !isMulticast(a), "must be a unicast address (a multicast one is a group)");

/** fe80::/10. */
const isIPv6LinkLocal = (address: string) => {
  const [first = 0, second = 0] = addressBytes(address);
  return familyOf(address) === 6 && first === 0xfe && (second & 0xc0) === 0x80;
};

/**
 * `local` or `remote`: not IPv6 link-local. The kernel takes one only with a link-local other end and an
 * underlay, and otherwise refuses it ("Invalid combination of local and remote address scopes"), at create
 * or in place; a Vxlan does not offer such a tunnel. (IPv4 link-local, 169.254/16, it takes as any other.)
 */
const tunnelEnd = endAddress.refine((a) => !isIPv6LinkLocal(a), "must not be an IPv6 link-local address (fe80::/10): the kernel refuses its scope with the tunnel's other end");

export const vxlanFields = spliced(singleLinkFields, {
  netns: {
    vni: z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must not be negative").max(16777215, "must be at most 16777215 (24 bits)"),
    local: tunnelEnd.optional(),
    remote: tunnelEnd.optional(),
    group: ipAddress.refine(isMulticast, "must be a multicast address (224.0.0.0/4, ff00::/8)").optional(),
    dstPort: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(65535, "must be at most 65535").default(4789),
    underlay: interfaceName.optional(),
    learning: flag.default(true),
    remotes: distinct(z.array(endAddress, { error: "must be a list of addresses" })).default([]),
    ...portFields,
  },
});

export const vxlanRules: ArgsSpec<VxlanDesired>["rules"] = singleLinkRules<VxlanDesired>([
  {
    reads: ["remote", "group"],
    check: (a) => (a.remote !== undefined && a.group !== undefined ? { property: "group", reason: "cannot be given with remote (one or the other)" } : undefined),
  },
  {
    reads: ["group", "underlay"],
    check: (a) => (a.group !== undefined && a.underlay === undefined ? { property: "underlay", reason: "is needed with group (the link that joins it)" } : undefined),
  },
  {
    reads: ["remote", "remotes"],
    check: (a) => {
      const at = a.remote !== undefined ? a.remotes.indexOf(a.remote) : -1;
      return at >= 0 ? { property: `remotes[${at}]`, reason: "repeats remote (the kernel would flood to it twice)" } : undefined;
    },
  },
  {
    // The kernel fixes a tunnel's family at create: IPv6 when any address given is.
    reads: ["local", "remote", "group", "remotes"],
    check: (a) => {
      const given = [["local", a.local], ["remote", a.remote], ["group", a.group], ...a.remotes.map((r, i) => [`remotes[${i}]`, r])] as [string, string | undefined][];
      const known = given.filter((g): g is [string, string] => g[1] !== undefined);
      const [first] = known;
      const other = known.find(([, address]) => first !== undefined && familyOf(address) !== familyOf(first[1]));
      return other && first ? { property: other[0], reason: `must be of the same address family as ${first[0]} (a tunnel is IPv4 or IPv6)` } : undefined;
    },
  },
  {
    // With no end given the kernel makes an IPv4 tunnel, and refuses an IPv6 flood entry on it (after
    // the link is made: a create that fails half way).
    reads: ["local", "remote", "group", "remotes"],
    check: (a) =>
      a.local === undefined && a.remote === undefined && a.group === undefined && a.remotes.some((r) => familyOf(r) === 6)
        ? { property: "remotes", reason: "with IPv6 addresses need an IPv6 local, remote or group (a tunnel with none is IPv4)" }
        : undefined,
  },
  {
    reads: ["name", "underlay"],
    check: (a) => (a.name === a.underlay ? { property: "underlay", reason: "must differ from name" } : undefined),
  },
  masterNotItself<VxlanDesired>("master", "name"),
]);

export const vxlanArgs: ArgsSpec<VxlanDesired, "Vxlan"> = {
  kind: "Vxlan",
  fields: vxlanFields,
  rules: vxlanRules,
  complete: (a) => withPersist(definedOnly(a)),
};
