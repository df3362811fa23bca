// A link as iproute2's JSON shows it (`ip -j -d addr show` and `route show`), made into what the model
// calls an observed link: the attributes, addresses and routes this package manages.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Command, CommandResult } from "../exec/runner";
import { canonicalIp } from "../schema/fields";
import { floodMac, parseMacvlanMode, routeProtocol, type LinkObserved, type Route } from "../model";
import { bridgeInfoData, macvlanInfoData, parseJsonLines, type LinkWithAddresses, type routeEntry } from "./ipJson";
import { ReadError } from "./readError";
import { classify } from "../exec/errors";

function withPrefix(dst: string, family: 4 | 6, gateway: string | undefined): string {
  // An IPv6 default route without a gateway is spelled "::/0", so its family stays known.
  if (dst === "default") return family === 6 && gateway === undefined ? "::/0" : dst;
  if (dst.includes("/")) {
    const [ip = "", len = ""] = dst.split("/");
    return `${canonicalIp(ip)}/${len}`;
  }
  return `${canonicalIp(dst)}/${family === 6 ? 128 : 32}`;
}

/** The attributes of a route entry a `Route` says, or that iproute2 prints for any route. */
const attributesOfEveryRoute = new Set(["dst", "gateway", "dev", "protocol", "metric", "scope", "flags", "pref", "type"]);

/**
 * What a route has beyond what a `Route` says (`ip route add TO [via GW] dev DEV proto static metric
 * M`), e.g. "prefsrc, onlink", or undefined when nothing: such a route cannot be written down, nor
 * taken over (`ip route replace` would drop the rest).
 */
export function beyondRoute(entry: z.infer<typeof routeEntry>, family: 4 | 6): string | undefined {
  if (entry.dev === undefined) return "no single link (a multipath, a blackhole)";
  const extra = Object.keys(entry).filter((key) => !attributesOfEveryRoute.has(key));
  if (entry.type !== undefined && entry.type !== "unicast") extra.push(`type ${entry.type}`);
  extra.push(...(entry.flags ?? []).filter((flag) => flag !== "linkdown")); // linkdown is the link's state
  // A scope or preference other than the kernel's own choice for such a route (every IPv6 route's is global).
  const usualScope = family === 6 || entry.gateway !== undefined ? "global" : "link";
  if (entry.scope !== undefined && entry.scope !== usualScope) extra.push(`scope ${entry.scope}`);
  if (entry.pref !== undefined && entry.pref !== "medium") extra.push(`pref ${entry.pref}`);
  return extra.length > 0 ? extra.join(", ") : undefined;
}

/** A route entry as a Route; one of another protocol than ours carries it, and what it has beyond. */
export function toRoute(entry: z.infer<typeof routeEntry>, family: 4 | 6): Route {
  // A listing filtered by protocol (ours) prints none; `boot` is printed only with details (-d), so a
  // read of every protocol asks for them.
  const foreign = entry.protocol !== undefined && entry.protocol !== routeProtocol;
  const beyond = foreign ? beyondRoute(entry, family) : undefined;
  return {
    to: withPrefix(entry.dst, family, entry.gateway),
    ...(entry.gateway !== undefined && { via: canonicalIp(entry.gateway) }),
    metric: entry.metric ?? 0,
    ...(foreign && { protocol: entry.protocol }),
    ...(beyond !== undefined && { beyond }),
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
    ...(link.link_netnsid !== undefined && { parentNetnsid: link.link_netnsid }),
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
    ...(link.ifalias !== undefined && link.ifalias !== "" && { alias: link.ifalias }),
    ...(link.master !== undefined && { master: link.master }),
    ...(link.group !== undefined && /^\d+$/.test(link.group) && { group: Number(link.group) }),
  };
  if (kind === "bridge") {
    const data = bridgeInfoData.parse(link.linkinfo?.info_data);
    // The kernel reads back any stp_state but 0 as 1; a kernel without VLAN filtering may leave it out.
    observed.bridge = { stp: data.stp_state !== 0, forwardDelay: data.forward_delay / 100, vlanFiltering: data.vlan_filtering === 1 };
  }
  if (kind === "macvlan" || kind === "macvtap") {
    const data = macvlanInfoData.parse(link.linkinfo?.info_data);
    observed.macvlan = {
      mode: parseMacvlanMode(data.mode),
      nopromisc: data.nopromisc ?? false,
      sourceMacs: (data.macaddr_data ?? []).map((m) => m.toLowerCase()),
      ...(data.bcqueuelen !== undefined && { bcQueueLength: data.bcqueuelen }),
    };
  }
  if (kind === "vxlan") {
    const data = vxlanInfoData.parse(link.linkinfo?.info_data);
    observed.vxlan = { ...observeVxlan(data), beyond: vxlanBeyond(data) };
  }
  return observed;
}

// What `ip -j -d` says of a vxlan: IPv4 addresses under local/remote/group, IPv6 ones under local6...
const vxlanInfoData = z.looseObject({
  id: z.number().int(),
  local: z.string().optional(),
  local6: z.string().optional(),
  remote: z.string().optional(),
  remote6: z.string().optional(),
  group: z.string().optional(),
  group6: z.string().optional(),
  port: z.number().int(),
  link: z.string().nullable().optional(),
  learning: z.boolean().optional(),
});

