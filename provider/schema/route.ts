// A route a link carries, as users write it: the schema single links (schema/link.ts) share.
import { z } from "zod";
import type { Route } from "../model";
import { familyOf, ipAddress, metric, routeDestination } from "./fields";

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
