// Steps shared by every link kind: addresses, routes, MTU, up/down. Each documents its command, e.g.
// addressSteps -> "ip -n ns1 addr add 10.0.0.1/24 dev mac1".
import { isIPv6Address, routeFamily, routeKey, routeProtocol, type Route } from "../model";
import { ownerMark } from "../ownerMark";
import type { IpStep } from "./steps";

export interface Changes {
  /** Steps that must run while the link still has its old name and namespace. */
  removals: IpStep[];
  additions: IpStep[];
}

function sameItems<T>(key: (item: T) => string, current: T[], desired: T[]) {
  const currentKeys = new Set(current.map(key));
  const desiredKeys = new Set(desired.map(key));
  return {
    removed: current.filter((item) => !desiredKeys.has(key(item))),
    added: desired.filter((item) => !currentKeys.has(key(item))),
  };
}

/**
 * `nodad`: an IPv6 address is added without duplicate address detection (usable at once). `replace`
 * puts an address on whether or not the link still has it: the kernel keeps a down link's IPv6
 * addresses when net.ipv6.conf.DEV.keep_addr_on_down is 1, and drops them otherwise.
 */
export function addressStep(netns: string | undefined, dev: string, verb: "add" | "replace" | "del", cidr: string, nodad = false): IpStep {
  return { netns, args: ["addr", verb, cidr, "dev", dev, ...(verb !== "del" && nodad && isIPv6Address(cidr) ? ["nodad"] : [])] };
}

/**
 * Equivalent to: `ip addr del` of addresses no longer wanted, `ip addr add [nodad]` of new ones. `nodad`
 * is how the link's addresses were added (for undoing a removal) and how new ones are. `perhapsKept`
 * are added ones the link may still have (IPv6 addresses across a down, see addressStep): put back with
 * `ip addr replace [nodad]`, and undone by a delete like any added address.
 */
export function addressChanges(
  netns: string | undefined,
  dev: string,
  current: string[],
  desired: string[],
  nodad: { current: boolean; desired: boolean } = { current: false, desired: false },
  perhapsKept: string[] = [],
): Changes & { added: string[] } {
  const { removed, added } = sameItems((a) => a, current, desired);
  const verb = (a: string) => (perhapsKept.includes(a) ? "replace" : "add");
  return {
    removals: removed.map((a) => ({ ...addressStep(netns, dev, "del", a), undo: [addressStep(netns, dev, "add", a, nodad.current)] })),
    additions: added.map((a) => ({ ...addressStep(netns, dev, verb(a), a, nodad.desired), undo: [addressStep(netns, dev, "del", a)] })),
    added,
  };
}

export function routeStep(netns: string | undefined, dev: string, verb: "add" | "del" | "replace", route: Route, protocol = routeProtocol): IpStep {
  // A bare "default" with no gateway would be taken as IPv4; "::/0" says IPv6.
  const to = route.to === "default" && route.via === undefined && routeFamily(route) === 6 ? "::/0" : route.to;
  return {
    netns,
    args: [
      "route", verb, to,
      ...(route.via !== undefined ? ["via", route.via] : []),
      "dev", dev, "proto", protocol, "metric", String(route.metric ?? 0),
    ],
  };
}

/**
 * Equivalent to: `ip route del` / `ip route add ... proto static` for the routes that differ, and `ip
 * route replace ... proto static` for a wanted route found with another protocol (an adopted link's route
 * added by hand): the route stays in place, marked as ours, so refresh sees it; undone by its old protocol.
 */
export function routeChanges(netns: string | undefined, dev: string, current: Route[], desired: Route[]): Changes {
  const { removed, added } = sameItems(routeKey, current, desired);
  const wanted = new Set(desired.map(routeKey));
  const takenOver = current.filter((r) => r.protocol !== undefined && wanted.has(routeKey(r)));
  return {
    removals: removed.map((r) => ({ ...routeStep(netns, dev, "del", r, r.protocol), undo: [routeStep(netns, dev, "add", r, r.protocol)] })),
    additions: [
      ...takenOver.map((r) => ({ ...routeStep(netns, dev, "replace", r), undo: [routeStep(netns, dev, "replace", r, r.protocol)] })),
      ...added.map((r) => ({ ...routeStep(netns, dev, "add", r), undo: [routeStep(netns, dev, "del", r)] })),
    ],
  };
}

