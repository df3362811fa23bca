// Reading a host the way a scan sees it: the named namespaces, and everything in one namespace at once
// (every link with its addresses, every route of the main table but the kernel's own, the ids it gives
// other namespaces, which is how a link names a peer or parent there, and the announce settings).
// Other routing tables are not read. Read only: nothing here changes the host.
import { z } from "zod";
import { classify } from "../exec/errors";
import { batchCommand } from "../exec/ipBatch";
import type { Command, CommandResult } from "../exec/runner";
import { kernelRouteProtocols, routeProtocol, type LinkObserved, type Route } from "../model";
import { linkWithAddresses, parseJsonLines, routeEntry, type LinkWithAddresses } from "./ipJson";
import { namespaceIdsLine, parseNamespaceIds, type NamespaceIds } from "./linkPeer";
import { beyondRoute, observeLink, toRoute } from "./observeLink";
import { ReadError } from "./readError";

/** Equivalent to: `ip -j netns list`. */
export const namespaceListCommand: Command = { argv: ["ip", "-j", "netns", "list"] };

const namespaceList = z.array(z.looseObject({ name: z.string() }));

/** The named namespaces (the files in /run/netns), sorted. `ip -j netns list` prints nothing when there are none. */
export function parseNamespaceList(result: CommandResult): string[] {
  if (result.exitCode !== 0) throw new ReadError(classify(result.stderr), `listing the named namespaces failed: ${result.stderr.trim()}`);
  if (result.stdout.trim() === "") return [];
  return (parseJsonLines(result.stdout, namespaceList, "the namespace list")[0] ?? []).map((n) => n.name).sort();
}

/**
 * The sysctls announce sets, for every link of a namespace at once: lines "DEV/arp_notify:V" and
 * "DEV/ndisc_notify:V" from `grep -H -e . --` over each link's file (`--`: a link named "-e" is a
 * file, not an option), run in the namespace with `ip netns exec` (/proc/sys/net is the namespace's
 * own there). A link's name holds no "/" or ":".
 */
const announceSettingsProgram =
  "cd /proc/sys/net/ipv4/conf && grep -H -e . -- */arp_notify; cd /proc/sys/net/ipv6/conf 2>/dev/null && grep -H -e . -- */ndisc_notify; exit 0";

/**
 * Equivalent to: `ip -j -d [-n NS] -batch -` with `addr show`, `route show` and `netns list-id`; `ip -j
 * -d -6 [-n NS] route show` (a batch line cannot switch the family); and the announce settings. One
 * round trip, three processes. Details (-d) make iproute2 print every route's protocol, `boot` too.
 */
export function namespaceReadCommands(netns: string | undefined): Command[] {
  const sh = ["sh", "-c", announceSettingsProgram];
  return [
    batchCommand(netns, [["addr", "show"], ["route", "show"], namespaceIdsLine], ["-j", "-d"]),
    { argv: ["ip", "-j", "-d", "-6", ...(netns !== undefined ? ["-n", netns] : []), "route", "show"] },
    { argv: netns !== undefined ? ["ip", "netns", "exec", netns, ...sh] : sh },
  ];
}

/** The links that announce, from the settings' lines: both 1 (arp_notify alone where IPv6 is off). */
function announcingLinks(stdout: string): Set<string> {
  const values = new Map<string, Map<string, string>>();
  for (const line of stdout.split("\n")) {
    const match = /^([^/]+)\/(arp_notify|ndisc_notify):(\d+)$/.exec(line.trim());
    if (!match) continue;
    const [, dev = "", setting = "", value = ""] = match;
    values.set(dev, (values.get(dev) ?? new Map<string, string>()).set(setting, value));
  }
  return new Set([...values].filter(([, v]) => v.get("arp_notify") === "1" && (v.get("ndisc_notify") ?? "1") === "1").map(([dev]) => dev));
}

/** A route on one link as the host has it: what a Route can say, or why it cannot. */
export interface ScannedRoute {
  dev: string;
  route: Route;
  /** iproute2's protocol name: "static" for ours, "boot" for one added by hand. */
  protocol: string;
  /** Why a `Route` cannot say this route (another table's type, a source address, a multipath...). */
  notExpressible?: string;
  /** The route as `ip route show` would print it, for messages. */
  text: string;
}

