// Bridge: a Linux bridge in any namespace, made straight in it, with the lifecycle every single link
// has (singleLink.ts). Its ports name it as their `master` (VethPair, MacvlanLink).
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { FailureKind } from "../exec/errors";
import type { BridgeDesired, BridgeState, LinkObserved } from "../model";
import { bridgePart, bridgePropertyRules, planBridgeCreate, planBridgeDelete, planBridgeUpdate } from "../plan/bridge";
import type { IpStep } from "../plan/steps";
import { bridgeArgs } from "../schema/bridge";
import { bridgeArgsObserved } from "../state/linkArgs";
import { isUnverifiedLink, parseSingleLinkState, singleLinkInputsOf, singleLinkStateOf, unverifiedSingleLinkState } from "../state/singleLink";
import { defineHandlers } from "./lifecycle";
import { singleLinkOutputNames, SingleLinkResource, type SingleLinkArgs } from "./link";
import { singleLinkLifecycle } from "./singleLink";

/** The outputs: a single link's, and the bridge's own as the kernel now has them. */
function bridgeStateOf(d: BridgeDesired, o: LinkObserved): BridgeState {
  const observed = bridgeArgsObserved(o);
  if (!observed) throw new Error(`link "${o.name}" is a ${o.kind ?? "plain"} link, not a bridge`);
  return singleLinkStateOf<BridgeDesired, BridgeState>(d, o, { observed, kernelChosen: [] });
}

/** The hint for the kernel's refusal of VLAN filtering (a kernel built without it refuses the attribute itself). */
function stepHint(_d: BridgeDesired, failure: FailureKind, step: IpStep | undefined): string | undefined {
  if (failure !== "failed" || !step?.args.includes("vlan_filtering")) return undefined;
  return "vlanFiltering needs a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING, which needs CONFIG_VLAN_8021Q); this one refused it (Operation not supported): set vlanFiltering: false";
}

/** Its lifecycle tables, for the handlers and for tests. */
export const bridgeLifecycle = singleLinkLifecycle<BridgeDesired, BridgeState>({
  spec: bridgeArgs,
  propertyRules: bridgePropertyRules,
  plan: { create: planBridgeCreate, update: planBridgeUpdate, delete: planBridgeDelete },
  parseState: (props) => parseSingleLinkState(bridgeArgs, props, z.object({}), []),
  inputsOf: singleLinkInputsOf,
  stateOf: bridgeStateOf,
  unverified: { stateOf: (d) => unverifiedSingleLinkState<BridgeDesired, BridgeState>(d, { observed: {}, kernelChosen: [] }), is: isUnverifiedLink },
  stepHint,
  bootPart: bridgePart,
});

export const bridgeHandlers = defineHandlers(bridgeLifecycle);

export interface BridgeArgs extends SingleLinkArgs {
  /** The namespace it is in; the host's by default. Changing it replaces the bridge (the kernel never moves one). */
  netns?: pulumi.Input<string>;
  /** Default: chosen by the kernel, following its ports (the lowest port MAC); set, it stays put. Never drift when unset. */
  macAddress?: pulumi.Input<string>;
  /** Default: the kernel's, following its ports (the smallest port MTU); set, it stays put. Never drift when unset. */
  mtu?: pulumi.Input<number>;
  /** Spanning tree; default false (ports forward at once). In place. */
  stp?: pulumi.Input<boolean>;
  /**
   * Seconds a new port spends listening and then learning before it forwards, while STP is on; default
   * 15 (the kernel's). In whole tenths of a second (the kernel keeps clock ticks: 15.01 would read back
   * as 15). 2 to 30 with stp (the kernel's range). Sent as centiseconds. In place.
   */
  forwardDelay?: pulumi.Input<number>;
  /**
   * Default false: VLAN filtering (802.1Q on the bridge's ports). Needs a kernel built with it; sent
   * only when true or when it changes (such a kernel refuses even `vlan_filtering 0`). In place.
   */
  vlanFiltering?: pulumi.Input<boolean>;
}

/** The outputs every bridge has beyond the arguments given (see linkOutputNames). */
export const bridgeOutputNames = [...singleLinkOutputNames, "stp", "forwardDelay", "vlanFiltering"] as const;

export class Bridge extends SingleLinkResource {
  declare readonly stp: pulumi.Output<boolean>;
  declare readonly forwardDelay: pulumi.Output<number>;
  declare readonly vlanFiltering: pulumi.Output<boolean>;
  /** What the provider runs for this kind (impl.ts derives its map from these): not for programs. */
  static readonly handlers = bridgeHandlers;

  constructor(name: string, args: BridgeArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super("Bridge", name, args, bridgeOutputNames, opts);
  }
}
