import { z } from "zod";
import type { VethPairDesired } from "../model";
import { connection } from "./connection";
import { flag, interfaceAddress, interfaceName, mtu, netnsName, owner, persistFlag } from "./fields";
import { withPersist } from "./persist";
import { definedOnly } from "../shape";
import { distinct, ipv6NeedsMtu, ipv6NeedsUp, type ArgsSpec } from "./validate";

export const vethPairArgs: ArgsSpec<VethPairDesired> = {
  kind: "VethPair",
  fields: {
    name: interfaceName,
    peerName: interfaceName,
    netns: netnsName.optional(),
    peerNetns: netnsName.optional(),
    addresses: distinct(z.array(interfaceAddress, { error: "must be a list of CIDRs" })).default([]),
    peerAddresses: distinct(z.array(interfaceAddress, { error: "must be a list of CIDRs" })).default([]),
    mtu: mtu.optional(),
    up: flag.default(true),
    announce: flag.default(true),
    nodad: flag.default(false),
    adopt: flag.default(false),
    persist: persistFlag,
    owner: owner.optional(),
    connection,
  },
  rules: [
    ipv6NeedsUp("addresses"),
    ipv6NeedsUp("peerAddresses"),
    ipv6NeedsMtu("addresses"),
    ipv6NeedsMtu("peerAddresses"),
    {
      reads: ["name", "peerName", "netns", "peerNetns"],
      check: (a) =>
        a.name === a.peerName && (a.peerNetns ?? a.netns) === a.netns
          ? { property: "peerName", reason: "must differ from name when both ends are in the same netns" }
          : undefined,
    },
  ],
  complete: (a) => withPersist(definedOnly({ ...a, peerNetns: a.peerNetns ?? a.netns })),
};