function describeRoute(entry: Record<string, unknown>, family: 4 | 6): string {
  const parts = [family === 6 ? "-6" : "", entry.type !== undefined && entry.type !== "unicast" ? String(entry.type) : "", String(entry.dst)];
  if (entry.gateway !== undefined) parts.push("via", String(entry.gateway));
  if (entry.dev !== undefined) parts.push("dev", String(entry.dev));
  parts.push("proto", String(entry.protocol ?? "boot"));
  if (entry.metric !== undefined) parts.push("metric", String(entry.metric));
  return parts.filter((p) => p !== "").join(" ");
}

function scannedRoutes(stdout: string, family: 4 | 6): ScannedRoute[] {
  const entries = parseJsonLines(stdout.trim() === "" ? "[]" : stdout, z.array(routeEntry), `IPv${family} routes`)[0] ?? [];
  return entries
    .filter((entry) => !kernelRouteProtocols.includes(entry.protocol ?? ""))
    .map((entry) => {
      const beyond = beyondRoute(entry, family);
      const notExpressible = beyond === undefined ? undefined : entry.dev === undefined ? "it is on no single link" : `it has ${beyond}, which a route of this package cannot carry`;
      return {
        dev: entry.dev ?? "",
        route: toRoute({ ...entry, protocol: routeProtocol }, family), // its protocol is kept beside it
        protocol: entry.protocol ?? "boot",
        ...(notExpressible !== undefined && { notExpressible }),
        text: describeRoute(entry, family),
      };
    });
}

/** One link of a scanned namespace: what the model observes (with the id of its peer's namespace), and more. */
export interface ScannedLink {
  observed: LinkObserved;
  /** Addresses with a lifetime (`dynamic`: from SLAAC or DHCP), left out of `observed`. */
  handedOut: string[];
}

/** Everything a scan read in one namespace. */
export interface NamespaceRead {
  /** undefined: the host's own namespace. */
  netns: string | undefined;
  links: ScannedLink[];
  routes: ScannedRoute[];
  /** The ids this namespace gives others, with the name of each (none for a namespace with no name). */
  nsids: NamespaceIds;
  /** The links that tell neighbours of their addresses (arp_notify and ndisc_notify 1), by name. */
  announcing: Set<string>;
}

/**
 * The namespace's read from the results of namespaceReadCommands, or undefined when the namespace does
 * not exist. Any other failure (no permission above all) is thrown with the command's words.
 */
export function parseNamespaceRead(netns: string | undefined, results: CommandResult[]): NamespaceRead | undefined {
  const failed = results.find((r) => r.exitCode !== 0);
  if (failed) {
    if (classify(failed.stderr) === "not-found" && /network namespace/i.test(failed.stderr)) return undefined;
    throw new ReadError(classify(failed.stderr), failed.stderr.trim() || `${failed.command.argv.join(" ")} exited with ${failed.exitCode}`);
  }
  const [batch, v6, settings] = results.map((r) => r.stdout);
  const [links, v4, ids] = (batch ?? "").split("\n").filter((line) => line.trim() !== "");
  const raw: LinkWithAddresses[] = parseJsonLines(links ?? "[]", z.array(linkWithAddresses), "links")[0] ?? [];
  const nsids = parseNamespaceIds(ids);
  return {
    netns,
    links: raw.map((link) => {
      // An address with a lifetime was handed out (SLAAC, DHCP) and will change: not one to write down.
      const handedOut = (link.addr_info ?? []).filter((a) => a.dynamic === true && a.local !== undefined);
      return {
        observed: observeLink(link, []), // which leaves those out
        handedOut: handedOut.map((a) => `${a.local}/${a.prefixlen}`),
      };
    }),
    routes: [...scannedRoutes(v4 ?? "", 4), ...scannedRoutes(v6 ?? "", 6)],
    nsids,
    announcing: announcingLinks(settings ?? ""),
  };
}

/** Whether a route is ours already (`proto static`). */
export const isOurs = (route: ScannedRoute) => route.protocol === routeProtocol;
