// Reading one link back: its attributes, addresses and the routes we manage on it, from iproute2's JSON.
import { z } from "zod";
import { canonicalIp } from "../schema/fields";
import { parseMacvlanMode, type LinkObserved, type Route } from "../model";
import { classify } from "../exec/errors";
import type { Command, CommandResult, Runner } from "../exec/runner";
import { readCommands, type ReadBack } from "../apply";
import { linkWithAddresses, macvlanInfoData, parseJsonLines, routeEntry, type LinkWithAddresses } from "./ipJson";

/** Routes we add carry this protocol, so ours are told apart from the kernel's and other tools'. */
export const routeProtocol = "static";

/**
 * Reading link `name` in `netns`: lines for an `ip -j -d` batch in its namespace (the link with its
 * addresses, and its IPv4 routes; `addr show` must come first: a `link show` earlier in a batch turns
 * later `addr show`s into link listings), and a command for its IPv6 routes, since a batch line cannot
 * switch the address family. A plan's last batch in the same namespace can carry the lines (apply.ts).
 */
export function linkRead(
  netns: string | undefined,
  name: string,
  options: { routes?: boolean; ipv6Routes?: boolean } = {},
): ReadBack {
  const { routes = true, ipv6Routes = routes } = options;
  return {
    netns,
    lines: [["addr", "show", "dev", name], ...(routes ? [["route", "show", "dev", name, "proto", routeProtocol]] : [])],
    extra: ipv6Routes
      ? [{ argv: ["ip", "-j", "-6", ...(netns !== undefined ? ["-n", netns] : []), "route", "show", "dev", name, "proto", routeProtocol] }]
      : [],
  };
}

/** The commands that read link `name` in `netns`, with all its routes. */
export function linkReadCommands(netns: string | undefined, name: string): Command[] {
  return readCommands(linkRead(netns, name));
}

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
      // IPv6 link-local addresses are the kernel's own, made for every link: not ours to manage.
      .filter((a) => a.local !== undefined && !(a.family === "inet6" && a.scope === "link"))
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

/**
 * The link from the results of a linkRead (its batch's, then its IPv6 routes' if read), or undefined
 * when it (or its namespace) is gone. Any other failure is thrown with the command's own words.
 */
export function parseLinkRead(results: CommandResult[], name: string): LinkObserved | undefined {
  const [linkAndV4, v6] = results;
  const failed = results.find((r) => r.exitCode !== 0);
  if (failed) {
    if (classify(failed.stderr) === "not-found") return undefined;
    throw new Error(`reading link "${name}" failed: ${failed.stderr.trim()}`);
  }
  if (!linkAndV4) throw new Error(`reading link "${name}" returned no output`);
  const [linkDoc, v4Doc] = linkAndV4.stdout.split("\n").filter((l) => l.trim() !== "");
  const [link] = parseJsonLines(linkDoc ?? "", z.array(linkWithAddresses), `link "${name}"`)[0] ?? [];
  if (!link) return undefined;
  const v4Routes = parseJsonLines(v4Doc ?? "[]", z.array(routeEntry), `routes of "${name}"`)[0] ?? [];
  const v6Routes = parseJsonLines(v6?.stdout ?? "[]", z.array(routeEntry), `IPv6 routes of "${name}"`)[0] ?? [];
  return observeLink(link, [...v4Routes.map((r) => toRoute(r, 4)), ...v6Routes.map((r) => toRoute(r, 6))]);
}

export async function readLink(runner: Runner, netns: string | undefined, name: string): Promise<LinkObserved | undefined> {
  return parseLinkRead(await runner.run(linkReadCommands(netns, name)), name);
}

