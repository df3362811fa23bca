// A veth pair's arguments: a link's (schema/link.ts), for its first end and both ends' shared settings,
// with its peer's name, namespace and addresses.
import { z } from "zod";
import type { VethPairDesired } from "../model";
import { definedOnly, spliced } from "../shape";
import { interfaceAddress, interfaceName, netnsName } from "./fields";
import { dhcpFields, dhcpNeedsUp, linkFields, linkRules, masterNotItself, portFields } from "./link";
import { withPersist } from "./persist";
import { distinct, type ArgsSpec } from "./validate";

export const vethPairArgs: ArgsSpec<VethPairDesired> = {
  kind: "VethPair",
  fields: spliced(linkFields, {
    name: { peerName: interfaceName },
    // Each end's bridge, in that end's namespace: the port field every port kind has, for each end.
    netns: { peerNetns: netnsName.optional(), ...portFields, peerMaster: portFields.master },
    // Its MTU (both ends') after both ends' addresses, where its messages always listed it; each end's
    // DHCP client after those.
    addresses: {
      peerAddresses: distinct(z.array(interfaceAddress, { error: "must be a list of CIDRs" })).default([]),
      mtu: linkFields.mtu,
      ...dhcpFields,
      peerDhcp: dhcpFields.dhcp,
    },
  }),
  rules: linkRules<VethPairDesired>(
    [
      {
        reads: ["name", "peerName", "netns", "peerNetns"],
        check: (a) =>
          a.name === a.peerName && (a.peerNetns ?? a.netns) === a.netns
            ? { property: "peerName", reason: "must differ from name when both ends are in the same netns" }
            : undefined,
      },
      masterNotItself<VethPairDesired>("master", "name"),
      masterNotItself<VethPairDesired>("peerMaster", "peerName"),
      dhcpNeedsUp<VethPairDesired>("dhcp"),
      dhcpNeedsUp<VethPairDesired>("peerDhcp"),
    ],
    ["addresses", "peerAddresses"],
  ),
  complete: (a) => withPersist(definedOnly({ ...a, peerNetns: a.peerNetns ?? a.netns })),
};
