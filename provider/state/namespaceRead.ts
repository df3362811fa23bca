// Refresh reads many links at once: instead of two commands per link, the reads that arrive together
// for one namespace of one host share one listing of all its links and static routes (two commands).
import { z } from "zod";
import { readCommands } from "../apply";
import { classify } from "../exec/errors";
import type { CommandResult, Runner } from "../exec/runner";
import type { LinkObserved } from "../model";
import { linkWithAddresses, parseJsonLines, routeEntry } from "./ipJson";
import { observeLink, routeProtocol, toRoute } from "./readLink";

/** Equivalent to: `ip -j -d [-n NS] addr show; ip -j [-n NS] route show proto static`, and `ip -j -6 ...`. */
export function namespaceRead(netns: string | undefined) {
  return {
    netns,
    lines: [["addr", "show"], ["route", "show", "proto", routeProtocol]],
    extra: [{ argv: ["ip", "-j", "-6", ...(netns !== undefined ? ["-n", netns] : []), "route", "show", "proto", routeProtocol] }],
  };
}

/** Every link of the namespace by name, or undefined when the namespace is gone. */
export function parseNamespaceRead(results: CommandResult[], netns: string | undefined): Map<string, LinkObserved> | undefined {
  const failed = results.find((r) => r.exitCode !== 0);
  if (failed) {
    if (classify(failed.stderr) === "not-found") return undefined;
    throw new Error(`reading namespace ${netns ?? "of the host"} failed: ${failed.stderr.trim()}`);
  }
  const [batch, v6] = results;
  const [linksDoc, v4Doc] = (batch?.stdout ?? "").split("\n").filter((l) => l.trim() !== "");
  const links = parseJsonLines(linksDoc ?? "[]", z.array(linkWithAddresses), "links")[0] ?? [];
  const v4 = parseJsonLines(v4Doc ?? "[]", z.array(routeEntry), "IPv4 routes")[0] ?? [];
  const ipv6 = parseJsonLines(v6?.stdout ?? "[]", z.array(routeEntry), "IPv6 routes")[0] ?? [];
  const routes = [...v4.map((r) => ({ dev: r.dev, route: toRoute(r, 4) })), ...ipv6.map((r) => ({ dev: r.dev, route: toRoute(r, 6) }))];
  return new Map(
    links.map((link) => [link.ifname, observeLink(link, routes.filter((r) => r.dev === link.ifname).map((r) => r.route))]),
  );
}

/** How long a read waits for others to the same namespace to join it. */
const gatherMs = 5;
const inFlight = new Map<string, Promise<Map<string, LinkObserved> | undefined>>();

/**
 * Link `name` in `netns` on `runner`'s host, from a listing shared by every read of that namespace
 * that starts within a few milliseconds of this one (as a refresh's do). Never reuses an older listing.
 */
export function readLinkShared(runner: Runner, netns: string | undefined, name: string): Promise<LinkObserved | undefined> {
  const key = `${runner.host}\u0000${netns ?? ""}`;
  let listing = inFlight.get(key);
  if (!listing) {
    listing = (async () => {
      await new Promise((resolve) => setTimeout(resolve, gatherMs));
      inFlight.delete(key); // reads from now on get a listing made after them
      return parseNamespaceRead(await runner.run(readCommands(namespaceRead(netns))), netns);
    })();
    inFlight.set(key, listing);
  }
  return listing.then((links) => links?.get(name));
}
