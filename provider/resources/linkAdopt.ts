// The adopt rules every link kind shares, written once: what of a link found on the host is taken over
// as this resource's, and what refuses it. The kind decides only whether the link is its own (its kind,
// its parent or peer).
import { Iproute2Error, type ErrorContext } from "../exec/errors";
import type { Runner } from "../exec/runner";
import { where } from "../labels";
import { routeKey, type LinkObserved, type Route } from "../model";
import { routeTakenOver } from "../state/linkArgs";
import { readLinkAlone } from "../state/oneLink";

/** A namespace in a message. */

/**
 * A link's state as taken over: its announce settings are whatever they are, taken as unset, so the
 * first write sets them.
 */
export const asTakenOver = <S extends { announce: boolean }>(state: S): S => ({ ...state, announce: false });

/**
 * The routes of `existing` that are taken over as the resource's: those of our protocol, and of the
 * routes of other protocols (added by hand, or by a daemon: not ours) only those the program asks for.
 * Only a route added by hand (`proto boot`) is taken over, and only one `ip route replace` would keep as
 * it is: any other wanted one refuses the adopt.
 */
export function adoptedRoutes(context: ErrorContext, wantedRoutes: Route[], existing: LinkObserved): Route[] {
  const wanted = new Set(wantedRoutes.map(routeKey));
  const routes = existing.routes.filter((r) => r.protocol === undefined || wanted.has(routeKey(r)));
  const untakable = routes.find((r) => !routeTakenOver(r.protocol, r.beyond));
  if (untakable) {
    const route = `${untakable.to}${untakable.via !== undefined ? ` via ${untakable.via}` : ""} metric ${untakable.metric ?? 0}`;
    throw new Iproute2Error(
      "exists",
      context,
      `route ${route} exists with proto ${untakable.protocol}${untakable.beyond !== undefined ? ` and ${untakable.beyond}` : ""}`,
      untakable.protocol !== "boot"
        ? `adopt takes over only routes added by hand (proto boot): leave this one to ${untakable.protocol}, out of routes`
        : "adopt takes over only a route that `ip route replace ... proto static` keeps as it is: leave it out of routes, or remove it",
    );
  }
  return routes;
}

/**
 * Refuses to take over `found` (in `netns`) when its master is not a bridge: `master` names a Bridge, and
 * an update would take a bond's slave, a VRF's member or an Open vSwitch port out of what it is in.
 */
export async function refuseNonBridgeMaster(runner: Runner, context: ErrorContext, netns: string | undefined, found: LinkObserved): Promise<void> {
  if (found.master === undefined) return;
  const master = await readLinkAlone(runner, netns, found.master);
  if (master?.kind === "bridge") return;
  throw new Iproute2Error(
    "exists",
    context,
    `link "${found.name}" is enslaved to "${found.master}" in ${where(netns)}, ${master ? `a link of kind ${master.kind ?? "none"}` : "which is gone"}, not a bridge`,
    "adopt takes over only a bridge's port (master names a Bridge): take it out of its bond, VRF or switch first, or leave it to what manages it",
  );
}
