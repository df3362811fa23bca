// The plan every link kind shares, written once: create after the kind's own `ip link add`, delete, and
// a single link's update (move, rename, down and restore, announce settings, MTU, queue length,
// addresses, MAC, up, routes, the owner's mark, the DAD wait) around the kind's own `type` changes. A
// pair composes its update from the same per-end pieces (announce, announce again, the DAD wait).
import { isIPv6Address, type LinkDesired, type PortDesired, type Route, type SingleLinkDesired, type SingleLinkState } from "../model";
import { announceAgainStep, announces, announceStep, needsAnnouncingAnew } from "./announce";
import { ipv6ReadySteps, runningDad } from "./ipv6Ready";
import { addressChanges, addressStep, attributeChange, markChange, markSteps, masterChange, masterStep, routeChanges, routeStep, upChange, upStep } from "./linkSteps";
import type { IpStep, Step } from "./steps";

/** `netns` argument of `ip link`: a name, or PID 1's namespace for the connection's own. */
export function netnsTarget(netns: string | undefined): string {
  return netns ?? "1";
}

/** One link a create makes: a single link, or each end of a pair. */
export interface LinkEnd {
  netns?: string;
  name: string;
  addresses: string[];
  routes: Route[];
  /** The bridge it is made a port of, once it is in its namespace. */
  master?: string;
}

/**
 * Equivalent to: `ip [-n NETNS] link add name NAME [address MAC] [mtu N] [txqueuelen N] TYPEARGS...`: the
 * add of a single link made straight in its namespace (a bridge, a vxlan; `typeArgs` from `type KIND`
 * on), undone by deleting it, which takes everything made on it along.
 */
export function singleLinkAdd(d: Pick<SingleLinkDesired, "netns" | "name" | "macAddress" | "mtu" | "txQueueLength">, typeArgs: string[]): IpStep {
  return {
    netns: d.netns,
    args: [
      // "name" always: a bare NAME such as "up" or "mtu" would be read as a keyword.
      "link", "add", "name", d.name,
      ...(d.macAddress !== undefined ? ["address", d.macAddress] : []),
      ...(d.mtu !== undefined ? ["mtu", String(d.mtu)] : []),
      ...(d.txQueueLength !== undefined ? ["txqueuelen", String(d.txQueueLength)] : []),
      ...typeArgs,
    ],
    undo: [{ netns: d.netns, args: ["link", "del", "dev", d.name] }],
  };
}

/**
 * Equivalent to:
 *   the kind's `ip link add ...` (`add`; undoing it removes everything: it is made straight into its namespace)
 *   ip [-n NETNS] link set dev NAME alias MARK   (its owner's mark), on each end (a live create also
 *      gives the add its owner's group and turns this into a claim: plan/liveCreate.ts)
 *   [ip [-n NETNS] link set dev NAME master BRIDGE]   (a port: its own step, see masterStep)
 *   [ip netns exec NETNS sysctl net.ipv4.conf.NAME.arp_notify=1 net.ipv6.conf.NAME.ndisc_notify=1], where it has addresses
 *   ip [-n NETNS] addr add CIDR dev NAME [nodad]; ip link set dev NAME up; ip route add ... proto static
 *   [wait until its IPv6 addresses have left tentative]
 * Each phase for every end before the next (a pair's first end, then its peer).
 */
export function planLinkCreate(d: LinkDesired, add: IpStep, ends: LinkEnd[]): Step[] {
  return [
    add,
    ...ends.flatMap((end) => markSteps(end.netns, end.name, d.owner)),
    ...ends.flatMap((end) => (end.master !== undefined ? [masterStep(end.netns, end.name, end.master)] : [])),
    ...ends.flatMap((end) => (announces({ announce: d.announce, addresses: end.addresses }) ? [announceStep(end.netns, end.name, true)] : [])),
    ...ends.flatMap((end) => end.addresses.map((a) => addressStep(end.netns, end.name, "add", a, d.nodad))),
    ...(d.up ? ends.map((end) => upStep(end.netns, end.name, true)) : []),
    ...ends.flatMap((end) => end.routes.map((r) => routeStep(end.netns, end.name, "add", r))),
    ...(d.up && !d.nodad ? ends.flatMap((end) => ipv6ReadySteps(end.netns, end.name, end.addresses)) : []),
  ];
}

