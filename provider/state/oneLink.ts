// Reading one link on its own: its attributes, addresses and the routes we manage on it, in one round
// trip (what a plan reads back, and what update and adopt look at first). Refresh reads many links of a
// namespace together instead: namespaceLinks.ts.
import { z } from "zod";
import { kernelRouteProtocols, routeProtocol, type LinkObserved } from "../model";
import { classify } from "../exec/errors";
import type { Command, CommandResult, Runner } from "../exec/runner";
import { linkWithAddresses, parseJsonLines, routeEntry } from "./ipJson";
import { observeLink, toRoute } from "./observeLink";
import { readBackCommands, type ReadBack } from "./readBack";
import { ReadError } from "./readError";

/**
 * Reading link `name` in `netns`: lines for an `ip -j -d` batch in its namespace (the link with its
 * addresses, and its IPv4 routes; `addr show` must come first: a `link show` earlier in a batch turns
 * later `addr show`s into link listings), and a command for its IPv6 routes, since a batch line cannot
 * switch the address family. A plan's last batch in the same namespace can carry the lines (apply.ts).
 */
export function linkReadBack(
  netns: string | undefined,
  name: string,
  options: { routes?: boolean; ipv6Routes?: boolean; anyProtocol?: boolean } = {},
): ReadBack {
  const { routes = true, ipv6Routes = routes, anyProtocol = false } = options;
  const routeShow = ["route", "show", "dev", name, ...(anyProtocol ? [] : ["proto", routeProtocol])];
  return {
    netns,
    lines: [["addr", "show", "dev", name], ...(routes ? [routeShow] : [])],
    // Every protocol: with details (-d), so that `boot` is printed (the batch has -d already).
    extra: ipv6Routes ? [{ argv: ["ip", "-j", ...(anyProtocol ? ["-d"] : []), "-6", ...(netns !== undefined ? ["-n", netns] : []), ...routeShow] }] : [],
  };
}

/**
 * The commands that read link `name` in `netns`, with all its routes: ours, or with `anyProtocol` every
 * route but the kernel's own (what adopt looks at: routes added by hand are taken over).
 */
export function linkReadCommands(netns: string | undefined, name: string, anyProtocol = false): Command[] {
  return readBackCommands(linkReadBack(netns, name, { anyProtocol }));
}

/**
 * The link from the results of a linkReadBack (its batch's, then its IPv6 routes' if read), or undefined
 * when it (or its namespace) is gone. Any other failure is thrown with the command's own words.
 */
export function linkFromResults(results: CommandResult[], name: string): LinkObserved | undefined {
  const [linkAndV4, v6] = results;
  const failed = results.find((r) => r.exitCode !== 0);
  if (failed) {
    if (classify(failed.stderr) === "not-found") return undefined;
    throw new ReadError(classify(failed.stderr), `reading link "${name}" failed: ${failed.stderr.trim()}`);
  }
  if (!linkAndV4) throw new ReadError("failed", `reading link "${name}" returned no output`);
  const [linkDoc, v4Doc] = linkAndV4.stdout.split("\n").filter((l) => l.trim() !== "");
  const [link] = parseJsonLines(linkDoc ?? "", z.array(linkWithAddresses), `link "${name}"`)[0] ?? [];
  if (!link) return undefined;
  const v4Routes = parseJsonLines(v4Doc ?? "[]", z.array(routeEntry), `routes of "${name}"`)[0] ?? [];
  const v6Routes = parseJsonLines(v6?.stdout ?? "[]", z.array(routeEntry), `IPv6 routes of "${name}"`)[0] ?? [];
  // `route show dev X` leaves out the dev it was asked for: put back, so a route is seen on one link.
  const onLink = (r: (typeof v4Routes)[number]) => ({ ...r, dev: r.dev ?? name });
  const routes = [...v4Routes.map((r) => toRoute(onLink(r), 4)), ...v6Routes.map((r) => toRoute(onLink(r), 6))];
  return observeLink(link, routes.filter((r) => !kernelRouteProtocols.includes(r.protocol ?? routeProtocol)));
}

/**
 * Link `name` in `netns`, read on its own (one round trip), or undefined when it or its namespace is
 * gone; with `anyProtocol`, with the routes of other protocols too (each carries its `protocol`).
 */
export async function readLinkAlone(runner: Runner, netns: string | undefined, name: string, anyProtocol = false): Promise<LinkObserved | undefined> {
  return linkFromResults(await runner.run(linkReadCommands(netns, name, anyProtocol)), name);
}

