// Plans for macvlan-kind links (macvlan and macvtap): create, update and delete as iproute2 steps, and
// the diff that decides between updating in place and replacing.
import { isIPv6Address, type MacvlanLinkDesired, type MacvlanLinkState } from "../model";
import { announceAgainStep, announces, announceStep, needsAnnouncingAnew } from "./announce";
import { spliced } from "../shape";
import { diffProperties, singleLinkPropertyRules, type PropertyDiff, type PropertyRule } from "./diff";
import { ipv6ReadySteps, runningDad } from "./ipv6Ready";
import { addressChanges, addressStep, attributeChange, markChange, markSteps, routeChanges, routeStep, upChange, upStep } from "./linkSteps";
import type { IpStep, Step } from "./steps";

export type MacvlanKind = "macvlan" | "macvtap";

/** `netns` argument of `ip link`: a name, or PID 1's namespace for the connection's own. */
export function netnsTarget(netns: string | undefined): string {
  return netns ?? "1";
}

function modeArgs(d: MacvlanLinkDesired): string[] {
  return [
    "mode", d.mode,
    ...(d.nopromisc ? ["flag", "nopromisc"] : []),
    ...(d.bcQueueLength !== undefined ? ["bcqueuelen", String(d.bcQueueLength)] : []),
    ...(d.mode === "source" && d.sourceMacs.length > 0 ? ["macaddr", "set", ...d.sourceMacs] : []),
  ];
}

/**
 * Equivalent to:
 *   ip [-n PARENTNS] link add link PARENT name NAME [netns NETNS] [address MAC] [mtu N] [txqueuelen N]
 *      type macvlan mode MODE [flag nopromisc] [bcqueuelen N] [macaddr set MAC...]
 *   ip [-n NETNS] link set dev NAME alias MARK   (its owner's mark)
 *   [ip netns exec NETNS sysctl net.ipv4.conf.NAME.arp_notify=1 net.ipv6.conf.NAME.ndisc_notify=1]
 *   ip [-n NETNS] addr add CIDR dev NAME [nodad]; ip link set dev NAME up; ip route add ... proto static
 *   [wait until its IPv6 addresses have left tentative]
 * The link is created straight into its namespace, so undoing the first step removes everything.
 */
