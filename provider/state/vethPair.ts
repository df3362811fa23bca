import { z } from "zod";
import { type LinkObserved, type VethPairDesired, type VethPairState } from "../model";
import { vethPairArgs } from "../schema/vethPair";
import { parseArgs } from "../schema/validate";
import { definedOnly, inPreferredOrder } from "../shape";
import { dhcpLeaseOutput } from "./dhcpLease";
import { asWrittenByEarlierVersions } from "./earlierVersions";
import { linkOutputs } from "./linkOutputs";

/** Outputs from both ends as the kernel reports them. `up` is true only when both ends are. */
export function vethStateOf(d: VethPairDesired, end: LinkObserved, peer: LinkObserved): VethPairState {
  return definedOnly({
    ...d,
    addresses: inPreferredOrder(end.addresses, d.addresses),
    peerAddresses: inPreferredOrder(peer.addresses, d.peerAddresses),
    mtu: end.mtu,
    up: end.up && peer.up,
    macAddress: end.macAddress,
    peerMacAddress: peer.macAddress,
    ifindex: end.ifindex,
    peerIfindex: peer.ifindex,
    master: end.master,
    peerMaster: peer.master,
    // Asked and running: a dead client reads as not asked, so the next up starts it (drift, as persist).
    dhcp: d.dhcp && end.dhcp?.running === true,
    peerDhcp: d.peerDhcp && peer.dhcp?.running === true,
    dhcpLease: end.dhcp?.lease,
    peerDhcpLease: peer.dhcp?.lease,
    kernelChosen: d.mtu === undefined ? ["mtu"] : [],
  });
}

/**
 * A state for a pair whose create was cut off (the connection broke): what was asked, nothing observed
 * (ifindex 0, placeholders for the rest). Pulumi keeps it; refresh and the next update read the host.
 */
export function unverifiedVethState(d: VethPairDesired): VethPairState {
  // announce: false, as the create may have stopped before setting it: the next write sets it.
  return definedOnly({
    ...d,
    announce: false,
    mtu: d.mtu ?? 0,
    macAddress: "",
    peerMacAddress: "",
    ifindex: 0,
    peerIfindex: 0,
    kernelChosen: d.mtu === undefined ? ["mtu" as const] : [],
  });
}

/** Whether a state was never observed (see unverifiedVethState). */
export const isUnverifiedVeth = (state: VethPairState) => state.ifindex === 0;

export function vethInputsOf(state: VethPairState): VethPairDesired {
  const { macAddress: _m, peerMacAddress: _p, ifindex: _i, peerIfindex: _pi, dhcpLease: _l, peerDhcpLease: _pl, kernelChosen, ...inputs } = state;
  return definedOnly(kernelChosen.includes("mtu") ? { ...inputs, mtu: undefined } : inputs);
}

const extras = linkOutputs.extend({
  peerMacAddress: z.string(),
  peerIfindex: z.number().int(),
  dhcpLease: dhcpLeaseOutput.optional(),
  peerDhcpLease: dhcpLeaseOutput.optional(),
});

export function parseVethState(stored: Record<string, unknown>): VethPairState {
  const props = asWrittenByEarlierVersions(stored);
  // An unverified state's mtu 0 is a placeholder for what was never observed, not an argument.
  const placeholder = (key: string) => key === "mtu" && props.ifindex === 0 && props.mtu === 0;
  const args = Object.fromEntries(Object.keys(vethPairArgs.fields).filter((key) => !placeholder(key)).map((key) => [key, props[key]]));
  return { ...parseArgs(vethPairArgs, args), ...extras.parse(props) };
}