/** The keys of a vxlan's `info_data` a Vxlan says (its fields). */
const vxlanCarried = new Set(["id", "local", "local6", "remote", "remote6", "group", "group6", "port", "link", "learning"]);
/**
 * The others as the kernel has them when not asked for (iproute2 6.1 prints these for a tunnel made with
 * none of its options; later ones print localbypass too). Any other key (external, gbp, gpe, proxy, rsc,
 * l2miss, l3miss, tos, flowlabel, maxaddress, remcsum, vnifilter...) is printed only when set.
 */
const vxlanDefaults: Record<string, unknown> = {
  port_range: { low: 0, high: 0 },
  ttl: 0,
  df: "unset",
  ageing: 300,
  udp_csum: true,
  udp_zero_csum6_tx: false,
  udp_zero_csum6_rx: false,
  localbypass: true,
};
/** `ip link add ... type vxlan` words for keys that `ip -j` spells otherwise. */
const vxlanWords: Record<string, string> = {
  port_range: "srcport",
  label: "flowlabel",
  limit: "maxaddress",
  udp_csum: "udpcsum",
  udp_zero_csum6_tx: "udp6zerocsumtx",
  udp_zero_csum6_rx: "udp6zerocsumrx",
  remcsum_tx: "remcsumtx",
  remcsum_rx: "remcsumrx",
};

function vxlanWorded(key: string, value: unknown): string {
  const word = vxlanWords[key] ?? key;
  if (value === true) return word;
  if (value === false) return `no${word}`;
  if (key === "port_range" && typeof value === "object" && value !== null) return `srcport ${Object.values(value).map(String).join(" ")}`;
  return `${word} ${typeof value === "string" || typeof value === "number" ? value : JSON.stringify(value)}`;
}

/**
 * What a vxlan has that a Vxlan cannot say (a collect-metadata tunnel as flannel or cilium make, a TTL,
 * an ageing...), in `ip` words: a Vxlan made from it would be another tunnel. A key not known here counts
 * unless it is false: a newer iproute2 may print more, and a tunnel rebuilt without it would differ.
 */
export function vxlanBeyond(data: Record<string, unknown>): string[] {
  const beyond = Object.entries(data)
    .filter(([key, value]) => !vxlanCarried.has(key) && !isDeepStrictEqual(value, key in vxlanDefaults ? vxlanDefaults[key] : false))
    .map(([key, value]) => vxlanWorded(key, value));
  // `ttl inherit` is printed as no ttl at all.
  if (!("ttl" in data)) beyond.push("ttl inherit");
  return beyond;
}

function observeVxlan(data: z.infer<typeof vxlanInfoData>): Omit<NonNullable<LinkObserved["vxlan"]>, "beyond"> {
  const address = (v4: string | undefined, v6: string | undefined) => {
    const given = v4 ?? v6;
    return given !== undefined ? canonicalIp(given) : undefined;
  };
  const [local, remote, group] = [address(data.local, data.local6), address(data.remote, data.remote6), address(data.group, data.group6)];
  return {
    vni: data.id,
    ...(local !== undefined && { local }),
    ...(remote !== undefined && { remote }),
    ...(group !== undefined && { group }),
    dstPort: data.port,
    ...(data.link != null && { underlay: data.link }),
    learning: data.learning ?? true,
  };
}

/** Equivalent to: `bridge -j [-n NETNS] fdb show dev NAME`: a vxlan's forwarding entries (`bridge`: `ip` has no fdb). */
export function vxlanFdbRead(netns: string | undefined, name: string): Command {
  return { argv: ["bridge", "-j", ...(netns !== undefined ? ["-n", netns] : []), "fdb", "show", "dev", name] };
}

const fdbEntries = z.array(
  z.looseObject({
    mac: z.string(),
    dst: z.string().optional(),
    flags: z.array(z.string()).optional(),
    viaIf: z.string().optional(),
    viaIfIndex: z.number().int().optional(),
  }),
);

/**
 * The vxlan `link` with its flood list from vxlanFdbRead's result: the all-zero entries of the device
 * itself (`self`) with a destination, but the one its `remote` or `group` makes (that one goes out `via`
 * the underlay, when it has one: taken first), and not the entries a bridge it is a port of keeps for it
 * or those learned from traffic (they have a MAC).
 */
export function withVxlanRemotes(link: LinkObserved, fdb: CommandResult): LinkObserved {
  if (!link.vxlan) return link;
  if (fdb.exitCode !== 0) throw new ReadError(classify(fdb.stderr), `${fdb.command.argv.join(" ")} (the forwarding entries of "${link.name}") failed: ${fdb.stderr.trim()}`);
  const entries = (parseJsonLines(fdb.stdout, fdbEntries, `forwarding entries of "${link.name}"`)[0] ?? [])
    .filter((e) => e.mac === floodMac && e.dst !== undefined && (e.flags ?? []).includes("self"))
    .map((e) => ({ dst: canonicalIp(e.dst ?? ""), via: e.viaIf !== undefined || e.viaIfIndex !== undefined }));
  const own = link.vxlan.remote ?? link.vxlan.group;
  const ownAt = [entries.findIndex((e) => e.dst === own && e.via), entries.findIndex((e) => e.dst === own)].find((i) => i >= 0);
  const remotes = entries.filter((_, i) => i !== ownAt).map((e) => e.dst);
  return { ...link, vxlan: { ...link.vxlan, remotes: [...new Set(remotes)] } };
}
