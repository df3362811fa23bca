// A link found on a host as its kind's own arguments say it, derived once from what `ip -j -d` showed
// (observeLink.ts): adopt, refresh and every read back take it into a state (the kind's outputs:
// state/macvlanLink.ts, resources/bridge.ts, resources/vxlan.ts), and scan writes it into a program
// (scan/kinds/). The fields every single link has (MAC, MTU, addresses, up) are read straight off the
// observed link; a route's part is the rule below, which adopt and scan share.
import { routeProtocol, type BridgeDesired, type LinkObserved, type MacvlanLinkDesired, type VxlanDesired } from "../model";

/** A macvlan-kind link's own arguments as the kernel has them; bcQueueLength: none where the kernel reports none. */
export type MacvlanArgsObserved = Pick<MacvlanLinkDesired, "mode" | "nopromisc" | "sourceMacs" | "bcQueueLength" | "master">;

/** A bridge's own arguments as the kernel has them. */
export type BridgeArgsObserved = Pick<BridgeDesired, "stp" | "forwardDelay" | "vlanFiltering">;

/** A vxlan's own arguments as the kernel has them; remotes: none until its flood list was read (`bridge fdb`). */
export type VxlanArgsObserved = Pick<VxlanDesired, "vni" | "local" | "remote" | "group" | "dstPort" | "underlay" | "learning" | "master"> & { remotes: string[] | undefined };

/** A macvlan or macvtap's own arguments, `master` with them (a macvtap has none: the kernel refuses it as a port), or undefined when `o` is of no such kind. */
export function macvlanArgsObserved(o: LinkObserved): MacvlanArgsObserved | undefined {
  const m = o.macvlan;
  if (!m) return undefined;
  return { mode: m.mode, nopromisc: m.nopromisc, sourceMacs: m.sourceMacs, bcQueueLength: m.bcQueueLength, master: o.master };
}

/** A bridge's own arguments, or undefined when `o` is not a bridge. */
export function bridgeArgsObserved(o: LinkObserved): BridgeArgsObserved | undefined {
  const b = o.bridge;
  return b && { stp: b.stp, forwardDelay: b.forwardDelay, vlanFiltering: b.vlanFiltering };
}

/**
 * A vxlan's own arguments, in the order a Vxlan lists them, or undefined when `o` is not a vxlan. What it
 * has beyond them (`beyond`) is no argument: adopt refuses such a tunnel and scan leaves it out.
 */
export function vxlanArgsObserved(o: LinkObserved): VxlanArgsObserved | undefined {
  const v = o.vxlan;
  if (!v) return undefined;
  return {
    vni: v.vni,
    local: v.local,
    remote: v.remote,
    group: v.group,
    dstPort: v.dstPort,
    underlay: v.underlay,
    learning: v.learning,
    remotes: v.remotes,
    master: o.master,
  };
}

/**
 * Whether adopt takes over a route of `protocol` (iproute2's name; undefined, as an observed Route of ours
 * has it, or "static": ours) that has `beyond` besides what a Route says: ours, and one added by hand
 * (`proto boot`) that `ip route replace ... proto static` keeps as it is. A daemon's (dhcp, bird...) is
 * that daemon's, which keeps it.
 */
export function routeTakenOver(protocol: string | undefined, beyond: string | undefined): boolean {
  return protocol === undefined || protocol === routeProtocol || (protocol === "boot" && beyond === undefined);
}
