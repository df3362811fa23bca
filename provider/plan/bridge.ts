// Plans for a bridge: made straight in its namespace (the kernel never moves one: its netns is
// immutable), its STP, forward delay and VLAN filtering changed in place, and the diff.
import type { BridgeDesired, BridgeState } from "../model";
import { spliced } from "../shape";
import { singleLinkPart, type BootPart } from "./bootPart";
import { singleLinkPropertyRules, type PropertyRule } from "./diff";
import { planLinkCreate, planLinkDelete, planSingleLinkUpdate, singleLinkAdd } from "./link";
import type { IpStep, Step } from "./steps";

/** The kernel's unit for the forward delay: centiseconds (USER_HZ), as `ip` takes and prints it. */
export const centiseconds = (seconds: number) => String(Math.round(seconds * 100));

/**
 * Equivalent to:
 *   ip [-n NETNS] link add name NAME [address MAC] [txqueuelen N]
 *      type bridge stp_state 0|1 forward_delay CENTISECONDS [vlan_filtering 1]
 *   [ip [-n NETNS] link set dev NAME mtu N]
 * then what every link's create does (plan/link.ts planLinkCreate). STP is always sent (the default is
 * off either way, but a bridge says what it is); vlan_filtering only when wanted: a kernel without
 * bridge VLAN filtering refuses the attribute whatever its value, `vlan_filtering 0` included. The MTU
 * is a step of its own: the kernel keeps an MTU set on a bridge, but one given to `ip link add` it drops
 * for its ports' as soon as one joins (undone with the add).
 */
export function planBridgeCreate(d: BridgeDesired): Step[] {
  // Its MTU is not a word of the add (see above).
  const add = singleLinkAdd({ ...d, mtu: undefined }, [
    "type", "bridge", "stp_state", d.stp ? "1" : "0", "forward_delay", centiseconds(d.forwardDelay),
    ...(d.vlanFiltering ? ["vlan_filtering", "1"] : []),
  ]);
  const mtu: IpStep[] = d.mtu !== undefined ? [{ netns: d.netns, args: ["link", "set", "dev", d.name, "mtu", String(d.mtu)] }] : [];
  const [made, ...rest] = planLinkCreate(d, add, [d]);
  return [...(made ? [made] : []), ...mtu, ...rest];
}

/**
 * The bridge `type` changes from `cur` to `d` (`ip link set dev NAME type bridge ...`), one attribute a
 * step, each undone by its old value: the kernel applies a line's attributes one by one, so a line of
 * several that fails may be half done. The forward delay is range-checked only while STP is on: it
 * changes before STP is turned on, and after STP is turned off. vlan_filtering only when it changes.
 */
function bridgeTypeChanges(cur: BridgeState, d: BridgeDesired): Step[] {
  const set = (attribute: string, value: string): IpStep => ({ netns: d.netns, args: ["link", "set", "dev", d.name, "type", "bridge", attribute, value] });
  const change = (attribute: string, from: string, to: string): Step[] => (from === to ? [] : [{ ...set(attribute, to), undo: [set(attribute, from)] }]);
  const bit = (on: boolean) => (on ? "1" : "0");
  const stp = change("stp_state", bit(cur.stp), bit(d.stp));
  const delay = change("forward_delay", centiseconds(cur.forwardDelay), centiseconds(d.forwardDelay));
  return [...(d.stp ? [...delay, ...stp] : [...stp, ...delay]), ...change("vlan_filtering", bit(cur.vlanFiltering), bit(d.vlanFiltering))];
}

/** Steps from the current state to the desired one: a single link's (plan/link.ts), with the bridge's own. */
export function planBridgeUpdate(cur: BridgeState, d: BridgeDesired): Step[] {
  return planSingleLinkUpdate(cur, d, bridgeTypeChanges(cur, d));
}

/**
 * Its part of the boot description: its create plan with its ifindex pinned, but its MAC only when set:
 * an unset one follows the ports, and a MAC given to `ip link add` would stop it following them after a
 * reboot (and none of the MACs it had, all zeros once the last port left, could be given back).
 */
export function bridgePart(d: BridgeDesired): BootPart {
  return singleLinkPart("Bridge", d, (pinned) => planBridgeCreate({ ...pinned, macAddress: d.macAddress }));
}

/** Equivalent to: `ip [-n NETNS] link del dev NAME`, which releases its ports (they stay, and stay up). */
export const planBridgeDelete = planLinkDelete;

/**
 * A single link's rules, but its namespace replaces it (the kernel: "The interface netns is
 * immutable"), and its own settings change in place. An unset MAC or MTU is the kernel's (it follows
 * the ports): never a change.
 */
export const bridgePropertyRules: Record<string, PropertyRule> = {
  ...spliced(singleLinkPropertyRules, { netns: { stp: {}, forwardDelay: {}, vlanFiltering: {} } }),
  netns: { replace: true },
};
