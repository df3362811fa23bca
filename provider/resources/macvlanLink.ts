// MacvlanLink: the handlers Pulumi calls (check -> schema, diff -> plan, create/update -> plan + apply
// + read back, read -> state, delete), and the resource class users construct.
import * as pulumi from "@pulumi/pulumi";
import { hintFor, Iproute2Error, type FailureKind } from "../exec/errors";
import { runnerFor } from "../exec/connect";
import type { Runner } from "../exec/runner";
import { applyDelete, applyPlan } from "../apply";
import { routeFamily, type MacvlanLinkDesired, type MacvlanLinkState, type Route } from "../model";
import { diffMacvlan, planMacvlanCreate, planMacvlanDelete, planMacvlanUpdate, type MacvlanKind } from "../plan/macvlanLink";
import type { IpStep } from "../plan/steps";
import { hostLabel } from "../schema/connection";
import { macvlanLinkArgs } from "../schema/macvlanLink";
import { parseArgs, type ArgsSpec } from "../schema/validate";
import { checkWith, createFailure, diffWith, outputSlots } from "./common";
import { isUnverified, macvlanInputsOf, macvlanStateOf, parseMacvlanState, unverifiedMacvlanState } from "../state/macvlanLink";
import { linkFromResults, linkReadBack, readLinkAlone } from "../state/oneLink";
import { readLinkBatched } from "../state/namespaceLinks";
import { providerShim } from "./shim";
import type { ConnectionArgs } from "./connectionArgs";
import { warnIfKeyInPlaintext } from "./warnings";

type Props = Record<string, unknown>;

function context(d: Pick<MacvlanLinkDesired, "name" | "netns" | "connection">, verb: string, label: string) {
  return { verb, object: `${label} "${d.name}"`, netns: d.netns, host: hostLabel(d.connection) };
}

function linkId(d: Pick<MacvlanLinkDesired, "name" | "netns">): string {
  return d.netns !== undefined ? `${d.netns}/${d.name}` : d.name;
}

const where = (netns: string | undefined) => (netns !== undefined ? `netns "${netns}"` : "the host's namespace");

/** Hints for failures of a macvlan-kind plan, in the words of its arguments. */
function createHint(d: MacvlanLinkDesired, kind: MacvlanKind) {
  return (failure: FailureKind, step: IpStep | undefined): string | undefined => {
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
  };
}

/**
 * Handlers shared by MacvlanLink and Macvtap: the same arguments, modes and rules. `unverifiedExtras`
 * are the kind's own outputs in the state kept for a create cut off by a broken connection.
 */
export function macvlanKindHandlers<D extends MacvlanLinkDesired>(options: { spec: ArgsSpec<D>; kind: MacvlanKind; unverifiedExtras?: Props }) {
  const { spec, kind, unverifiedExtras } = options;
  const label = spec.kind;

  async function adoptable(runner: Runner, d: D): Promise<MacvlanLinkState | undefined> {
    const ctx = context(d, "adopt", label);
    const existing = await readLinkAlone(runner, d.netns, d.name);
    if (!existing) return undefined;
    let parentMatches = existing.parentLink === d.parent;
    if (!parentMatches && existing.parentIndex !== undefined) {
      const parent = await readLinkAlone(runner, d.parentNetns, d.parent);
      parentMatches = parent?.ifindex === existing.parentIndex;
    }
    if (existing.kind !== kind || !parentMatches) {
      throw new Iproute2Error(
        "exists",
        ctx,
        `link "${d.name}" exists but is ${existing.kind ?? "a plain link"} on ${existing.parentLink ?? `ifindex ${existing.parentIndex}`}, not ${kind} on "${d.parent}"`,
        "adopt takes over only a link of the same kind on the same parent; remove it or choose another name",
      );
    }
    return macvlanStateOf(d, existing);
  }

  return {
    check: checkWith(spec),
    diff: diffWith(diffMacvlan),

    async create(inputs: Props) {
      const d = parseArgs(spec, inputs);
      const runner = runnerFor(d.connection);
      const adopted = d.adopt ? await adoptable(runner, d) : undefined;
      const steps = adopted ? planMacvlanUpdate(adopted, d, kind) : planMacvlanCreate(d, kind);
      const results = await applyPlan(runner, steps, {
        context: context(d, adopted ? "adopt" : "create", label),
        // A new link has only the routes we give it: no need to list IPv6 routes when we give none.
        readBack: linkReadBack(d.netns, d.name, { ipv6Routes: adopted !== undefined || d.routes.some((r) => routeFamily(r) === 6) }),
        hint: createHint(d, kind),
      }).catch((error: unknown) => {
        throw createFailure(error, inputs, context(d, "create", label), linkId(d), () => ({ ...unverifiedMacvlanState(d), ...unverifiedExtras }));
      });
      const observed = linkFromResults(results, d.name);
      if (!observed) throw new Iproute2Error("not-found", context(d, "create", label), "the link vanished right after it was made");
      return { id: linkId(d), outs: macvlanStateOf(d, observed) };
    },

    async read(id: string, props: Props) {
      const current = parseMacvlanState(spec, props);
      const d = macvlanInputsOf(current);
      const observed = await readLinkBatched(runnerFor(d.connection), current.netns, current.name);
      if (!observed || observed.kind !== kind) return { id: "", props: {} };
      const state = macvlanStateOf(d, observed);
      return { id, props: state, inputs: macvlanInputsOf(state) };
    },

    async update(_id: string, olds: Props, news: Props) {
      const d = parseArgs(spec, news);
      const runner = runnerFor(d.connection);
      let current: MacvlanLinkState | undefined = parseMacvlanState(spec, olds);
      if (isUnverified(current)) {
        // A create that was cut off: start from what the host has (maybe nothing).
        const observed = await readLinkAlone(runner, current.netns, current.name);
        current = observed?.kind === kind ? macvlanStateOf(macvlanInputsOf(current), observed) : undefined;
      }
      const results = await applyPlan(runner, current ? planMacvlanUpdate(current, d, kind) : planMacvlanCreate(d, kind), {
        context: context(d, "update", label),
        readBack: linkReadBack(d.netns, d.name),
        hint: (failure) => hintFor(failure, kind),
      });
      const observed = linkFromResults(results, d.name);
      if (!observed) throw new Iproute2Error("not-found", context(d, "update", label), "the link vanished during the update");
      return { outs: macvlanStateOf(d, observed) };
    },

    async delete(_id: string, props: Props) {
      const current = parseMacvlanState(spec, props);
      await applyDelete(runnerFor(current.connection), planMacvlanDelete(current), context(current, "delete", label));
    },
  };
}

