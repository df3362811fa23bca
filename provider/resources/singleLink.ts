// The lifecycle tables every single link kind shares (all but a pair), written once: read it (alone or in
// its namespace's batch) and know it for ours by its kernel kind and, where it is made on another link,
// that link (a macvlan's parent); adopt it (linkAdopt.ts); read it back; its owners and ifindex; its
// boot part's file and pins. A kind gives its arguments, plans, state functions, hints and boot part.
import { commandMessage, runOn } from "../apply";
import { classify, commandFailure, hintFor, Iproute2Error, sudoRefusal, type ErrorContext, type FailureKind } from "../exec/errors";
import { kernelKindOf, type LinkKind } from "../kinds";
import type { Command, CommandResult, Runner } from "../exec/runner";
import { bootPartFile, routeFamily, type LinkObserved, type SingleLinkDesired, type SingleLinkState } from "../model";
import { singleLinkPart, type BootPart } from "../plan/bootPart";
import { diffProperties, type PropertyRule } from "../plan/diff";
import { isMasterStep } from "../plan/linkSteps";
import type { IpStep, Step } from "../plan/steps";
import type { ArgsSpec } from "../schema/validate";
import { asWrittenByEarlierVersions } from "../state/earlierVersions";
import { readLinkBatched } from "../state/namespaceLinks";
import { linkFromResults, linkReadBack, readLinkAlone } from "../state/oneLink";
import { checkPeer } from "./declaredPeer";
import { contextOf, linkId, Stranger, type Existing, type FoundLink, type ResourceLifecycle } from "./lifecycle";
import { adoptedRoutes, asTakenOver, refuseNonBridgeMaster } from "./linkAdopt";
import { where } from "../labels";

type Tables<D extends SingleLinkDesired, S extends SingleLinkState<D>> = ResourceLifecycle<D, S, LinkObserved>;

/** What a single link kind gives; the rest of its lifecycle is every single link's. */
export interface SingleLinkKind<D extends SingleLinkDesired, S extends SingleLinkState<D>> {
  /**
   * Its arguments, named by its kind in the registry (kinds.ts), whose kernel kind (`ip -d link`'s) its
   * links have: a link of another kind by its name is not ours.
   */
  spec: ArgsSpec<D, LinkKind>;
  /** The link it is made on (a macvlan's parent), which a link by its name must be on to be ours; none for a link of its own. */
  parentOf?(d: D): { netns: string | undefined; name: string };
  /** Which of its properties update in place and which replace it (plan/diff.ts singleLinkPropertyRules, spliced with its own). */
  propertyRules: Record<string, PropertyRule>;
  plan: Tables<D, S>["plan"];
  parseState: Tables<D, S>["parseState"];
  inputsOf: Tables<D, S>["inputsOf"];
  readsOf?: Tables<D, S>["readsOf"];
  stateOf: Tables<D, S>["stateOf"];
  unverified: Tables<D, S>["unverified"];
  /** Its hints for a failed `ip link add`, beyond every link's (a name taken); undefined: the kind's generic one. */
  addHint?(d: D, failure: FailureKind): string | undefined;
  /** Its hints for a failed step of its own (its `type` changes), at create and update alike; undefined: the shared ones. */
  stepHint?(d: D, failure: FailureKind, step: IpStep | undefined): string | undefined;
  /** Its part of the boot description; by default its create plan's, made on its parent (plan/bootPart.ts singleLinkPart). */
  bootPart?(d: D): BootPart;
  /**
   * What it reads of its link beyond `ip -d addr show` (a vxlan's flood list, with `bridge`): commands
   * run after the link's read, in the same round trip where it can, and the link completed with their
   * results (as many, in order).
   */
  ownRead?: { commands(d: D): Command[]; observe(link: LinkObserved, results: CommandResult[]): LinkObserved };
  /** What stops what runs for its link (a DHCP client) when a refresh finds the link gone (lifecycle.ts). */
  stopWhenGone?(state: S): Step[];
  /** What a link of its kind has that it cannot describe (adopt refuses such a link: a replace or a boot would make it without), in words; undefined: nothing. */
  undescribed?(found: LinkObserved): string | undefined;
}

