// A single link's state (its outputs) from what was asked and what the kernel reports, and back: what
// every single link kind shares, written once. A kind gives its own outputs (a macvlan's mode, its
// broadcast queue length) and the optional arguments of its own the kernel picks when unset.
import { z } from "zod";
import { routeKey, type KernelChosen, type LinkObserved, type SingleLinkDesired, type SingleLinkState } from "../model";
import { parseArgs, type ArgsSpec } from "../schema/validate";
import { definedOnly, inPreferredOrder } from "../shape";
import { asWrittenByEarlierVersions } from "./earlierVersions";
import { linkOutputs } from "./linkOutputs";

/** The optional arguments of every single link that the kernel picks when the user gives none. */
const kernelChosenKeys = ["macAddress", "mtu", "txQueueLength"] as const satisfies KernelChosen[];

/** What a kind adds to a single link's state: its own outputs, and its own arguments the kernel may pick. */
export interface OwnOutputs {
  /** Its own outputs as the kernel reports them (and what it has no report of, as asked). */
  observed: Record<string, unknown>;
  /** Its own optional arguments the kernel picks when unset, after the shared ones in `kernelChosen`. */
  kernelChosen: readonly KernelChosen[];
}

const chosen = <D extends SingleLinkDesired>(d: D, own: readonly KernelChosen[]): KernelChosen[] =>
  [...kernelChosenKeys, ...own].filter((key) => (d as Partial<Record<KernelChosen, unknown>>)[key] === undefined);

/** The outputs: every argument as the kernel now has it, the ones only we know as asked, plus ifindex. */
export function singleLinkStateOf<D extends SingleLinkDesired, S extends SingleLinkState<D>>(d: D, o: LinkObserved, own: OwnOutputs): S {
  return definedOnly({
    ...d,
    name: o.name,
    ...own.observed,
    macAddress: o.macAddress,
    mtu: o.mtu,
    txQueueLength: o.txQueueLength,
    addresses: inPreferredOrder(o.addresses, d.addresses),
    routes: inPreferredOrder(o.routes, d.routes, routeKey),
    up: o.up,
    ifindex: o.ifindex,
    kernelChosen: chosen(d, own.kernelChosen),
  } as unknown as S);
}

/**
 * A state for a link whose create was cut off (the connection broke): what was asked, nothing observed
 * (`ifindex` 0, placeholders "" and 0 for the rest, `own.observed` the kind's). Pulumi keeps it, so
 * refresh reads what the host really has and the next update starts from that. announce: false, as the
 * create may have stopped before setting it: the next write sets it.
 */
export function unverifiedSingleLinkState<D extends SingleLinkDesired, S extends SingleLinkState<D>>(d: D, own: OwnOutputs): S {
  return definedOnly({
    ...d,
    announce: false,
    macAddress: d.macAddress ?? "",
    mtu: d.mtu ?? 0,
    txQueueLength: d.txQueueLength ?? 0,
    ...own.observed,
    ifindex: 0,
    kernelChosen: chosen(d, own.kernelChosen),
  } as unknown as S);
}

/** Whether a state was never observed (see unverifiedSingleLinkState). */
export const isUnverifiedLink = (state: { ifindex: number }) => state.ifindex === 0;

/** The arguments a state stands for: what refresh hands back as inputs, and what the next plan starts from. */
export function singleLinkInputsOf<D extends SingleLinkDesired>(state: SingleLinkState<D>): D {
  const { ifindex: _ifindex, kernelChosen, ...args } = state;
  const inputs: D = { ...args } as unknown as D; // D without the two state-only keys: still a D
  for (const key of kernelChosen) delete (inputs as Partial<Record<KernelChosen, unknown>>)[key];
  return inputs;
}

/**
 * A state read from Pulumi's checkpoint, checked like new inputs are; `extras`: the kind's own outputs'
 * schema; `placeholders`: its own arguments an unverified state holds placeholders of ("" or 0).
 */
export function parseSingleLinkState<D extends SingleLinkDesired, S extends SingleLinkState<D>>(
  spec: ArgsSpec<D>,
  stored: Record<string, unknown>,
  extras: z.ZodObject,
  placeholders: readonly string[],
): S {
  const props = asWrittenByEarlierVersions(stored);
  const outputSchema = linkOutputs.extend({ txQueueLength: z.number().int() }).extend(extras.shape);
  const outputs = outputSchema.parse(props);
  // An unverified state (a create cut off) holds placeholders for what was never observed: not arguments.
  const unverified = props.ifindex === 0;
  const placeheld = [...kernelChosenKeys, ...placeholders];
  // What the kernel chose is an output, as the kernel has it, not an argument the schema would take (a
  // bridge whose last port left has an all-zeros MAC): checked as an output only.
  const { kernelChosen } = linkOutputs.parse(props);
  const chosenOutput = (key: string) => kernelChosen.some((chosen) => chosen === key) && key in outputSchema.shape;
  const argProps = Object.fromEntries(
    Object.keys(spec.fields)
      .filter((key) => !(unverified && placeheld.includes(key) && (props[key] === "" || props[key] === 0)) && !chosenOutput(key))
      .map((key) => [key, props[key]]),
  );
  return { ...parseArgs(spec, argProps), ...outputs } as S;
}