export const macvlanLinkHandlers = macvlanKindHandlers({ spec: macvlanLinkArgs, kind: "macvlan" });

// ---- the resource users construct ----

export interface RouteArgs {
  /** "default", a CIDR, or an address. */
  to: pulumi.Input<string>;
  via?: pulumi.Input<string>;
  metric?: pulumi.Input<number>;
}

export interface MacvlanLinkArgs {
  /** Interface name; defaults to the resource name. */
  name?: pulumi.Input<string>;
  /** The parent interface. Changing it replaces the link. */
  parent: pulumi.Input<string>;
  /** The namespace that holds the parent; the host's by default. Changing it replaces the link. */
  parentNetns?: pulumi.Input<string>;
  /** The namespace the link ends up in; `parentNetns` by default. */
  netns?: pulumi.Input<string>;
  /** Default "bridge", always sent to the kernel (whose own default is vepa). */
  mode?: pulumi.Input<"bridge" | "private" | "vepa" | "passthru" | "source">;
  /** passthru only: leave the parent out of promiscuous mode. */
  nopromisc?: pulumi.Input<boolean>;
  /** source only: the source MACs whose frames this link receives. */
  sourceMacs?: pulumi.Input<pulumi.Input<string>[]>;
  /** Default: chosen by the kernel, reported, and kept across updates. */
  macAddress?: pulumi.Input<string>;
  mtu?: pulumi.Input<number>;
  txQueueLength?: pulumi.Input<number>;
  bcQueueLength?: pulumi.Input<number>;
  /** IPv4/IPv6 addresses with prefix, e.g. "10.0.0.2/24". */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  routes?: pulumi.Input<pulumi.Input<RouteArgs>[]>;
  /** Default true. */
  up?: pulumi.Input<boolean>;
  /** Take over an existing link of the same kind on the same parent instead of failing. */
  adopt?: pulumi.Input<boolean>;
  connection?: pulumi.Input<ConnectionArgs>;
}

/** The outputs every macvlan-kind link has; they are what the kernel reports after each operation. */
export const macvlanOutputNames = ["ifindex", "macAddress", "mtu", "txQueueLength", "bcQueueLength", "kernelChosen"] as const;

/** The outputs MacvlanLink and Macvtap share: every argument as the kernel has it, and ifindex. */
export abstract class MacvlanKindResource extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly parent: pulumi.Output<string>;
  declare readonly parentNetns: pulumi.Output<string | undefined>;
  declare readonly netns: pulumi.Output<string | undefined>;
  declare readonly mode: pulumi.Output<string>;
  declare readonly nopromisc: pulumi.Output<boolean>;
  declare readonly sourceMacs: pulumi.Output<string[]>;
  declare readonly macAddress: pulumi.Output<string>;
  declare readonly mtu: pulumi.Output<number>;
  declare readonly txQueueLength: pulumi.Output<number>;
  declare readonly bcQueueLength: pulumi.Output<number>;
  declare readonly addresses: pulumi.Output<string[]>;
  declare readonly routes: pulumi.Output<Route[]>;
  declare readonly up: pulumi.Output<boolean>;
  declare readonly ifindex: pulumi.Output<number>;
  /** Optional arguments left to the kernel (their outputs show what it chose). */
  declare readonly kernelChosen: pulumi.Output<string[]>;
}

export class MacvlanLink extends MacvlanKindResource {
  constructor(name: string, args: MacvlanLinkArgs, opts?: pulumi.CustomResourceOptions) {
    super(providerShim("MacvlanLink"), name, outputSlots(name, args, macvlanOutputNames), opts, "iproute2", "MacvlanLink");
    warnIfKeyInPlaintext(this, args.connection);
  }
}
