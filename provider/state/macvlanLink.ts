// A macvlan-kind link's state (its outputs): a single link's (state/singleLink.ts), with its mode, its
// options and its broadcast queue length as the kernel reports them.
import { z } from "zod";
import type { LinkObserved, MacvlanLinkDesired, MacvlanLinkState } from "../model";
import type { ArgsSpec } from "../schema/validate";
import { inPreferredOrder } from "../shape";
import { dhcpLeaseOutput } from "./dhcpLease";
import { macvlanArgsObserved } from "./linkArgs";
import { isUnverifiedLink, parseSingleLinkState, singleLinkInputsOf, singleLinkStateOf, unverifiedSingleLinkState } from "./singleLink";
import { ReadError } from "./readError";

/** The outputs: a single link's, and the macvlan's own as the kernel now has them. */
export function macvlanStateOf<D extends MacvlanLinkDesired>(d: D, o: LinkObserved): D & MacvlanLinkState {
  const observed = macvlanArgsObserved(o);
  if (!observed) throw new ReadError("failed", `link "${o.name}" is a ${o.kind ?? "plain"} link, not macvlan or macvtap`);
  const own = {
    ...observed,
    sourceMacs: inPreferredOrder(observed.sourceMacs, d.sourceMacs),
    bcQueueLength: observed.bcQueueLength ?? 0,
    // Asked and running: a dead client reads as not asked, so the next up starts it (drift, as persist).
    dhcp: d.dhcp && o.dhcp?.running === true,
    dhcpLease: o.dhcp?.lease,
  };
  return singleLinkStateOf<D, D & MacvlanLinkState>(d, o, { observed: own, kernelChosen: ["bcQueueLength"] });
}

/** A state for a link whose create was cut off (see unverifiedSingleLinkState). */
export function unverifiedMacvlanState<D extends MacvlanLinkDesired>(d: D): D & MacvlanLinkState {
  const own = { bcQueueLength: d.bcQueueLength ?? 0 };
  return unverifiedSingleLinkState<D, D & MacvlanLinkState>(d, { observed: own, kernelChosen: ["bcQueueLength"] });
}

/** Whether a state was never observed (see unverifiedMacvlanState). */
export const isUnverified = (state: MacvlanLinkState) => isUnverifiedLink(state);

/** The arguments a state stands for: what refresh hands back as inputs, and what the next plan starts from. */
export const macvlanInputsOf = <D extends MacvlanLinkDesired>(state: D & MacvlanLinkState): D => {
  const { dhcpLease: _lease, ...inputs } = singleLinkInputsOf<D>(state) as D & Pick<MacvlanLinkState, "dhcpLease">;
  return inputs as unknown as D; // D without the lease, an output only
};

/** A state read from Pulumi's checkpoint, checked like new inputs are. */
export function parseMacvlanState<D extends MacvlanLinkDesired>(spec: ArgsSpec<D>, stored: Record<string, unknown>): D & MacvlanLinkState {
  return parseSingleLinkState<D, D & MacvlanLinkState>(spec, stored, z.object({ bcQueueLength: z.number().int(), dhcpLease: dhcpLeaseOutput.optional() }), ["bcQueueLength"]);
}
