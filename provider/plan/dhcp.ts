// A link's DHCP client as plan steps: started after the link is up with its addresses and routes (undo:
// stopped), stopped before the link is deleted, moved, renamed or given a new MAC (undo: started again
// as it was), so a failed or interrupted operation never leaves a client behind, nor a second one.
// Pure: the commands are plan/dhcpProgram.ts's.
import type { Command } from "../exec/runner";
import { where } from "../labels";
import { dhcpLeaseWaitSeconds, dhcpPaths, dhcpStartCommand, dhcpStopCommand, dhcpStopWaitSeconds, type DhcpPaths } from "./dhcpProgram";
import type { CommandStep, Step } from "./steps";

/** One end that may run a client: where it is, its name, and whether a client is (to be) on it. */
export interface DhcpEnd {
  netns?: string;
  name: string;
  dhcp: boolean;
}

/** The waits and paths a plan's DHCP steps use: options, so tests and users can shorten them. */
export interface DhcpOptions {
  leaseWaitSeconds: number;
  stopWaitSeconds: number;
  paths: DhcpPaths;
}

export const defaultDhcpOptions: DhcpOptions = { leaseWaitSeconds: dhcpLeaseWaitSeconds, stopWaitSeconds: dhcpStopWaitSeconds, paths: dhcpPaths };

/** The link in messages: `mac1 in netns "ns1"`. */
const linkAt = (end: DhcpEnd) => `${end.name} in ${where(end.netns)}`;

/**
 * Equivalent to: `/etc/pulumi-iproute2/dhcp start NETNS LINK WAIT` (plan/dhcpProgram.ts); its undo stops
 * it (releasing the lease). Replayed at boot as `dhcp NETNS LINK`.
 */
export function dhcpStartStep(end: DhcpEnd, options: DhcpOptions = defaultDhcpOptions): CommandStep {
  return {
    command: dhcpStartCommand(end.netns, end.name, options.leaseWaitSeconds, options.paths),
    describe: `start the DHCP client of ${linkAt(end)}`,
    undo: [dhcpStopStep(end, options)],
    replay: ["dhcp", end.netns ?? "-", end.name],
  };
}

/** Equivalent to: `/etc/pulumi-iproute2/dhcp stop NETNS LINK WAIT`: releases the lease; no client is success. */
export function dhcpStopStep(end: DhcpEnd, options: DhcpOptions = defaultDhcpOptions, undo?: Step[]): CommandStep {
  return {
    command: dhcpStopCommand(end.netns, end.name, options.stopWaitSeconds, options.paths),
    describe: `stop the DHCP client of ${linkAt(end)}`,
    ...(undo && { undo }),
  };
}

/**
 * Equivalent to: `command -v udhcpc || busybox udhcpc`: a create's first step where a client is asked,
 * so a host without it fails before anything is made (exit 4: the package to install is named).
 */
export function dhcpClientCheck(): CommandStep {
  const script = `command -v udhcpc >/dev/null 2>&1 && exit 0
command -v busybox >/dev/null 2>&1 && busybox --list 2>/dev/null | grep -qx udhcpc && exit 0
printf '%s\\n' "udhcpc (the DHCP client) is missing on this host: install the Debian package udhcpc (apt-get install udhcpc)" >&2
exit 4`;
  const command: Command = { argv: ["sh", "-c", script, "dhcp-client-check"] };
  return { command, describe: "check that udhcpc (the DHCP client) is installed" };
}

/** A create's DHCP steps: the check, first; the starts, last (after up, routes and the DAD wait). */
export function dhcpCreateSteps(ends: DhcpEnd[], options: DhcpOptions = defaultDhcpOptions): { first: Step[]; last: Step[] } {
  const clients = ends.filter((end) => end.dhcp);
  return { first: clients.length > 0 ? [dhcpClientCheck()] : [], last: clients.map((end) => dhcpStartStep(end, options)) };
}

/**
 * An end from its state to what is asked. `current.dhcp`: its client runs (as refresh read it);
 * `current.leased`: a lease of it is recorded, so a dead client's address and files are still there.
 */
export interface EndChange {
  current: DhcpEnd & { macAddress?: string; leased: boolean };
  desired: DhcpEnd & { macAddress?: string };
}

const restarts = ({ current, desired }: EndChange) =>
  current.netns !== desired.netns || current.name !== desired.name || (desired.macAddress !== undefined && desired.macAddress !== current.macAddress);

/**
 * An update's DHCP steps: `first`, before any other step, stops the clients that go away or start anew
 * (undo: started again as they were); `last`, after every other step, starts the ones that come or
 * start anew (undo: stopped). A client asked and running, on a link that stays where it is, is left
 * alone: its lease goes on.
 */
export function dhcpUpdateSteps(changes: EndChange[], options: DhcpOptions = defaultDhcpOptions): { first: Step[]; last: Step[] } {
  const first: Step[] = [];
  const last: Step[] = [];
  for (const change of changes) {
    const { current, desired } = change;
    const anew = restarts(change);
    // A dead client's leftovers go with a stop too; it is started again on undo only if it ran.
    if ((current.dhcp || current.leased) && (!desired.dhcp || anew)) {
      first.push(dhcpStopStep(current, options, current.dhcp ? [dhcpStartStep(current, options)] : undefined));
    }
    // A dead client is started anew (start stops what is left of it first).
    if (desired.dhcp && (!current.dhcp || anew)) last.push(dhcpStartStep(desired, options));
  }
  const check = last.length > 0 ? [dhcpClientCheck()] : [];
  return { first: [...check, ...first], last };
}

/** A delete's first steps: each client stopped (releasing its lease), or a dead one's leftovers taken off, before the link goes. */
export function dhcpDeleteSteps(ends: (DhcpEnd & { leased: boolean })[], options: DhcpOptions = defaultDhcpOptions): Step[] {
  return ends.filter((end) => end.dhcp || end.leased).map((end) => dhcpStopStep(end, options));
}