/** Equivalent to: `ip [-n NETNS] link del dev NAME` (a pair's either end takes both); a link already gone is success. */
export function planLinkDelete(cur: { netns?: string; name: string }): IpStep[] {
  return [{ netns: cur.netns, args: ["link", "del", "dev", cur.name] }];
}

/**
 * Equivalent to: `sysctl ...arp_notify=V ...ndisc_notify=V` where the settings a link's addresses need
 * (`wanted`) differ from what was `written`. After a move the namespace's defaults apply, whatever was
 * written: its undo cannot know what to put back.
 */
export function announceSettingChange(netns: string | undefined, name: string, written: boolean, wanted: boolean, moved = false): Step[] {
  return written !== wanted ? [announceStep(netns, name, wanted, moved ? undefined : written)] : [];
}

/**
 * Announces `added` addresses the kernel would not announce itself (IPv4, or IPv6 without DAD) on a link
 * that was up and stays up: the MAC set to itself.
 */
export function announcedAnew(netns: string | undefined, name: string, wasUp: boolean, d: Pick<LinkDesired, "up" | "announce" | "nodad">, added: string[]): Step[] {
  return wasUp && d.up && d.announce && needsAnnouncingAnew(added, d.nodad) ? [announceAgainStep(netns, name)] : [];
}

/** The wait for the IPv6 addresses that run DAD now (see runningDad) to leave tentative, on a link that is up. */
export function dadWait(
  netns: string | undefined,
  name: string,
  d: Pick<LinkDesired, "up">,
  all: string[],
  added: string[],
  comesUp: boolean,
  nodad: { current: boolean; desired: boolean },
): Step[] {
  return d.up ? ipv6ReadySteps(netns, name, runningDad(all, added, comesUp, nodad)) : [];
}

/**
 * The steps that put back what the kernel drops from a link when it goes down (its routes, and its IPv6
 * addresses unless keep_addr_on_down is set: hence `ip addr replace`, right either way) or leaves its
 * namespace (everything, its announce settings too): the undo of a down or a move. `addresses` are the
 * ones the link had at that point (removals may have run before).
 */
function restoreSteps(cur: SingleLinkState & PortDesired, dropped: "down" | "moved", addresses: string[]): Step[] {
  return [
    ...(dropped === "moved" && announces(cur) ? [announceStep(cur.netns, cur.name, true)] : []),
    ...(dropped === "moved"
      ? addresses.map((a) => addressStep(cur.netns, cur.name, "add", a, cur.nodad))
      : addresses.filter(isIPv6Address).map((a) => addressStep(cur.netns, cur.name, "replace", a, cur.nodad))),
    ...(cur.up ? [upStep(cur.netns, cur.name, true)] : []),
    ...cur.routes.map((r) => routeStep(cur.netns, cur.name, "add", r)),
    // A move releases a port from its bridge (the bridge is in the namespace it left).
    ...(dropped === "moved" && cur.master !== undefined ? [masterStep(cur.netns, cur.name, cur.master)] : []),
  ];
}

/**
 * A single link's steps from the current state to the desired one, in an order the kernel accepts:
 * removals under the old name and namespace; the move (`ip link set dev X netns NS`, which drops
 * addresses and routes and takes the link down, so they are all added again); the rename (with the link
 * down, which drops its routes, and its IPv6 addresses unless keep_addr_on_down keeps them: they are put
 * back with `ip addr replace`, which holds either way); announce settings (a move resets them); the
 * kind's own `typeChanges` (`ip link set dev NAME type KIND ...`, under the new name and namespace); the
 * bridge it is a port of, if the kind has `master` (a move released it: joined again in the new one); MTU
 * and queue length; addresses; MAC (or, with none to change, an announcement of new addresses the kernel
 * would not announce); up; routes (a gateway needs its address and an up link); the owner's mark; the
 * wait for IPv6 addresses to pass duplicate address detection. Each step's undo also puts back what the
 * kernel dropped because of it.
 */
