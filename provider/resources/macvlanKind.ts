// What MacvlanLink and Macvtap share: a single link's lifecycle (singleLink.ts) on a parent, with their
// plans, state, hints and boot part (a Macvtap adds its device node to them); their arguments and outputs.
import type * as pulumi from "@pulumi/pulumi";
import type { FailureKind } from "../exec/errors";
import { kernelKindOf } from "../kinds";
import type { LinkObserved, MacvlanLinkDesired, MacvlanLinkState, MacvlanMode } from "../model";
import { macvlanPart } from "../plan/bootPart";
import { macvlanPropertyRules, planMacvlanClientStop, planMacvlanCreate, planMacvlanDelete, planMacvlanUpdate, type MacvlanKind } from "../plan/macvlanLink";
import { dhcpStatusCommand } from "../plan/dhcpProgram";
import type { PropertyRule } from "../plan/diff";
import type { CommandResult } from "../exec/runner";
import { dhcpObserved } from "../state/dhcpLease";
import type { ArgsSpec } from "../schema/validate";
import { isUnverified, macvlanInputsOf, macvlanStateOf, parseMacvlanState, unverifiedMacvlanState } from "../state/macvlanLink";
import type { ResourceLifecycle } from "./lifecycle";
import { where } from "../labels";
import { singleLinkOutputNames, SingleLinkResource, type SingleLinkArgs } from "./link";
import { singleLinkLifecycle } from "./singleLink";

/** Hints for a failed `ip link add` of a macvlan-kind link, in the words of its arguments. */
function addHint(d: MacvlanLinkDesired, kind: MacvlanKind, failure: FailureKind): string | undefined {
  if (failure === "not-found") {
    return `Check that parent "${d.parent}" exists in ${where(d.parentNetns)}${d.netns !== d.parentNetns ? ` and that ${where(d.netns)} exists` : ""}`;
  }
  if (failure === "invalid" && d.mtu !== undefined) {
    return `The kernel refused the link; mtu ${d.mtu} may exceed the parent's MTU (a ${kind} link's MTU cannot)`;
  }
  if (failure === "invalid" && d.mode === "passthru") {
    return `A passthru link must be its parent's only ${kind} child`;
  }
  return undefined;
}

/**
 * The lifecycle tables of a macvlan-kind link with arguments `spec` (its kind's kernel kind, from the
 * registry, is what its plans make), and diff rules for the arguments it adds (`ownRules`): a single
 * link's, on its parent.
 */
export function macvlanKindLifecycle<D extends MacvlanLinkDesired>(
  spec: ArgsSpec<D, "MacvlanLink" | "Macvtap">,
  ownRules: Record<string, PropertyRule> = {},
): ResourceLifecycle<D, D & MacvlanLinkState, LinkObserved> {
  const kind: MacvlanKind = kernelKindOf(spec.kind);
  return singleLinkLifecycle<D, D & MacvlanLinkState>({
    spec,
    parentOf: (d) => ({ netns: d.parentNetns, name: d.parent }),
    propertyRules: { ...macvlanPropertyRules, ...ownRules },
    plan: { create: (d) => planMacvlanCreate(d, kind), update: (current, d) => planMacvlanUpdate(current, d, kind), delete: (current) => planMacvlanDelete(current) },
    parseState: (props) => parseMacvlanState(spec, props),
    inputsOf: macvlanInputsOf,
    stateOf: macvlanStateOf,
    unverified: { stateOf: unverifiedMacvlanState, is: isUnverified },
    addHint: (d, failure) => addHint(d, kind, failure),
    bootPart: (d) => macvlanPart(d, kind),
    // A MacvlanLink's DHCP client, read when asked: a link without one pays no process for it (a dead
    // client's refresh turns `dhcp` off, and the next start takes its lease's address off first). A
    // Macvtap has none.
    ...(kind === "macvlan" && {
      ownRead: {
        commands: (d: D) => (d.dhcp ? [dhcpStatusCommand(d.netns, d.name)] : []),
        observe: (link: LinkObserved, results: CommandResult[]) => (results[0] ? { ...link, dhcp: dhcpObserved(results[0], link.name) } : link),
      },
      stopWhenGone: (state: D & MacvlanLinkState) => planMacvlanClientStop(state),
      // A client found dead keeps its lease in the state (and `dhcp: false`): read on while it has one.
      readsOf: (state: D & MacvlanLinkState) => ({ ...macvlanInputsOf(state), dhcp: state.dhcp || state.dhcpLease !== undefined }),
    }),
  });
}

export interface MacvlanLinkArgs extends SingleLinkArgs {
  /** The parent interface. Changing it replaces the link. */
  parent: pulumi.Input<string>;
  /** The namespace that holds the parent; the host's by default. Changing it replaces the link. */
  parentNetns?: pulumi.Input<string>;
  /** The namespace the link ends up in; `parentNetns` by default. */
  netns?: pulumi.Input<string>;
  /** Default "bridge", always sent to the kernel (whose own default is vepa). */
  mode?: pulumi.Input<MacvlanMode>;
  /** passthru only: leave the parent out of promiscuous mode. */
  nopromisc?: pulumi.Input<boolean>;
  /** source only: the source MACs whose frames this link receives. */
  sourceMacs?: pulumi.Input<pulumi.Input<string>[]>;
  bcQueueLength?: pulumi.Input<number>;
  /**
   * The bridge this link is a port of, by its name in the link's namespace (a `Bridge`'s `name`); unset:
   * none. Joins, leaves and moves between bridges in place. The kernel refuses it when the parent is a
   * bridge port itself (a link is a bridge port or a macvlan parent, never both). A macvlan port gets
   * only the frames its parent passes it (those for its own MAC, unless the mode is passthru): a veth
   * end is the usual port.
   */
  master?: pulumi.Input<string>;
}

/** A MacvlanLink's own arguments beyond a macvlan-kind link's. */
export interface DhcpArgs {
  /**
   * Run a DHCP client (IPv4) for this link in its namespace: udhcpc, with a PID and lease file of its
   * own per namespace and link, started after the link is up, outliving the deployment (a systemd
   * unit per client where systemd runs), stopped on delete (releasing the lease). Its address is added
   * beside the static `addresses`, its default route is `proto dhcp`; `dhcpLease` shows the lease. A
   * client found dead on refresh reads `dhcp: false`; the next up starts it. IPv6: SLAAC is the
   * kernel's; DHCPv6 is not offered. Needs `up: true` and the udhcpc package on the host.
   */
  dhcp?: pulumi.Input<boolean>;
}

/** The outputs every macvlan-kind link has beyond the arguments given (see linkOutputNames). */
export const macvlanOutputNames = [...singleLinkOutputNames, "bcQueueLength", "mode", "nopromisc", "sourceMacs"] as const;

/** The outputs MacvlanLink and Macvtap share: a single link's, and their parent's and mode's. */
export abstract class MacvlanKindResource extends SingleLinkResource {
  declare readonly parent: pulumi.Output<string>;
  declare readonly parentNetns: pulumi.Output<string | undefined>;
  declare readonly mode: pulumi.Output<string>;
  declare readonly nopromisc: pulumi.Output<boolean>;
  declare readonly sourceMacs: pulumi.Output<string[]>;
  declare readonly bcQueueLength: pulumi.Output<number>;
}
