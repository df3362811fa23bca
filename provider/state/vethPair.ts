import { z } from "zod";
import type { LinkObserved, VethPairDesired, VethPairState } from "../model";
import { vethPairArgs } from "../schema/vethPair";
import { parseArgs } from "../schema/validate";
import { definedOnly, inPreferredOrder } from "./shape";

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
    kernelChosen: d.mtu === undefined ? ["mtu"] : [],
  });
}

export function vethInputsOf(state: VethPairState): VethPairDesired {
  const { macAddress: _m, peerMacAddress: _p, ifindex: _i, peerIfindex: _pi, kernelChosen, ...inputs } = state;
  return definedOnly(kernelChosen.includes("mtu") ? { ...inputs, mtu: undefined } : inputs);
}

const extras = z.object({
  mtu: z.number().int(),
  macAddress: z.string(),
  peerMacAddress: z.string(),
  ifindex: z.number().int(),
  peerIfindex: z.number().int(),
  kernelChosen: z.array(z.enum(["macAddress", "mtu", "txQueueLength", "bcQueueLength", "tapOwner", "tapGroup"])),
});

export function parseVethState(props: Record<string, unknown>): VethPairState {
  const args = Object.fromEntries(Object.keys(vethPairArgs.fields).map((key) => [key, props[key]]));
  return { ...parseArgs(vethPairArgs, args), ...extras.parse(props) };
}
