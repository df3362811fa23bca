// Where a link's peer or parent is, by identity: ifindexes repeat in every namespace, so a link in
// another namespace is known by the id the link's own namespace gives that namespace (`link_netnsid`),
// mapped to names by `ip netns list-id` run there. Adopt, refresh and the scan all place peers this way.
import { z } from "zod";
import { classify } from "../exec/errors";
import { batchCommand } from "../exec/ipBatch";
import type { Runner } from "../exec/runner";
import type { LinkObserved, LinkPeer } from "../model";
import { parseJsonLines } from "./ipJson";
import { ReadError } from "./readError";

/** The ids a namespace gives others, each with the names /run/netns has for it (none: a namespace with no name). */
export type NamespaceIds = Map<number, string[]>;

/**
 * A batch line listing the ids (`ip -j netns list-id`), with the one name iproute2 finds for each. It
 * must come after the links are read: reading a link is what makes the kernel give its peer's
 * namespace an id, when nothing had yet (the end made in the other namespace of a new pair).
 */
export const namespaceIdsLine = ["netns", "list-id"];

const idList = z.array(z.looseObject({ nsid: z.number().int(), name: z.string().optional() }));
const nameList = z.array(z.looseObject({ name: z.string(), id: z.number().int().optional() }));

/**
 * The ids from `ip -j netns list-id`'s document; with `ip -j netns list`'s (each name with its id, or
 * nothing when there are no names), every name of an id, as one namespace can have several.
 */
export function parseNamespaceIds(listId: string | undefined, list?: string): NamespaceIds {
  const ids: NamespaceIds = new Map();
  for (const entry of parseJsonLines(listId?.trim() ? listId : "[]", idList, "namespace ids")[0] ?? []) ids.set(entry.nsid, entry.name !== undefined ? [entry.name] : []);
  for (const entry of parseJsonLines(list?.trim() ? list : "[]", nameList, "named namespaces")[0] ?? []) {
    const names = entry.id !== undefined ? ids.get(entry.id) : undefined;
    if (names && !names.includes(entry.name)) names.push(entry.name);
  }
  return ids;
}

/** Where `link`'s peer or parent is, given the ids of the link's namespace (undefined: not read). */
export function peerOf(link: LinkObserved, ids: NamespaceIds | undefined): LinkPeer {
  const { parentNetnsid: nsid, parentLink: name, parentIndex: ifindex } = link;
  if (nsid === undefined) {
    // In the same namespace, iproute2 names it instead of giving its ifindex.
    if (name === undefined && ifindex === undefined) return { where: "unknown", why: "it names no peer or parent" };
    return { where: "same", ...(name !== undefined && { name }), ...(ifindex !== undefined && { ifindex }) };
  }
  if (nsid < 0) return { where: "unknown", why: "the kernel gives its namespace no id" };
  const names = ids?.get(nsid);
  if (!names) return { where: "unknown", why: `its namespace id ${nsid} is not listed` };
  return { where: "other", nsid, names, ...(ifindex !== undefined && { ifindex }) };
}

/**
 * Equivalent to: `ip -j [-n NS] -batch -` with `netns list-id` and `netns list`: the ids namespace
 * `netns` gives others, with every name of each.
 */
export function namespaceIdsCommand(netns: string | undefined) {
  return batchCommand(netns, [namespaceIdsLine, ["netns", "list"]], ["-j"]);
}

/**
 * Where `link` (in `netns`, read already: see namespaceIdsLine) has its peer or parent, reading the
 * namespace's ids when it is in another (one command), with every name of each.
 */
export async function readLinkPeer(runner: Runner, netns: string | undefined, link: LinkObserved): Promise<LinkPeer> {
  if (link.parentNetnsid === undefined || link.parentNetnsid < 0) return peerOf(link, undefined);
  const [result] = await runner.run([namespaceIdsCommand(netns)]);
  if (!result) throw new ReadError("failed", `listing the namespace ids of ${netns !== undefined ? `netns "${netns}"` : "the host's namespace"} returned nothing`);
  if (result.exitCode !== 0) {
    if (classify(result.stderr) === "not-found") return { where: "unknown", why: "its own namespace is gone" };
    throw new ReadError(classify(result.stderr), `listing the namespace ids of ${netns !== undefined ? `netns "${netns}"` : "the host's namespace"} failed: ${result.stderr.trim()}`);
  }
  const [listId, list] = result.stdout.split("\n").filter((line) => line.trim() !== "");
  return peerOf(link, parseNamespaceIds(listId, list));
}
