// Writing expected plan steps the way iproute2 is typed: step("ns1", "addr add 10.0.0.1/24 dev mac0");
// and the plan's own commands by what they run: announced("ns1", "mac0").
import { dhcpLeaseWaitSeconds, dhcpPaths, dhcpProgram, dhcpStopWaitSeconds } from "../../provider/plan/dhcpProgram";
import { dadWaitSeconds } from "../../provider/plan/ipv6Ready";
import { isCommandStep, type IpStep, type Step } from "../../provider/plan/steps";

/**
 * A step as data that compares exactly: an ip step as it is, or a command step as its argv with the
 * script elided (`{ argv, undo? }`).
 */
export type Expected = object;

/** A step in `netns` (undefined: the connection's own), its args split on spaces, with its undo steps. */
export function step(netns: string | undefined, command: string, undo?: Expected | Expected[]): IpStep {
  // A real IpStep (apply's tests run them) when its undo steps are ip steps, as theirs are.
  return { ...(netns !== undefined && { netns }), args: command.split(" "), ...(undo && { undo: [undo].flat() as IpStep[] }) };
}

/** The same step, with the step that takes it back. */
export function undone(netns: string | undefined, command: string, undoNetns: string | undefined, undoCommand: string): IpStep {
  return step(netns, command, step(undoNetns, undoCommand));
}

const script = "<script>";
const inNetns = (netns: string | undefined) => (netns !== undefined ? ["ip", "netns", "exec", netns] : []);

/** The step setting DEV's arp_notify and ndisc_notify (to 1, or `on`), undone by `before` when given. */
export function announced(netns: string | undefined, dev: string, on = true, before?: boolean): Expected {
  const set = (value: boolean) => ({ argv: [...inNetns(netns), "sh", "-c", script, "announce", "set", dev, value ? "1" : "0"] });
  return { ...set(on), ...(before !== undefined && { undo: [set(before)] }) };
}

/** The step announcing DEV's addresses anew (its MAC set to itself). */
export function announcedAgain(netns: string | undefined, dev: string): Expected {
  return { argv: ["sh", "-c", script, "announce", "again", dev, netns ?? ""] };
}

/** The step waiting for `addresses` on DEV to pass duplicate address detection. */
export function ipv6Ready(netns: string | undefined, dev: string, ...addresses: string[]): Expected {
  return { argv: ["sh", "-c", script, "ipv6-ready", netns ?? "", dev, String(dadWaitSeconds * 10), ...addresses] };
}

/** Steps as data that compares exactly: no `undefined` keys, so toStrictEqual sees every difference. */
export function normalized(steps: Step[]): Expected[] {
  return steps.map((s) => {
    const undo = s.undo && { undo: normalized(s.undo) };
    if (isCommandStep(s)) {
      const argv = s.command.argv.map((arg, i, all) => (all[i - 1] === "-c" ? script : arg));
      return { argv, ...undo };
    }
    return { ...(s.netns !== undefined && { netns: s.netns }), args: s.args, ...undo };
  });
}

/** A DHCP client's program (plan/dhcpProgram.ts) run with `args`, as a step's argv. */
function dhcpProgramRun(...args: string[]): { argv: string[] } {
  return { argv: ["sh", "-c", script, "pulumi-iproute2-dhcp", dhcpPaths.programFolder, dhcpProgram().version, ...args] };
}

/** The step starting DEV's DHCP client (it waits for a lease up to the default), stopped by its undo. */
export function dhcpStarted(netns: string | undefined, dev: string): Expected {
  return { ...dhcpProgramRun("start", netns ?? "-", dev, String(dhcpLeaseWaitSeconds)), undo: [dhcpStopped(netns, dev)] };
}

/** The step stopping DEV's DHCP client (releasing its lease), with the steps that take it back. */
export function dhcpStopped(netns: string | undefined, dev: string, undo?: Expected[]): Expected {
  return { ...dhcpProgramRun("stop", netns ?? "-", dev, String(dhcpStopWaitSeconds)), ...(undo && { undo }) };
}

/** The step checking that udhcpc is installed. */
export const dhcpChecked: Expected = { argv: ["sh", "-c", script, "dhcp-client-check"] };
