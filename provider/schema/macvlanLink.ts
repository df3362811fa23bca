// A macvlan-kind link's arguments (MacvlanLink's; Macvtap extends them): a single link's (schema/link.ts)
// with its parent, its mode and the mode's options.
import { z } from "zod";
import { macvlanModes, type MacvlanLinkDesired } from "../model";
import { definedOnly, spliced } from "../shape";
import { flag, interfaceName, macAddress, netnsName, queueLength } from "./fields";
import { dhcpFields, dhcpNeedsUp, masterNotItself, portFields, singleLinkFields, singleLinkRules } from "./link";
import { withPersist } from "./persist";
import { distinct, type ArgsSpec } from "./validate";

export const macvlanMode = z.enum(macvlanModes, {
  error: `must be one of ${macvlanModes.map((m) => `"${m}"`).join(", ")}`,
});

/** Every argument a macvlan-kind link takes; Macvtap extends these. */
export const macvlanFields = spliced(singleLinkFields, {
  name: { parent: interfaceName, parentNetns: netnsName.optional() },
  netns: {
    mode: macvlanMode.default("bridge"),
    nopromisc: flag.default(false),
    sourceMacs: distinct(z.array(macAddress, { error: "must be a list of MAC addresses" })).default([]),
    ...portFields,
  },
  txQueueLength: { bcQueueLength: queueLength.optional() },
  // The client after the routes: its address and its routes come after ours.
  routes: dhcpFields,
});

export const macvlanRules: ArgsSpec<MacvlanLinkDesired>["rules"] = singleLinkRules<MacvlanLinkDesired>([
  {
    reads: ["nopromisc", "mode"],
    check: (a) =>
      a.nopromisc && a.mode !== "passthru"
        ? { property: "nopromisc", reason: 'is only valid with mode "passthru"' }
        : undefined,
  },
  {
    reads: ["sourceMacs", "mode"],
    check: (a) =>
      a.sourceMacs.length > 0 && a.mode !== "source"
        ? { property: "sourceMacs", reason: 'is only valid with mode "source"' }
        : undefined,
  },
  {
    reads: ["name", "parent", "netns", "parentNetns"],
    check: (a) =>
      a.name === a.parent && (a.netns ?? a.parentNetns) === a.parentNetns
        ? { property: "name", reason: "must differ from parent when the link stays in the parent's netns" }
        : undefined,
  },
  masterNotItself<MacvlanLinkDesired>("master", "name"),
  dhcpNeedsUp<MacvlanLinkDesired>("dhcp"),
]);

export const macvlanLinkArgs: ArgsSpec<MacvlanLinkDesired, "MacvlanLink"> = {
  kind: "MacvlanLink",
  fields: macvlanFields,
  rules: macvlanRules,
  complete: (a) => withPersist(definedOnly({ ...a, netns: a.netns ?? a.parentNetns })),
};
