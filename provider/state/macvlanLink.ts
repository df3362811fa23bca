// A macvlan-kind link's state (its outputs) from what was asked and what the kernel reports, and back.
import { z } from "zod";
import { routeKey, type KernelChosen, type LinkObserved, type MacvlanLinkDesired, type MacvlanLinkState } from "../model";
import { parseArgs, type ArgsSpec } from "../schema/validate";
import { definedOnly, inPreferredOrder } from "../shape";
import { asWrittenByEarlierVersions } from "./earlierVersions";
import { linkOutputs } from "./linkOutputs";

export const kernelChosenKeys = ["macAddress", "mtu", "txQueueLength", "bcQueueLength"] as const satisfies KernelChosen[];

/** The outputs: every argument as the kernel now has it, the ones only we know as asked, plus ifindex. */
export function macvlanStateOf<D extends MacvlanLinkDesired>(d: D, o: LinkObserved): D & MacvlanLinkState {
  if (!o.macvlan) throw new Error(`link "${o.name}" is a ${o.kind ?? "plain"} link, not macvlan or macvtap`);
  return definedOnly({
    ...d,
    name: o.name,
    mode: o.macvlan.mode,
    nopromisc: o.macvlan.nopromisc,
    sourceMacs: inPreferredOrder(o.macvlan.sourceMacs, d.sourceMacs),
    macAddress: o.macAddress,
    mtu: o.mtu,
    txQueueLength: o.txQueueLength,
    bcQueueLength: o.macvlan.bcQueueLength ?? 0,
    addresses: inPreferredOrder(o.addresses, d.addresses),
    routes: inPreferredOrder(o.routes, d.routes, routeKey),
    up: o.up,
    ifindex: o.ifindex,
    kernelChosen: kernelChosenKeys.filter((key) => d[key] === undefined),
  });
}

/**
 * A state for a link whose create was cut off (the connection broke): what was asked, nothing
 * observed (`ifindex` 0). Pulumi keeps it, so refresh reads what the host really has and the next
 * update starts from that.
 */
export function unverifiedMacvlanState<D extends MacvlanLinkDesired>(d: D): D & MacvlanLinkState {
  // Placeholders ("" and 0) for what was never observed; parseMacvlanState knows them by ifindex 0.
  // announce: false, as the create may have stopped before setting it: the next write sets it.
  return definedOnly({
    ...d,
    announce: false,
    macAddress: d.macAddress ?? "",
    mtu: d.mtu ?? 0,
    txQueueLength: d.txQueueLength ?? 0,
    bcQueueLength: d.bcQueueLength ?? 0,
    ifindex: 0,
    kernelChosen: kernelChosenKeys.filter((key) => d[key] === undefined),
  });
}

/** Whether a state was never observed (see unverifiedMacvlanState). */
export const isUnverified = (state: MacvlanLinkState) => state.ifindex === 0;

/** The arguments a state stands for: what refresh hands back as inputs, and what the next plan starts from. */
export function macvlanInputsOf<D extends MacvlanLinkDesired>(state: D & MacvlanLinkState): D {
  const { ifindex: _ifindex, kernelChosen, ...args } = state;
  const inputs: D = { ...args } as unknown as D; // D without the two state-only keys: still a D
  for (const key of kernelChosen) delete (inputs as Partial<Record<KernelChosen, unknown>>)[key];
  return inputs;
}

const stateExtras = linkOutputs.extend({ txQueueLength: z.number().int(), bcQueueLength: z.number().int() });

const extrasOnlyWhenObserved = ["macAddress", "mtu", "txQueueLength", "bcQueueLength"];

/** A state read from Pulumi's checkpoint, checked like new inputs are. */
export function parseMacvlanState<D extends MacvlanLinkDesired>(spec: ArgsSpec<D>, stored: Record<string, unknown>): D & MacvlanLinkState {
  const props = asWrittenByEarlierVersions(stored);
  const extras = stateExtras.parse(props);
  // An unverified state (a create cut off) holds placeholders for what was never observed: not arguments.
  const unverified = props.ifindex === 0;
  const argProps = Object.fromEntries(
    Object.keys(spec.fields)
      .filter((key) => !(unverified && extrasOnlyWhenObserved.includes(key) && (props[key] === "" || props[key] === 0)))
      .map((key) => [key, props[key]]),
  );
  return { ...parseArgs(spec, argProps), ...extras };
}
