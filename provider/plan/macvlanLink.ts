// Plans for macvlan-kind links (macvlan and macvtap): create, update and delete as iproute2 steps, and
// the diff that decides between updating in place and replacing.
import type { MacvlanLinkDesired, MacvlanLinkState } from "../model";
import { spliced } from "../shape";
import { defaultDhcpOptions, dhcpCreateSteps, dhcpDeleteSteps, dhcpUpdateSteps, type DhcpOptions } from "./dhcp";
import { diffProperties, portPropertyRules, singleLinkPropertyRules, type PropertyDiff, type PropertyRule } from "./diff";
import { netnsTarget, planLinkCreate, planLinkDelete, planSingleLinkUpdate } from "./link";
import type { IpStep, Step } from "./steps";

export type MacvlanKind = "macvlan" | "macvtap";

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
 * then what every link's create does (plan/link.ts planLinkCreate): its mark, its bridge (`master`, a
 * step of its own in its namespace: never beside `netns` in the add), announce settings, addresses, up,
 * routes, the DAD wait; with `dhcp`, its client is checked for first and started last (plan/dhcp.ts).
 */
export function planMacvlanCreate(d: MacvlanLinkDesired, kind: MacvlanKind = "macvlan", dhcpOptions: DhcpOptions = defaultDhcpOptions): Step[] {
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
  const dhcp = dhcpCreateSteps([d], dhcpOptions);
  return [...dhcp.first, ...planLinkCreate(d, add, [d]), ...dhcp.last];
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The macvlan `type` changes from `cur` to `d` (`ip link set dev NAME type KIND ...`): mode, nopromisc,
 * the source MAC list, bcqueuelen. Leaving source mode makes the kernel flush the source MAC list, so
 * going back restores it too.
 */
function macvlanTypeChanges(cur: MacvlanLinkState, d: MacvlanLinkDesired, kind: MacvlanKind): Step[] {
  const steps: Step[] = [];
  const setType = (...args: string[]): IpStep => ({ netns: d.netns, args: ["link", "set", "dev", d.name, "type", kind, ...args] });
  const currentSources = cur.mode === "source" ? cur.sourceMacs : [];
  const setSources = (macs: string[]) => setType("macaddr", ...(macs.length > 0 ? ["set", ...macs] : ["flush"]));
  if (cur.mode !== d.mode) {
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
  return steps;
}

/**
 * Steps from the current state to the desired one: a single link's (plan/link.ts), with the macvlan
 * `type` changes; its DHCP client stopped first and started last where it goes, comes, or starts anew.
 */
export function planMacvlanUpdate(cur: MacvlanLinkState, d: MacvlanLinkDesired, kind: MacvlanKind = "macvlan", dhcpOptions: DhcpOptions = defaultDhcpOptions): Step[] {
  const dhcp = dhcpUpdateSteps([{ current: clientOf(cur), desired: d }], dhcpOptions);
  return [...dhcp.first, ...planSingleLinkUpdate(cur, d, macvlanTypeChanges(cur, d, kind)), ...dhcp.last];
}

/**
 * The client a state stands for: `dhcp`, it runs; `leased`, a lease is recorded (a dead client's
 * address and lease file are still there to take off).
 */
const clientOf = <S extends Pick<MacvlanLinkState, "netns" | "name" | "dhcp" | "dhcpLease">>(cur: S) => ({ ...cur, leased: cur.dhcpLease !== undefined });

/** Its DHCP client stopped (or a dead one's leftovers taken off): when a refresh finds the link gone. */
export function planMacvlanClientStop(cur: Pick<MacvlanLinkState, "netns" | "name" | "dhcp" | "dhcpLease">, dhcpOptions: DhcpOptions = defaultDhcpOptions): Step[] {
  return dhcpDeleteSteps([clientOf(cur)], dhcpOptions);
}

/**
 * Equivalent to: `ip [-n NETNS] link del dev NAME`; a link already gone is success. A DHCP client is
 * stopped first (releasing its lease).
 */
export function planMacvlanDelete(cur: Pick<MacvlanLinkState, "netns" | "name" | "dhcp" | "dhcpLease">, dhcpOptions: DhcpOptions = defaultDhcpOptions): Step[] {
  return [...dhcpDeleteSteps([clientOf(cur)], dhcpOptions), ...planLinkDelete(cur)];
}

const passthruChange = (old: unknown, next: unknown) => (old === "passthru") !== (next === "passthru");

/**
 * Which properties update in place and which replace the link. Mode changes among bridge, private,
 * vepa and source are in place; into or out of passthru the kernel refuses. The kernel sets nopromisc
 * on a live link but refuses to clear it, so clearing it replaces.
 */
export const macvlanPropertyRules: Record<string, PropertyRule> = spliced(singleLinkPropertyRules, {
  name: { parent: { replace: true }, parentNetns: { replace: true } },
  netns: {
    mode: { replace: passthruChange },
    nopromisc: { replace: (old: unknown, next: unknown) => old === true && next === false },
    sourceMacs: { set: true },
    ...portPropertyRules,
  },
  txQueueLength: { bcQueueLength: { kernelChosenWhenUnset: true } },
  // The DHCP client starts and stops in place.
  routes: { dhcp: {} },
});

export function diffMacvlan(olds: Record<string, unknown>, news: Record<string, unknown>): PropertyDiff {
  return diffProperties(macvlanPropertyRules, olds, news);
}
