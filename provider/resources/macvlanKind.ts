// What MacvlanLink and Macvtap share: the same arguments, modes, rules and adopt, so the same lifecycle
// tables (a Macvtap adds its device node to them), and the outputs of the class users construct.
import * as pulumi from "@pulumi/pulumi";
import { hintFor, Iproute2Error, type FailureKind } from "../exec/errors";
import type { Runner } from "../exec/runner";
import { bootPartFile, routeFamily, routeKey, type MacvlanLinkDesired, type MacvlanLinkState, type MacvlanMode, type LinkObserved } from "../model";
import { macvlanPart } from "../plan/bootPart";
import { diffMacvlan, planMacvlanCreate, planMacvlanDelete, planMacvlanUpdate, type MacvlanKind } from "../plan/macvlanLink";
import type { IpStep } from "../plan/steps";
import type { ArgsSpec } from "../schema/validate";
import { asWrittenByEarlierVersions } from "../state/earlierVersions";
import { isUnverified, macvlanInputsOf, macvlanStateOf, parseMacvlanState, unverifiedMacvlanState } from "../state/macvlanLink";
import { readLinkBatched } from "../state/namespaceLinks";
import { linkFromResults, linkReadBack, readLinkAlone } from "../state/oneLink";
import { checkPeer } from "./declaredPeer";
import { contextOf, linkId, Stranger, type Existing, type ResourceLifecycle } from "./lifecycle";
import { singleLinkOutputNames, SingleLinkResource, type SingleLinkArgs } from "./link";

const where = (netns: string | undefined) => (netns !== undefined ? `netns "${netns}"` : "the host's namespace");

/** Hints for failures of a macvlan-kind plan, in the words of its arguments. */
function createHint(d: MacvlanLinkDesired, kind: MacvlanKind, failure: FailureKind, step: IpStep | undefined): string | undefined {
  const adding = step?.args[0] === "link" && step.args[1] === "add";
  if (adding && failure === "exists") {
    return `A link named "${d.name}" already exists in ${where(d.netns)}: choose another name, or set adopt: true to take it over`;
  }
  if (adding && failure === "not-found") {
    return `Check that parent "${d.parent}" exists in ${where(d.parentNetns)}${d.netns !== d.parentNetns ? ` and that ${where(d.netns)} exists` : ""}`;
  }
  if (adding && failure === "invalid" && d.mtu !== undefined) {
    return `The kernel refused the link; mtu ${d.mtu} may exceed the parent's MTU (a ${kind} link's MTU cannot)`;
  }
  if (adding && failure === "invalid" && d.mode === "passthru") {
    return `A passthru link must be its parent's only ${kind} child`;
  }
  return hintFor(failure, kind);
}

