// Macvtap: a macvlan-kind link (same arguments, modes, rules and adopt as MacvlanLink) whose frames go
// to a character device a VM opens, plus that device's node: made where it is missing, repaired where
// stale, owned and moded as asked, checked on refresh, and removed on delete if this package made it.
import type * as pulumi from "@pulumi/pulumi";
import type { LinkObserved, MacvtapDesired, MacvtapState } from "../model";
import { macvtapArgs } from "../schema/macvtap";
import { macvlanInputsOf } from "../state/macvlanLink";
import { defineHandlers, type ResourceLifecycle } from "./lifecycle";
import { macvlanKindLifecycle, MacvlanKindResource, macvlanOutputNames, type MacvlanLinkArgs } from "./macvlanKind";
import { tapNodePart } from "./macvtapNode";
import { warnIfWorldAccessible } from "./warnings";

// Its node's arguments diff in place; the ones left to the system are the kernel's when unset.
const link = macvlanKindLifecycle(macvtapArgs, { tapOwner: { kernelChosenWhenUnset: true }, tapGroup: { kernelChosenWhenUnset: true }, tapMode: {}, tapDevicePath: {} });
/** The node's outputs before it is read: none yet. */
const noNodeYet = { tapDevice: "", tapDevNumbers: "", tapNodeCreated: false, tapNodeOwnerIds: "" };

/** Its lifecycle tables: a macvlan-kind link's, with the node's outputs and the node as its device part. */
export const macvtapLifecycle: ResourceLifecycle<MacvtapDesired, MacvtapState, LinkObserved> = {
  ...link,
  parseState: (props) => ({
    ...link.parseState(props),
    tapDevice: String(props.tapDevice ?? ""),
    tapDevNumbers: String(props.tapDevNumbers ?? ""),
    tapNodeCreated: props.tapNodeCreated === true,
    // "" in a state of an earlier version: its node is recognised by its numbers alone.
    tapNodeOwnerIds: typeof props.tapNodeOwnerIds === "string" ? props.tapNodeOwnerIds : "",
  }),
  // The node's outputs go, and so do the arguments left to the system.
  inputsOf: ({ tapDevice: _d, tapDevNumbers: _n, tapNodeCreated: _c, tapNodeOwnerIds: _o, ...state }) => macvlanInputsOf(state),
  stateOf: (d, observed) => ({ ...link.stateOf(d, observed), ...noNodeYet }),
  unverified: { stateOf: (d) => ({ ...link.unverified.stateOf(d), ...noNodeYet }), is: link.unverified.is },
  existing: async (runner, d) => {
    const found = await link.existing(runner, d);
    return found && { ...found, takeOver: async () => ({ ...(await found.takeOver()), ...noNodeYet }) };
  },
  devicePart: tapNodePart,
};

export const macvtapHandlers = defineHandlers(macvtapLifecycle);

/** A macvlan-kind link's arguments but `master`: a macvtap cannot be a bridge port. */
export interface MacvtapArgs extends Omit<MacvlanLinkArgs, "master"> {
  /** uid or user name of the device node, so an unprivileged QEMU can open it. */
  tapOwner?: pulumi.Input<string | number>;
  /** gid or group name of the device node. */
  tapGroup?: pulumi.Input<string | number>;
  /** Octal mode of the node; default "0600". */
  tapMode?: pulumi.Input<string>;
  /** Where to put the node, if not /dev/tap<ifindex>. */
  tapDevicePath?: pulumi.Input<string>;
}

/** A MacvlanLink's outputs, and its device node's. */
export class Macvtap extends MacvlanKindResource {
  /** What the provider runs for this kind (impl.ts derives its map from these): not for programs. */
  static readonly handlers = macvtapHandlers;

  /** The node QEMU opens, e.g. `-netdev tap,id=n0,fd=3 3<>/dev/tap12`. */
  declare readonly tapDevice: pulumi.Output<string>;
  /** "major:minor" of the character device, from /sys/class/net/<name>/macvtap/tap<ifindex>/dev. */
  declare readonly tapDevNumbers: pulumi.Output<string>;
  declare readonly tapOwner: pulumi.Output<string>;
  declare readonly tapGroup: pulumi.Output<string>;
  declare readonly tapMode: pulumi.Output<string>;
  /** Whether this package made the node (and so removes it on delete). */
  declare readonly tapNodeCreated: pulumi.Output<boolean>;

  constructor(name: string, args: MacvtapArgs, opts?: pulumi.CustomResourceOptions) {
    super("Macvtap", name, args, [...macvlanOutputNames, "tapDevice", "tapDevNumbers", "tapNodeCreated", "tapOwner", "tapGroup", "tapMode"], opts);
    warnIfWorldAccessible(this, args.tapMode);
  }
}
