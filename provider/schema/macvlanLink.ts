import { z } from "zod";
import { macvlanModes, routeFamily, type MacvlanLinkDesired, type Route } from "../model";
import { connection } from "./connection";
import {
  familyOf,
  interfaceAddress,
  flag,
  interfaceName,
  ipAddress,
  macAddress,
  metric,
  mtu,
  netnsName,
  owner,
  persistFlag,
  queueLength,
  routeDestination,
} from "./fields";
import { withPersist } from "./persist";
import { definedOnly } from "../shape";
import { distinct, ipv6NeedsMtu, ipv6NeedsUp, type ArgsSpec } from "./validate";

export const macvlanMode = z.enum(macvlanModes, {
  error: `must be one of ${macvlanModes.map((m) => `"${m}"`).join(", ")}`,
});

/** The kernel's default metric: 0 for IPv4 routes, 1024 for IPv6 ones. Made explicit so they compare. */
export const route = z
  .strictObject(
    { to: routeDestination, via: ipAddress.optional(), metric: metric.optional() },
    { error: 'must be an object like { to: "default", via: "10.0.0.1" }' },
  )
  .superRefine((r, ctx) => {
    if (r.via !== undefined && r.to !== "default" && familyOf(r.via) !== familyOf(r.to)) {
      ctx.addIssue({ code: "custom", path: ["via"], message: "must be of the same address family as to" });
    }
  })
  .transform((r): Route => {
    const family = r.to !== "default" ? familyOf(r.to) : r.via !== undefined ? familyOf(r.via) : 4;
    // The kernel reports an IPv6 default route with a gateway as "default"; without one, "::/0" says
    // which family it is.
    const to = r.to === "::/0" && r.via !== undefined ? "default" : r.to;
    return { to, ...(r.via !== undefined && { via: r.via }), metric: r.metric ?? (family === 6 ? 1024 : 0) };
  });

/** Every argument a macvlan-kind link takes; Macvtap extends these. */
export const macvlanFields = {
  name: interfaceName,
  parent: interfaceName,
  parentNetns: netnsName.optional(),
  netns: netnsName.optional(),
  mode: macvlanMode.default("bridge"),
  nopromisc: flag.default(false),
  sourceMacs: distinct(z.array(macAddress, { error: "must be a list of MAC addresses" })).default([]),
  macAddress: macAddress.optional(),
  mtu: mtu.optional(),
  txQueueLength: queueLength.optional(),
  bcQueueLength: queueLength.optional(),
  addresses: distinct(z.array(interfaceAddress, { error: "must be a list of CIDRs" })).default([]),
  routes: z.array(route, { error: "must be a list of routes" }).default([]),
  up: flag.default(true),
  announce: flag.default(true),
  nodad: flag.default(false),
  adopt: flag.default(false),
  persist: persistFlag,
  owner: owner.optional(),
  connection,
};

export const macvlanRules: ArgsSpec<MacvlanLinkDesired>["rules"] = [
  ipv6NeedsUp("addresses"),
  ipv6NeedsMtu("addresses"),
  {
    reads: ["routes", "up"],
    check: (a) =>
      a.routes.length > 0 && !a.up
        ? { property: "routes", reason: "need up: true (the kernel drops a link's routes while it is down)" }
        : undefined,
  },
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
  {
    reads: ["routes"],
    check: (a) => {
      const keys = a.routes.map((r) => `${routeFamily(r)} ${r.to} ${r.metric}`);
      const dup = keys.findIndex((k, i) => keys.indexOf(k) !== i);
      return dup >= 0 ? { property: `routes[${dup}]`, reason: "repeats a destination and metric" } : undefined;
    },
  },
];

export const macvlanLinkArgs: ArgsSpec<MacvlanLinkDesired> = {
  kind: "MacvlanLink",
  fields: macvlanFields,
  rules: macvlanRules,
  complete: (a) => withPersist(definedOnly({ ...a, netns: a.netns ?? a.parentNetns })),
};
