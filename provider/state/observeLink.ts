// A link as iproute2's JSON shows it (`ip -j -d addr show` and `route show`), made into what the model
// calls an observed link: the attributes, addresses and routes this package manages.
import type { z } from "zod";
import { canonicalIp } from "../schema/fields";
import { parseMacvlanMode, routeProtocol, type LinkObserved, type Route } from "../model";
import { macvlanInfoData, type LinkWithAddresses, type routeEntry } from "./ipJson";

function withPrefix(dst: string, family: 4 | 6, gateway: string | undefined): string {
  // An IPv6 default route without a gateway is spelled "::/0", so its family stays known.
  if (dst === "default") return family === 6 && gateway === undefined ? "::/0" : dst;
  if (dst.includes("/")) {
    const [ip = "", len = ""] = dst.split("/");
    return `${canonicalIp(ip)}/${len}`;
  }
  return `${canonicalIp(dst)}/${family === 6 ? 128 : 32}`;
}

export function toRoute(entry: z.infer<typeof routeEntry>, family: 4 | 6): Route {
  return {
    to: withPrefix(entry.dst, family, entry.gateway),
    ...(entry.gateway !== undefined && { via: canonicalIp(entry.gateway) }),
    metric: entry.metric ?? 0,
    ...(entry.protocol !== undefined && entry.protocol !== routeProtocol && { protocol: entry.protocol }),
  };
}

export function observeLink(link: LinkWithAddresses, routes: Route[]): LinkObserved {
  const kind = link.linkinfo?.info_kind;
  const observed: LinkObserved = {
    name: link.ifname,
    ifindex: link.ifindex,
    ...(kind !== undefined && { kind }),
    ...(link.link != null && { parentLink: link.link }),
    ...(link.link_index !== undefined && { parentIndex: link.link_index }),
    macAddress: (link.address ?? "").toLowerCase(),
    mtu: link.mtu,
    txQueueLength: link.txqlen ?? 0,
    up: link.flags.includes("UP"),
    addresses: (link.addr_info ?? [])
      // IPv6 link-local addresses are the kernel's own, made for every link, and addresses with a
      // lifetime (`dynamic`) were handed out by SLAAC or DHCP, which renew them: not ours to manage.
      .filter((a) => a.local !== undefined && !(a.family === "inet6" && a.scope === "link") && a.dynamic !== true)
      .map((a) => `${canonicalIp(a.local ?? "")}/${a.prefixlen}`),
    routes,
  };
  if (kind === "macvlan" || kind === "macvtap") {
    const data = macvlanInfoData.parse(link.linkinfo?.info_data);
    observed.macvlan = {
      mode: parseMacvlanMode(data.mode),
      nopromisc: data.nopromisc ?? false,
      sourceMacs: (data.macaddr_data ?? []).map((m) => m.toLowerCase()),
      ...(data.bcqueuelen !== undefined && { bcQueueLength: data.bcqueuelen }),
    };
  }
  return observed;
}
