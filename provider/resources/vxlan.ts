// Vxlan: a VXLAN tunnel end, a single link of its own (made on no other link) with the tunnel's fields,
// its flood list read with `bridge fdb`, and its underlay waited for at boot.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { FailureKind } from "../exec/errors";
import type { LinkObserved, VxlanDesired, VxlanState } from "../model";
import { singleLinkPart } from "../plan/bootPart";
import { inPreferredOrder } from "../shape";
import { planVxlanCreate, planVxlanDelete, planVxlanUpdate, vxlanPropertyRules } from "../plan/vxlan";
import { vxlanArgs } from "../schema/vxlan";
import { vxlanArgsObserved } from "../state/linkArgs";
import { vxlanFdbRead, withVxlanRemotes } from "../state/observeLink";
import { isUnverifiedLink, parseSingleLinkState, singleLinkInputsOf, singleLinkStateOf, unverifiedSingleLinkState } from "../state/singleLink";
import { defineHandlers } from "./lifecycle";
import { singleLinkOutputNames, SingleLinkResource, type SingleLinkArgs } from "./link";
import { where } from "../labels";
import { singleLinkLifecycle } from "./singleLink";

/** Its own outputs: the tunnel as the kernel has it (what it has no report of, as asked). */
function own(d: VxlanDesired, o?: LinkObserved) {
  const v = o && vxlanArgsObserved(o);
  // The flood list in the user's order (a set to the diff), or as asked where it was not read.
  const observed = v ? { ...v, remotes: v.remotes ? inPreferredOrder(v.remotes, d.remotes) : d.remotes } : {};
  return { observed, kernelChosen: [] };
}

function addHint(d: VxlanDesired, failure: FailureKind): string | undefined {
  if (failure === "not-found" && d.underlay !== undefined) return `Check that underlay "${d.underlay}" exists in ${where(d.netns)} (the tunnel's own namespace)`;
  // The kernel's "A VXLAN device with the specified VNI already exists." matches no usual kind.
  if (failure === "failed") return `Another vxlan in ${where(d.netns)} may have VNI ${d.vni} on port ${d.dstPort} already`;
  return undefined;
}

/** Its lifecycle tables (its boot part, its reads), for the handlers and for tests. */
export const vxlanLifecycle = singleLinkLifecycle<VxlanDesired, VxlanState>({
  spec: vxlanArgs,
  propertyRules: vxlanPropertyRules,
  plan: { create: planVxlanCreate, update: planVxlanUpdate, delete: planVxlanDelete },
  parseState: (props) => parseSingleLinkState(vxlanArgs, props, z.object({}), []),
  inputsOf: singleLinkInputsOf,
  stateOf: (d, o) => singleLinkStateOf(d, o, own(d, o)),
  unverified: { stateOf: (d) => unverifiedSingleLinkState(d, own(d)), is: isUnverifiedLink },
  addHint,
  // Made after its namespace and its underlay; its flood list replayed after it.
  bootPart: (d) => singleLinkPart("Vxlan", d, planVxlanCreate, d.underlay !== undefined ? { netns: d.netns, name: d.underlay } : undefined),
  undescribed: (found) => (found.vxlan && found.vxlan.beyond.length > 0 ? found.vxlan.beyond.join(", ") : undefined),
  ownRead: {
    commands: (d) => [vxlanFdbRead(d.netns, d.name)],
    observe: (link, [fdb]) => (fdb ? withVxlanRemotes(link, fdb) : link),
  },
});

export const vxlanHandlers = defineHandlers(vxlanLifecycle);

export interface VxlanArgs extends SingleLinkArgs {
  /**
   * The namespace the tunnel is made in, with its underlay; the host's by default. The kernel keeps a
   * tunnel's socket in the namespace that made it, so a change replaces it.
   */
  netns?: pulumi.Input<string>;
  /** The VXLAN network identifier, 0..16777215. Changing it replaces the link. */
  vni: pulumi.Input<number>;
  /**
   * The source address of the tunnel's packets. `local`, `remote` and `group` give the tunnel its address
   * family (none: IPv4); each changes in place within it, and a change of family replaces the link, as
   * does clearing the last end of an IPv6 tunnel.
   */
  local?: pulumi.Input<string>;
  /** The unicast remote end (not with `group`). In place within the tunnel's family (see `local`). */
  remote?: pulumi.Input<string>;
  /** A multicast group to flood to (not with `remote`); needs `underlay`. In place within the tunnel's family (see `local`). */
  group?: pulumi.Input<string>;
  /** UDP destination port, default 4789 (IANA's), always sent: the kernel's own default is 8472. Changing it replaces the link. */
  dstPort?: pulumi.Input<number>;
  /** The link the tunnel's packets leave by (`dev`), in the same namespace. Changing it replaces the link. */
  underlay?: pulumi.Input<string>;
  /** Default true: learn remote MACs from the packets received. In place. */
  learning?: pulumi.Input<boolean>;
  /**
   * More unicast ends to flood broadcast and unknown frames to (a unicast flood list), beyond `remote`;
   * kept as all-zero fdb entries. In place, one by one; refresh reports entries added or removed by hand.
   */
  remotes?: pulumi.Input<pulumi.Input<string>[]>;
  /** The bridge this tunnel end is a port of, by its name in the same namespace (a `Bridge`'s `name`); unset: none. In place. */
  master?: pulumi.Input<string>;
}

/** Its outputs beyond the arguments given (see linkOutputNames). */
export const vxlanOutputNames = [...singleLinkOutputNames, "dstPort", "learning", "remotes", "underlay", "local", "remote", "group", "master"] as const;

export class Vxlan extends SingleLinkResource {
  /** What the provider runs for this kind (impl.ts derives its map from these): not for programs. */
  static readonly handlers = vxlanHandlers;
  declare readonly vni: pulumi.Output<number>;
  declare readonly local: pulumi.Output<string | undefined>;
  declare readonly remote: pulumi.Output<string | undefined>;
  declare readonly group: pulumi.Output<string | undefined>;
  declare readonly dstPort: pulumi.Output<number>;
  declare readonly underlay: pulumi.Output<string | undefined>;
  declare readonly learning: pulumi.Output<boolean>;
  declare readonly remotes: pulumi.Output<string[]>;
  declare readonly master: pulumi.Output<string | undefined>;

  constructor(name: string, args: VxlanArgs, opts?: pulumi.CustomResourceOptions) {
    super("Vxlan", name, args, vxlanOutputNames, opts);
  }
}