const isLinkAdd = (step: IpStep | undefined) => step?.args[0] === "link" && step.args[1] === "add";

/**
 * Hints for a failed `ip link set dev NAME master BRIDGE` (plan/linkSteps.ts masterStep), for every kind
 * that can be a port; undefined for another step.
 */
export function portHint(step: IpStep | undefined, failure: FailureKind): string | undefined {
  if (!step || !isMasterStep(step)) return undefined;
  const [name, bridge] = [step.args[3], step.args[5]];
  if (failure === "busy") {
    return `The kernel refuses "${name}" as a bridge port (master): a link that has macvlan or macvtap children, a macvlan whose parent is a bridge port, or a macvtap cannot be one`;
  }
  if (bridge === undefined) return undefined;
  if (failure === "not-found") return `Check that bridge "${bridge}" (master) exists in ${where(step.netns)}: a port and its bridge are in one namespace`;
  return `master "${bridge}" must be a bridge the kernel lets "${name}" join`;
}

/** The lifecycle tables of a single link kind. */
export function singleLinkLifecycle<D extends SingleLinkDesired, S extends SingleLinkState<D>>(k: SingleLinkKind<D, S>): Tables<D, S> {
  const { spec } = k;
  const kind = kernelKindOf(spec.kind);

  /**
   * `link` (of this kind) completed with the kind's own read, run now; undefined when it went meanwhile.
   * Its program (`bridge`) missing or refused by sudo fails naming it, as any command of ours.
   */
  async function withOwnRead(runner: Runner, d: D, link: LinkObserved, context: ErrorContext): Promise<LinkObserved | undefined> {
    if (!k.ownRead || link.kind !== kind) return link;
    const commands = k.ownRead.commands(d);
    if (commands.length === 0) return k.ownRead.observe(link, []);
    const results = await runOn(runner, commands, context);
    const failed = results.find((r) => r.exitCode !== 0);
    if (failed && sudoRefusal(failed) === undefined && classify(failed.stderr) === "not-found") return undefined;
    if (failed) throw commandFailure(failed, context, `${failed.command.argv.join(" ")} failed: ${commandMessage(failed)}`);
    return k.ownRead.observe(link, results);
  }

  /** The link in a read-back's results: the link's own read's, then (the last ones) the kind's. */
  function linkOfReadBack(results: CommandResult[], d: D): LinkObserved | undefined {
    const own = k.ownRead?.commands(d).length ?? 0;
    const link = linkFromResults(results.slice(0, results.length - own), d.name);
    return link && k.ownRead ? k.ownRead.observe(link, results.slice(results.length - own)) : link;
  }

  /** Whether `link` (link `d.name` as read) is on the link `d` declares as its parent; undefined when it has none. */
  function checkParent(runner: Runner, d: D, link: LinkObserved, batched: boolean) {
    const parent = k.parentOf?.(d);
    if (!parent) return undefined;
    const read = batched ? readLinkBatched : readLinkAlone;
    return checkPeer(runner, d.netns, link, { ...parent, ifindexOf: async () => (await read(runner, parent.netns, parent.name))?.ifindex }).then((check) => ({ ...check, parent }));
  }

  /** The link behind its alias, with its group (a create cut off before its mark left its owner's). */
  const linksOf = (link: LinkObserved, d: D): FoundLink[] => [{ netns: d.netns, name: d.name, group: link.group }];

  /** The link of `d`'s name, with every route (routes added by hand can be taken over). */
  async function existing(runner: Runner, d: D): Promise<Existing<S> | undefined> {
    const link = await readLinkAlone(runner, d.netns, d.name, true);
    return link && { aliases: [link.alias], links: linksOf(link, d), ifindex: link.ifindex, takeOver: async () => takeOver(runner, d, (await withOwnRead(runner, d, link, contextOf(spec.kind, d, "adopt"))) ?? link) };
  }

  /** Takes over only a link of the same kind (on the same parent). */
  async function takeOver(runner: Runner, d: D, found: LinkObserved): Promise<S> {
    const ctx = contextOf(spec.kind, d, "adopt");
    const parent = await checkParent(runner, d, found, false);
    if (found.kind !== kind || (parent && !parent.declared)) {
      const is = `${found.kind ?? "a plain link"}${parent ? ` on ${parent.actual}` : ""}`;
      const not = `${kind}${parent ? ` on "${parent.parent.name}" in ${where(parent.parent.netns)}` : ""}`;
      throw new Iproute2Error(
        "exists",
        ctx,
        `link "${d.name}" exists but is ${is}, not ${not}`,
        `adopt takes over only a link of the same kind${parent ? " on the same parent" : ""}; remove it or choose another name`,
      );
    }
    if (k.propertyRules.master !== undefined) await refuseNonBridgeMaster(runner, ctx, d.netns, found);
    const undescribed = k.undescribed?.(found);
    if (undescribed !== undefined) {
      throw new Iproute2Error(
        "exists",
        ctx,
        `link "${d.name}" has ${undescribed}, which a ${spec.kind} cannot describe`,
        "adopt takes over only a link its resource describes whole (a replace or a boot would make it without that): leave it to what made it, or remove it",
      );
    }
    return asTakenOver(k.stateOf(d, { ...found, routes: adoptedRoutes(ctx, d.routes, found) }));
  }

  return {
    noun: "the link",
    spec,
    diff: (olds, news) => diffProperties(k.propertyRules, asWrittenByEarlierVersions(olds), news),
    idOf: linkId,
    parseState: k.parseState,
    inputsOf: k.inputsOf,
    ...(k.readsOf && { readsOf: k.readsOf }),
    plan: k.plan,
    // A new link has only the routes we give it: no need to list IPv6 routes when we give none.
    readBack(d, fromExisting) {
      const read = linkReadBack(d.netns, d.name, { ipv6Routes: fromExisting || d.routes.some((r) => routeFamily(r) === 6) });
      return k.ownRead ? { ...read, extra: [...read.extra, ...k.ownRead.commands(d)] } : read;
    },
    observe: linkOfReadBack,
    async read(runner, d, { batched, context }) {
      const linkRead = batched ? await readLinkBatched(runner, d.netns, d.name) : await readLinkAlone(runner, d.netns, d.name);
      const observed = linkRead && (await withOwnRead(runner, d, linkRead, context));
      // Another kind by that name, or one on another parent (whatever its parent's ifindex): not ours.
      if (!observed) return undefined;
      if (observed.kind !== kind) return new Stranger(`a link of kind ${observed.kind ?? "none"}`);
      const parent = await checkParent(runner, d, observed, batched);
      return !parent || parent.declared ? observed : new Stranger(`a ${kind} link on ${parent.actual}, not on "${parent.parent.name}" in ${where(parent.parent.netns)}`);
    },
    stateOf: k.stateOf,
    unverified: k.unverified,
    existing,
    async owners(runner, d) {
      const link = await readLinkBatched(runner, d.netns, d.name);
      return link && { aliases: [link.alias], links: linksOf(link, d), ifindex: link.ifindex };
    },
    aliases: (link) => [link.alias],
    links: linksOf,
    ifindexOf: { observed: (link) => link.ifindex, state: (state) => state.ifindex },
    ...(k.stopWhenGone && { stopWhenGone: k.stopWhenGone }),
    hint(d, failure, step, verb) {
      const own = portHint(step, failure) ?? k.stepHint?.(d, failure, step);
      if (own !== undefined) return own;
      if (verb === "update") return hintFor(failure, kind);
      if (isLinkAdd(step) && failure === "exists") {
        return `A link named "${d.name}" already exists in ${where(d.netns)}: choose another name, or set adopt: true to take it over`;
      }
      return (isLinkAdd(step) ? k.addHint?.(d, failure) : undefined) ?? hintFor(failure, kind);
    },
    boot: {
      part: (d) => (k.bootPart ? k.bootPart(d) : singleLinkPart(spec.kind, d, k.plan.create, k.parentOf?.(d))),
      pinned: (state) => [{ ifindex: state.ifindex, macAddress: state.macAddress }],
      file: (d) => bootPartFile({ kind: "link", netns: d.netns, name: d.name }),
    },
  };
}
