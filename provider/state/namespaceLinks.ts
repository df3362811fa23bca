// Refresh reads many links at once. Instead of two commands per link, the reads of one namespace of
// one host that wait together share one batch: `addr show dev X` for each of them and one listing of
// the namespace's static routes (IPv4 in the batch, IPv6 beside it). One batch runs at a time per
// namespace; reads that arrive meanwhile go into the next one, so a refresh of N links makes a handful
// of batches, not N, and each batch prints only the links asked for.
import { z } from "zod";
import { classify } from "../exec/errors";
import type { CommandResult, Runner } from "../exec/runner";
import { routeProtocol, type LinkObserved } from "../model";
import { linkWithAddresses, parseJsonLines, routeEntry } from "./ipJson";
import { namespaceIdsLine, parseNamespaceIds, peerOf } from "./linkPeer";
import { observeLink, toRoute } from "./observeLink";
import { readBackCommands, type ReadBack } from "./readBack";
import { ReadError } from "./readError";

/**
 * Equivalent to: `ip -j -d [-n NS] -force -batch -` with `addr show dev X` per name, `route show proto
 * static` and `netns list-id` (where each link's peer or parent is), then `ip -j -6 [-n NS] route show
 * proto static`. -force: a missing link must not stop the others' reads (it prints nothing, and is
 * then absent from the result).
 */
export function namespaceLinksReadBack(netns: string | undefined, names: string[]): ReadBack {
  return {
    netns,
    lines: [...names.map((name) => ["addr", "show", "dev", name]), ["route", "show", "proto", routeProtocol], namespaceIdsLine],
    extra: [{ argv: ["ip", "-j", "-6", ...(netns !== undefined ? ["-n", netns] : []), "route", "show", "proto", routeProtocol] }],
    force: true,
  };
}

const linkDocument = z.array(linkWithAddresses);
const routeDocument = z.array(routeEntry);

/**
 * The links found, by name (a missing one is absent), or undefined when the namespace is gone, from the
 * results of namespaceLinksReadBack's commands: the IPv6 route listing, then the batch.
 */
export function namespaceLinksFromResults(results: CommandResult[], netns: string | undefined): Map<string, LinkObserved> | undefined {
  const [v6, batch] = results;
  if (v6 && v6.exitCode !== 0) {
    if (classify(v6.stderr) === "not-found") return undefined;
    throw new ReadError(classify(v6.stderr), `reading IPv6 routes in ${netns ?? "the host's namespace"} failed: ${v6.stderr.trim()}`);
  }
  if (!batch) throw new ReadError("failed", "reading links returned nothing");
  const documents = batch.stdout.split("\n").filter((line) => line.trim() !== "");
  if (documents.length === 0 && batch.exitCode !== 0) {
    if (classify(batch.stderr) === "not-found") return undefined;
    throw new ReadError(classify(batch.stderr), `reading links in ${netns ?? "the host's namespace"} failed: ${batch.stderr.trim()}`);
  }
  // The ids are the last document, the route listing the one before; every other one is one link's `addr show`.
  const ids = parseNamespaceIds(documents.at(-1));
  const v4 = parseJsonLines(documents.at(-2) ?? "[]", routeDocument, "IPv4 routes")[0] ?? [];
  const ipv6 = parseJsonLines(v6?.stdout ?? "[]", routeDocument, "IPv6 routes")[0] ?? [];
  const routes = [...v4.map((r) => ({ dev: r.dev, route: toRoute(r, 4) })), ...ipv6.map((r) => ({ dev: r.dev, route: toRoute(r, 6) }))];
  const links = documents.slice(0, -2).flatMap((doc) => parseJsonLines(doc, linkDocument, "links")[0] ?? []);
  return new Map(
    links.map((link) => {
      const observed = observeLink(link, routes.filter((r) => r.dev === link.ifname).map((r) => r.route));
      return [link.ifname, { ...observed, peer: peerOf(observed, ids) }];
    }),
  );
}

/** Reads of one namespace of one host, by name, that arrive together: one batch. */
async function readLinks(reads: { runner: Runner; netns: string | undefined; name: string }[]): Promise<(LinkObserved | undefined)[]> {
  const runner = reads[0]?.runner;
  if (!runner) return [];
  const netns = reads[0]?.netns;
  const names = [...new Set(reads.map((r) => r.name))];
  const links = namespaceLinksFromResults(await runner.run(readBackCommands(namespaceLinksReadBack(netns, names))), netns);
  return reads.map((r) => links?.get(r.name));
}

/**
 * Link `name` in `netns` on `runner`'s host, or undefined when it (or the namespace) is gone, read in a
 * batch with the other reads of that namespace waiting at the same time. Never from an older batch.
 */
export function readLinkBatched(runner: Runner, netns: string | undefined, name: string): Promise<LinkObserved | undefined> {
  return runner.gatherings.join(readLinks, netns ?? "", { runner, netns, name });
}