export function planMacvlanCreate(d: MacvlanLinkDesired, kind: MacvlanKind = "macvlan"): Step[] {
  const add: IpStep = {
    netns: d.parentNetns,
    args: [
      "link", "add", "link", d.parent, "name", d.name,
      ...(d.netns !== d.parentNetns ? ["netns", netnsTarget(d.netns)] : []),
      ...(d.macAddress !== undefined ? ["address", d.macAddress] : []),
      ...(d.mtu !== undefined ? ["mtu", String(d.mtu)] : []),
      ...(d.txQueueLength !== undefined ? ["txqueuelen", String(d.txQueueLength)] : []),
      "type", kind, ...modeArgs(d),
    ],
    undo: [{ netns: d.netns, args: ["link", "del", "dev", d.name] }],
  };
  return [
    add,
    ...markSteps(d.netns, d.name, d.owner),
    ...(announces(d) ? [announceStep(d.netns, d.name, true)] : []),
    ...d.addresses.map((a) => addressStep(d.netns, d.name, "add", a, d.nodad)),
    ...(d.up ? [upStep(d.netns, d.name, true)] : []),
    ...d.routes.map((r) => routeStep(d.netns, d.name, "add", r)),
    ...(d.up && !d.nodad ? ipv6ReadySteps(d.netns, d.name, d.addresses) : []),
  ];
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The steps that put back what the kernel drops from a link when it goes down (its routes, and its IPv6
 * addresses unless keep_addr_on_down is set: hence `ip addr replace`, right either way) or leaves its
 * namespace (everything, its announce settings too): the undo of a down or a move. `addresses` are the
 * ones the link had at that point (removals may have run before).
 */
function restoreSteps(cur: MacvlanLinkState, dropped: "down" | "moved", addresses: string[]): Step[] {
  return [
    ...(dropped === "moved" && announces(cur) ? [announceStep(cur.netns, cur.name, true)] : []),
    ...(dropped === "moved"
      ? addresses.map((a) => addressStep(cur.netns, cur.name, "add", a, cur.nodad))
      : addresses.filter(isIPv6Address).map((a) => addressStep(cur.netns, cur.name, "replace", a, cur.nodad))),
    ...(cur.up ? [upStep(cur.netns, cur.name, true)] : []),
    ...cur.routes.map((r) => routeStep(cur.netns, cur.name, "add", r)),
  ];
}

/**
 * Steps from the current state to the desired one, in an order the kernel accepts: removals under the
 * old name and namespace; the move (`ip link set dev X netns NS`, which drops addresses and routes and
 * takes the link down, so they are all added again); the rename (with the link down, which drops its
 * routes, and its IPv6 addresses unless keep_addr_on_down keeps them: they are put back with `ip addr
 * replace`, which holds either way); announce settings (a move resets them); type options; MTU and queue
 * length; addresses; MAC (or, with none to change, an announcement of new addresses the kernel would
 * not announce); up; routes (a gateway needs its address and an up link); the wait for IPv6 addresses to
 * pass duplicate address detection. Each step's undo also puts back what the kernel dropped because of
 * it.
 */
export function planMacvlanUpdate(cur: MacvlanLinkState, d: MacvlanLinkDesired, kind: MacvlanKind = "macvlan"): Step[] {
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
  const written = !moved && announces(cur);
  if (announces(d) !== written) steps.push(announceStep(d.netns, d.name, announces(d), moved ? undefined : written));

  const setType = (...args: string[]): IpStep => ({ netns: d.netns, args: ["link", "set", "dev", d.name, "type", kind, ...args] });
  const currentSources = cur.mode === "source" ? cur.sourceMacs : [];
  const setSources = (macs: string[]) => setType("macaddr", ...(macs.length > 0 ? ["set", ...macs] : ["flush"]));
  if (cur.mode !== d.mode) {
    // Leaving source mode makes the kernel flush the source MAC list: going back restores it too.
    const back = currentSources.length > 0 ? setType("mode", cur.mode, "macaddr", "set", ...currentSources) : setType("mode", cur.mode);
    steps.push({ ...setType("mode", d.mode), undo: [back] });
  }
  if (!cur.nopromisc && d.nopromisc) steps.push(setType("mode", "passthru", "flag", "nopromisc"));
  const keptSources = d.mode === "source" ? currentSources : [];
  if (d.mode === "source" && !sameSet(keptSources, d.sourceMacs)) {
    steps.push({ ...setSources(d.sourceMacs), undo: [setSources(keptSources)] });
  }
  if (d.bcQueueLength !== undefined && d.bcQueueLength !== cur.bcQueueLength) {
    steps.push({ ...setType("bcqueuelen", String(d.bcQueueLength)), undo: [setType("bcqueuelen", String(cur.bcQueueLength))] });
  }

  // The MAC after the addresses: a new MAC announces them all, and an up link's new addresses are
  // announced by it. Without one, an address the kernel does not announce itself is announced anew.
  const newMac = attributeChange(d.netns, d.name, "address", cur.macAddress, d.macAddress);
  const unannounced = needsAnnouncingAnew(addresses.added, d.nodad);
  steps.push(
    ...attributeChange(d.netns, d.name, "mtu", cur.mtu, d.mtu),
    ...attributeChange(d.netns, d.name, "txqueuelen", cur.txQueueLength, d.txQueueLength),
    ...addresses.additions,
    ...newMac,
    ...(up && d.up && d.announce && unannounced && newMac.length === 0 ? [announceAgainStep(d.netns, d.name)] : []),
    // Going down drops the routes (and IPv6 addresses): undoing it puts them back too.
    ...(up && !d.up
      ? [{ ...upStep(d.netns, d.name, false), undo: restoreSteps(cur, "down", afterRemovals) }]
      : upChange(d.netns, d.name, up, d.up)),
    ...routes.additions,
    ...markChange(d.netns, d.name, cur.owner, d.owner),
    ...(d.up ? ipv6ReadySteps(d.netns, d.name, runningDad(d.addresses, addresses.added, !up && d.up, nodad)) : []),
  );
  return steps;
}

/** Equivalent to: `ip [-n NETNS] link del dev NAME`; a link already gone is success. */
export function planMacvlanDelete(cur: Pick<MacvlanLinkState, "netns" | "name">): IpStep[] {
  return [{ netns: cur.netns, args: ["link", "del", "dev", cur.name] }];
}

const passthruChange = (old: unknown, next: unknown) => (old === "passthru") !== (next === "passthru");

/**
 * Which properties update in place and which replace the link. Mode changes among bridge, private,
 * vepa and source are in place; into or out of passthru the kernel refuses. The kernel sets nopromisc
 * on a live link but refuses to clear it, so clearing it replaces.
 */
export const macvlanPropertyRules: Record<string, PropertyRule> = spliced(singleLinkPropertyRules, {
  name: { parent: { replace: true }, parentNetns: { replace: true } },
  netns: { mode: { replace: passthruChange }, nopromisc: { replace: (old: unknown, next: unknown) => old === true && next === false }, sourceMacs: { set: true } },
  txQueueLength: { bcQueueLength: { kernelChosenWhenUnset: true } },
});

export function diffMacvlan(olds: Record<string, unknown>, news: Record<string, unknown>): PropertyDiff {
  return diffProperties(macvlanPropertyRules, olds, news);
}