/** The lifecycle tables of a macvlan-kind link (`kind`: what the kernel calls it) with arguments `spec`. */
export function macvlanKindLifecycle<D extends MacvlanLinkDesired>(spec: ArgsSpec<D>, kind: MacvlanKind): ResourceLifecycle<D, D & MacvlanLinkState, LinkObserved> {
  const label = spec.kind;

  /** Whether `link` (link `d.name` as read) is on the parent `d` declares, in the namespace it declares. */
  function checkParent(runner: Runner, d: D, link: LinkObserved, batched: boolean) {
    const read = batched ? readLinkBatched : readLinkAlone;
    return checkPeer(runner, d.netns, link, { netns: d.parentNetns, name: d.parent, ifindexOf: async () => (await read(runner, d.parentNetns, d.parent))?.ifindex });
  }

  /** The link of `d`'s name, with every route (routes added by hand can be taken over). */
  async function existing(runner: Runner, d: D): Promise<Existing<D & MacvlanLinkState> | undefined> {
    const link = await readLinkAlone(runner, d.netns, d.name, true);
    return link && { aliases: [link.alias], ifindex: link.ifindex, takeOver: () => takeOver(runner, d, link) };
  }

  /** Takes over only a link of the same kind on the same parent. */
  async function takeOver(runner: Runner, d: D, existing: LinkObserved): Promise<D & MacvlanLinkState> {
    const ctx = contextOf(label, d, "adopt");
    const parent = await checkParent(runner, d, existing, false);
    if (existing.kind !== kind || !parent.declared) {
      throw new Iproute2Error(
        "exists",
        ctx,
        `link "${d.name}" exists but is ${existing.kind ?? "a plain link"} on ${parent.actual}, not ${kind} on "${d.parent}" in ${where(d.parentNetns)}`,
        "adopt takes over only a link of the same kind on the same parent; remove it or choose another name",
      );
    }
    // Routes of other protocols (added by hand, or by a daemon) are not ours: only those the program
    // asks for are taken over. Its announce settings are whatever they are: taken as unset, so the first
    // write sets them.
    const wanted = new Set(d.routes.map(routeKey));
    const routes = existing.routes.filter((r) => r.protocol === undefined || wanted.has(routeKey(r)));
    // Only a route added by hand is taken over, and only one `ip route replace` would keep as it is.
    const untakable = routes.find((r) => r.protocol !== undefined && (r.protocol !== "boot" || r.beyond !== undefined));
    if (untakable) {
      const route = `${untakable.to}${untakable.via !== undefined ? ` via ${untakable.via}` : ""} metric ${untakable.metric ?? 0}`;
      throw new Iproute2Error(
        "exists",
        ctx,
        `route ${route} exists with proto ${untakable.protocol}${untakable.beyond !== undefined ? ` and ${untakable.beyond}` : ""}`,
        untakable.protocol !== "boot"
          ? `adopt takes over only routes added by hand (proto boot): leave this one to ${untakable.protocol}, out of routes`
          : "adopt takes over only a route that `ip route replace ... proto static` keeps as it is: leave it out of routes, or remove it",
      );
    }
    return { ...macvlanStateOf(d, { ...existing, routes }), announce: false };
  }

  return {
    noun: "the link",
    spec,
    diff: (olds, news) => diffMacvlan(asWrittenByEarlierVersions(olds), news),
    idOf: linkId,
    parseState: (props) => parseMacvlanState(spec, props),
    inputsOf: macvlanInputsOf,
    plan: { create: (d) => planMacvlanCreate(d, kind), update: (current, d) => planMacvlanUpdate(current, d, kind), delete: planMacvlanDelete },
    // A new link has only the routes we give it: no need to list IPv6 routes when we give none.
    readBack: (d, fromExisting) => linkReadBack(d.netns, d.name, { ipv6Routes: fromExisting || d.routes.some((r) => routeFamily(r) === 6) }),
    observe: (results, d) => linkFromResults(results, d.name),
    async read(runner, d, { batched }) {
      const observed = batched ? await readLinkBatched(runner, d.netns, d.name) : await readLinkAlone(runner, d.netns, d.name);
      // Another kind by that name, or one on another parent (whatever its parent's ifindex): not ours.
      if (!observed) return undefined;
      if (observed.kind !== kind) return new Stranger(`a link of kind ${observed.kind ?? "none"}`);
      const parent = await checkParent(runner, d, observed, batched);
      return parent.declared ? observed : new Stranger(`a ${kind} link on ${parent.actual}, not on "${d.parent}" in ${where(d.parentNetns)}`);
    },
    stateOf: macvlanStateOf,
    unverified: { stateOf: unverifiedMacvlanState, is: isUnverified },
    existing,
    async owners(runner, d) {
      const link = await readLinkBatched(runner, d.netns, d.name);
      return link && { aliases: [link.alias], ifindex: link.ifindex };
    },
    aliases: (link) => [link.alias],
    ifindexOf: { observed: (link) => link.ifindex, state: (state) => state.ifindex },
    hint: (d, failure, step, verb) => (verb === "update" ? hintFor(failure, kind) : createHint(d, kind, failure, step)),
    boot: {
      part: (d) => macvlanPart(d, kind),
      pinned: (state) => [{ ifindex: state.ifindex, macAddress: state.macAddress }],
      file: (d) => bootPartFile({ kind: "link", netns: d.netns, name: d.name }),
    },
  };
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
