// Checking on the host that a link's peer or parent is the declared one, for adopt and refresh: the
// place state/ reads, the decision plan/ makes.
import type { Runner } from "../exec/runner";
import type { LinkObserved } from "../model";
import { describePeer, isDeclaredPeer, needsIfindex } from "../plan/linkPeer";
import { readLinkPeer } from "../state/linkPeer";

export interface PeerCheck {
  /** Whether the peer or parent is the declared one. */
  declared: boolean;
  /** Where it is, in words, for an error. */
  actual: string;
}

/**
 * Whether `link` (in `from`) has the link `name` in `netns` as its peer or parent; `ifindexOf` reads
 * that one's ifindex, only when the comparison needs it (undefined: there is no such link).
 */
export async function checkPeer(
  runner: Runner,
  from: string | undefined,
  link: LinkObserved,
  declared: { netns: string | undefined; name: string; ifindexOf: () => Promise<number | undefined> },
): Promise<PeerCheck> {
  let peer = link.peer ?? (await readLinkPeer(runner, from, link));
  const target = { netns: declared.netns, name: declared.name, ifindex: needsIfindex(peer) ? await declared.ifindexOf() : undefined };
  if (!isDeclaredPeer(from, peer, target) && link.peer?.where === "other") {
    // A refresh's batch lists one name per id; a namespace bound under two names has both: ask again for every name.
    peer = await readLinkPeer(runner, from, link);
  }
  return { declared: isDeclaredPeer(from, peer, target), actual: describePeer(from, peer) };
}
