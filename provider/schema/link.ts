// The arguments every link kind shares, declared once: a kind's schema is these, spliced with its own
// (shape.ts's `spliced`, which keeps each kind's fields in the order its messages always had), and its
// rules are these rules plus its own.
import { z } from "zod";
import { routeFamily, type LinkDesired, type SingleLinkDesired } from "../model";
import { spliced } from "../shape";
import { flag, interfaceAddress, interfaceName, macAddress, mtu, netnsName, queueLength } from "./fields";
import { hostObjectFields } from "./hostObject";
import { route } from "./route";
import { distinct, ipv6NeedsMtu, ipv6NeedsUp, type ArgsSpec } from "./validate";

/** Every link kind's arguments. */
export const linkFields = {
  name: interfaceName,
  netns: netnsName.optional(),
  mtu: mtu.optional(),
  addresses: distinct(z.array(interfaceAddress, { error: "must be a list of CIDRs" })).default([]),
  up: flag.default(true),
  announce: flag.default(true),
  nodad: flag.default(false),
  ...hostObjectFields,
};

/** A single link's (every kind but a pair): its MAC by its namespace, its queue length by its MTU, its routes by its addresses. */
export const singleLinkFields = spliced(linkFields, {
  netns: { macAddress: macAddress.optional() },
  mtu: { txQueueLength: queueLength.optional() },
  addresses: { routes: z.array(route, { error: "must be a list of routes" }).default([]) },
});

type Rules<D> = ArgsSpec<D>["rules"];

/**
 * Every link kind's rules: IPv6 addresses need the link up and an MTU IPv6 takes, for each list of
 * addresses it has (a pair: both ends'), then the kind's `own`.
 */
export function linkRules<D extends LinkDesired>(own: Rules<D>, addressFields: (keyof D & string)[] = ["addresses"]): Rules<D> {
  return [...addressFields.map((field) => ipv6NeedsUp<D>(field)), ...addressFields.map((field) => ipv6NeedsMtu<D>(field)), ...own];
}

/** A single link's rules: the shared ones and its routes', with the kind's `own` in between (where their failures always came). */
export function singleLinkRules<D extends SingleLinkDesired>(own: Rules<D>): Rules<D> {
  return linkRules<D>([
    {
      reads: ["routes", "up"],
      check: (a) =>
        a.routes.length > 0 && !a.up
          ? { property: "routes", reason: "need up: true (the kernel drops a link's routes while it is down)" }
          : undefined,
    },
    ...own,
    {
      reads: ["routes"],
      check: (a) => {
        const keys = a.routes.map((r) => `${routeFamily(r)} ${r.to} ${r.metric}`);
        const dup = keys.findIndex((k, i) => keys.indexOf(k) !== i);
        return dup >= 0 ? { property: `routes[${dup}]`, reason: "repeats a destination and metric" } : undefined;
      },
    },
  ]);
}

/** What a link that can be a bridge port takes: the bridge's name, in the link's own namespace. */
export const portFields = {
  master: interfaceName.optional(),
};

/** A port's rule: its bridge (`field`: `master`, a pair's `peerMaster`) is another link than itself (`name`). */
export function masterNotItself<D extends LinkDesired>(field: keyof D & string, name: keyof D & string): Rules<D>[number] {
  return {
    reads: [field, name],
    check: (a) => (a[field] !== undefined && a[field] === a[name] ? { property: field, reason: `must name a bridge, not the link itself` } : undefined),
  };
}

/** What a link that can run a DHCP client takes (MacvlanLink, each VethPair end): IPv4, off by default. */
export const dhcpFields = {
  dhcp: flag.default(false),
};

/** A DHCP client's rule: its link is up (`field`: `dhcp`, a pair's `peerDhcp`; a pair's ends share `up`). */
export function dhcpNeedsUp<D extends LinkDesired>(field: keyof D & string): Rules<D>[number] {
  return {
    reads: [field, "up"],
    check: (a) => (a[field] === true && !a.up ? { property: field, reason: "needs up: true (a client on a link that is down gets no lease)" } : undefined),
  };
}