export function upStep(netns: string | undefined, dev: string, up: boolean): IpStep {
  return { netns, args: ["link", "set", "dev", dev, up ? "up" : "down"] };
}

/** Equivalent to: `ip link set dev X up|down`, undone by the opposite. */
export function upChange(netns: string | undefined, dev: string, current: boolean, desired: boolean): IpStep[] {
  return current === desired ? [] : [{ ...upStep(netns, dev, desired), undo: [upStep(netns, dev, current)] }];
}

/** Equivalent to: `ip link set dev X ATTRIBUTE VALUE` (mtu, address, txqueuelen), undone by the old value. */
export function attributeChange(
  netns: string | undefined,
  dev: string,
  attribute: "mtu" | "address" | "txqueuelen",
  current: string | number,
  desired: string | number | undefined,
): IpStep[] {
  if (desired === undefined || String(desired) === String(current)) return [];
  const set = (value: string | number): IpStep => ({ netns, args: ["link", "set", "dev", dev, attribute, String(value)] });
  return [{ ...set(desired), undo: [set(current)] }];
}

/**
 * Equivalent to: `ip [-n NETNS] link set dev DEV alias MARK`, the owner's mark (ownerMark.ts). The
 * kernel ignores an alias given to `ip link add`, so a create plan puts this right after the add: in its
 * batch where both run in one namespace (a live create's is a claim: plan/liveCreate.ts).
 */
export function markStep(netns: string | undefined, dev: string, owner: string): IpStep {
  return { netns, args: ["link", "set", "dev", dev, "alias", ownerMark(owner)] };
}

/** The steps that mark a new object, when it has an owner (states from before marks have none). */
export const markSteps = (netns: string | undefined, dev: string, owner: string | undefined): IpStep[] => (owner !== undefined ? [markStep(netns, dev, owner)] : []);

/**
 * Equivalent to: `ip link set dev DEV alias MARK` when the owner changes (an upgrade from a state
 * without one: the first mark), undone by the old mark, or by `alias ""` (none) where there was none.
 */
export function markChange(netns: string | undefined, dev: string, current: string | undefined, desired: string | undefined): IpStep[] {
  if (current === desired) return [];
  const set = (owner: string | undefined): IpStep => (owner !== undefined ? markStep(netns, dev, owner) : { netns, args: ["link", "set", "dev", dev, "alias", ""] });
  return [{ ...set(desired), undo: [set(current)] }];
}

/**
 * Equivalent to: `ip [-n NETNS] link set dev DEV master BRIDGE`, or `nomaster` for none. Its own step,
 * run in the link's own namespace once the link is there: `ip` looks the bridge up by name where it
 * runs, so a `master` beside `netns X` in one `ip link add` would name whatever has that ifindex in X,
 * and a `master` inside `veth peer ...` is ignored by the kernel.
 */
export function masterStep(netns: string | undefined, dev: string, master: string | undefined): IpStep {
  return { netns, args: ["link", "set", "dev", dev, ...(master !== undefined ? ["master", master] : ["nomaster"])] };
}

/** Whether a step is a link's `master` or `nomaster` step (its failures have hints of their own). */
export const isMasterStep = (step: { args: string[] } | undefined): boolean =>
  step !== undefined && step.args[0] === "link" && step.args[1] === "set" && (step.args[4] === "master" || step.args[4] === "nomaster");

/**
 * Equivalent to: `ip link set dev DEV master BRIDGE` (straight from one bridge to another too) or
 * `nomaster` when the bridge a link is a port of changes, undone by the old one.
 */
export function masterChange(netns: string | undefined, dev: string, current: string | undefined, desired: string | undefined): IpStep[] {
  return current === desired ? [] : [{ ...masterStep(netns, dev, desired), undo: [masterStep(netns, dev, current)] }];
}
