// Whether a link's peer or parent, as its namespace places it (state/linkPeer.ts), is the one a
// resource declares: that name in that namespace. Adopt refuses a link whose peer or parent is another,
// and refresh takes such a link for someone else's. Pure.
import { where } from "../labels";
import type { LinkPeer } from "../model";

/** The peer or parent a resource names: in a named namespace, or the connection's own (undefined). */
export interface DeclaredPeer {
  netns: string | undefined;
  name: string;
  /** Its ifindex there; undefined when there is no such link. */
  ifindex: number | undefined;
}


/** Whether comparing needs the declared link's ifindex: the peer is known by its number, not its name. */
export const needsIfindex = (peer: LinkPeer) => peer.where === "other" || (peer.where === "same" && peer.name === undefined);

/**
 * Whether `peer`, of a link in `from`, is `declared`. In another namespace it is known by the id
 * `from` gives that namespace, never by its ifindex alone: ifindexes repeat in every namespace. A
 * namespace with no name is taken for the connection's own (the only one without a name a program
 * can declare) when `from` has a name; from the connection's own, it is some other (a container's).
 */
export function isDeclaredPeer(from: string | undefined, peer: LinkPeer, declared: DeclaredPeer): boolean {
  switch (peer.where) {
    case "unknown":
      return false;
    case "same":
      if (declared.netns !== from) return false;
      return peer.name !== undefined ? peer.name === declared.name : peer.ifindex !== undefined && peer.ifindex === declared.ifindex;
    case "other": {
      const sameNamespace = declared.netns === undefined ? peer.names.length === 0 && from !== undefined : peer.names.includes(declared.netns);
      return sameNamespace && peer.ifindex !== undefined && peer.ifindex === declared.ifindex;
    }
  }
}

/** Where `peer` (of a link in `from`) is, in words: `"veth0" in netns "lab"`, `ifindex 7 in netns "c"`. */
export function describePeer(from: string | undefined, peer: LinkPeer): string {
  switch (peer.where) {
    case "unknown":
      return `a link that cannot be placed (${peer.why})`;
    case "same":
      return `${peer.name !== undefined ? `"${peer.name}"` : `ifindex ${peer.ifindex}`} in ${where(from)}`;
    case "other": {
      // One namespace can have several names (bound twice): all of them.
      const there = peer.names.length > 0 ? `netns ${peer.names.map((name) => `"${name}"`).join(" or ")}` : `a namespace with no name (id ${peer.nsid})`;
      return `ifindex ${peer.ifindex ?? "unknown"} in ${there}`;
    }
  }
}