export function planSingleLinkUpdate(cur: SingleLinkState & PortDesired, d: SingleLinkDesired & PortDesired, typeChanges: Step[]): Step[] {
  const moved = cur.netns !== d.netns;
  const renamed = cur.name !== d.name;
  const goesDown = moved || (cur.up && (renamed || !d.up));
  const nodad = { current: cur.nodad, desired: d.nodad };
  const steps: Step[] = [];

  // Removals run first, under the link's current name and namespace.
  if (!moved) {
    steps.push(...addressChanges(cur.netns, cur.name, cur.addresses, d.addresses, nodad).removals);
    if (!goesDown) steps.push(...routeChanges(cur.netns, cur.name, cur.routes, d.routes).removals);
  }
  // What the link has once removals ran, and what is still there once it has been down or moved.
  const afterRemovals = cur.addresses.filter((a) => d.addresses.includes(a));
  const keptAddresses = moved ? [] : goesDown ? afterRemovals.filter((a) => !isIPv6Address(a)) : cur.addresses;
  // The IPv6 ones a down dropped, unless the namespace's keep_addr_on_down kept them: replaced, not added.
  const perhapsKept = moved || !goesDown ? [] : afterRemovals.filter(isIPv6Address);
  const addresses = addressChanges(d.netns, d.name, keptAddresses, d.addresses, nodad, perhapsKept);
  const routes = routeChanges(d.netns, d.name, goesDown ? [] : cur.routes, d.routes);

  let up = cur.up;
  if (moved) {
    steps.push({
      netns: cur.netns,
      args: ["link", "set", "dev", cur.name, "netns", netnsTarget(d.netns)],
      undo: [
        { netns: d.netns, args: ["link", "set", "dev", cur.name, "netns", netnsTarget(cur.netns)] },
        ...restoreSteps(cur, "moved", cur.addresses),
      ],
    });
    up = false;
  }
  if (renamed) {
    if (up) {
      steps.push({ ...upStep(d.netns, cur.name, false), undo: restoreSteps(cur, "down", afterRemovals) });
      up = false;
    }
    steps.push({
      netns: d.netns,
      args: ["link", "set", "dev", cur.name, "name", d.name],
      undo: [{ netns: d.netns, args: ["link", "set", "dev", d.name, "name", cur.name] }],
    });
  }

  // Before the link comes up or gets addresses. After a move the namespace's defaults apply: set again.
  steps.push(
    ...announceSettingChange(d.netns, d.name, !moved && announces(cur), announces(d), moved),
    ...typeChanges,
    ...masterChange(d.netns, d.name, moved ? undefined : cur.master, d.master),
  );

  // The MAC after the addresses: a new MAC announces them all, and an up link's new addresses are
  // announced by it. Without one, an address the kernel does not announce itself is announced anew.
  const newMac = attributeChange(d.netns, d.name, "address", cur.macAddress, d.macAddress);
  steps.push(
    ...attributeChange(d.netns, d.name, "mtu", cur.mtu, d.mtu),
    ...attributeChange(d.netns, d.name, "txqueuelen", cur.txQueueLength, d.txQueueLength),
    ...addresses.additions,
    ...newMac,
    ...(newMac.length === 0 ? announcedAnew(d.netns, d.name, up, d, addresses.added) : []),
    // Going down drops the routes (and IPv6 addresses): undoing it puts them back too.
    ...(up && !d.up
      ? [{ ...upStep(d.netns, d.name, false), undo: restoreSteps(cur, "down", afterRemovals) }]
      : upChange(d.netns, d.name, up, d.up)),
    ...routes.additions,
    ...markChange(d.netns, d.name, cur.owner, d.owner),
    ...dadWait(d.netns, d.name, d, d.addresses, addresses.added, !up && d.up, nodad),
  );
  return steps;
}
