// The recipe every resource follows, written once: check is the schema's, diff the planner's; create and
// update parse, plan, apply with the read-back in the same round trip, and turn what the host reports
// into the state; read observes; delete plans and applies. A resource gives its tables (a
// `ResourceLifecycle`) and gets handlers the compiler checks against Pulumi's ResourceProvider.
// Owner marks (ownerMark.ts) are kept here too, once for every kind: a create that finds its own mark
// (or creation group) resumes, adopt and create refuse another's, and delete and refresh leave a
// stranger's object alone. A live create runs its plan as plan/liveCreate.ts says.
import type * as pulumi from "@pulumi/pulumi";
import { applyDelete, applyPlan } from "../apply";
import { runnerFor as realRunnerFor } from "../exec/connect";
import { Iproute2Error, objectAt, type ErrorContext, type FailureKind } from "../exec/errors";
import type { CommandResult, Runner } from "../exec/runner";
import { hostLabel } from "../labels";
import type { Connection } from "../model";
import { creationGroup, isCreationGroup, ownerMark, parseMark } from "../ownerMark";
import { claimStep, liveCreate } from "../plan/liveCreate";
import { filledPart, planBootPart, removePartStep, type BootPart, type PinnedLink, type WrittenPart } from "../plan/bootPart";
import type { PropertyDiff } from "../plan/diff";
import type { CommandStep, IpStep, Step } from "../plan/steps";
import { parseArgs, validateArgs, type ArgsSpec } from "../schema/validate";
import { asciiEscaped } from "../shape";
import { readPartBatched } from "../state/bootPart";
import { ReadError } from "../state/readError";
import type { ReadBack } from "../state/readBack";
import { noticeHostWithoutSystemd } from "./bootNotice";
import { warnUser } from "./engineLog";

type Props = Record<string, unknown>;

/** What every desired object and state has: a name, maybe a namespace, how to reach its host, and whether it is replayed at boot. */
export interface Located {
  name: string;
  netns?: string;
  persist: boolean;
  connection: Connection;
}

/** Who may take an object over, and whose it is: every desired object and state has these. */
export interface Owned {
  adopt: boolean;
  /** Unset in states from before marks (ownerMark.ts): their objects carry none. */
  owner?: string;
}

/**
 * An object found under a resource's name, before anything is decided: its aliases (where an owner's
 * mark is: the object's own first, a pair's peer after it) and how to take it over.
 */
export interface Existing<S> {
  aliases: (string | undefined)[];
  /**
   * The links behind `aliases`, in their order (a pair's peer may be missing), with their group: one a
   * create cut off between its add and its mark has the owner's creation group (ownerMark.ts) instead.
   */
  links?: (FoundLink | undefined)[];
  /** A link's own ifindex: with no mark, the same one as the state's is still its object (a person changed its alias). */
  ifindex?: number;
  /** Its state, taken over as it is; throws when it may not be (another kind, parent or peer). */
  takeOver(): Promise<S>;
}

/** A link found under a resource's name, where it is and its group (undefined: `default`, or a named one). */
export interface FoundLink {
  netns?: string;
  name: string;
  group?: number;
}

/**
 * `aliases` as marks: a link with no alias in `owner`'s creation group (its create was cut off between
 * its add and its mark, ownerMark.ts) counts as marked by `owner`, and is among `cutOff`, to be claimed;
 * with `anyOwners`, one in any owner's creation group (adopt takes unmarked links anyway).
 */
function asMarked(owner: string | undefined, aliases: (string | undefined)[], links: (FoundLink | undefined)[] = [], anyOwners = false): { aliases: (string | undefined)[]; cutOff: FoundLink[] } {
  if (owner === undefined) return { aliases, cutOff: [] };
  const isCutOff = (i: number) => {
    const group = links[i]?.group;
    return aliases[i] === undefined && (group === creationGroup(owner) || (anyOwners && isCreationGroup(group)));
  };
  return {
    aliases: aliases.map((alias, i) => (isCutOff(i) ? ownerMark(owner) : alias)),
    cutOff: links.filter((link, i): link is FoundLink => link !== undefined && isCutOff(i)),
  };
}

/** Whose an alias says an object is, for messages: an owner, or someone unknown. Host text is quoted. */
export function whoseAlias(alias: string | undefined): string {
  const mark = parseMark(alias);
  if (mark) return `marked by owner ${quoted(mark.owner)}`;
  return alias !== undefined ? `without a mark (its alias is ${quoted(alias)}): made by someone else` : "without a mark: made by someone else";
}

/** Host text in a message, quoted and in printable ASCII: a bidirectional control must not reorder what people read. */
const quoted = (text: string) => asciiEscaped(JSON.stringify(text));

/** The one error context: the verb, the object (`MacvlanLink "mac1"`), its namespace and its host. */
export function contextOf(label: string, d: Located, verb: string): ErrorContext {
  return { verb, object: `${label} "${d.name}"`, netns: d.netns, host: hostLabel(d.connection) };
}

/** A link's id: `netns/name`, or the name alone in the connection's own namespace. */
export const linkId = (d: Located) => (d.netns !== undefined ? `${d.netns}/${d.name}` : d.name);

/**
 * What a refresh found under the resource's name that is not its object (another kind, another parent or
 * peer): the resource is gone, but what is there is left as it is, with whatever goes with it (a node).
 */
export class Stranger {
  constructor(
    /** What is there, in words. */
    readonly what: string,
  ) {}
}

/** A resource's tables: what differs from one kind to the next. */
export interface ResourceLifecycle<D extends Located, S extends Located, O> {
  /** What the object is called when it vanishes: "the link". (Messages name it by `spec.kind`.) */
  noun: string;
  spec: ArgsSpec<D>;
  diff(olds: Props, news: Props): PropertyDiff;
  idOf(d: D): string;
  parseState(props: Props): S;
  /** The inputs a state stands for (what refresh gives back as inputs). */
  inputsOf(state: S): D;
  /**
   * What a refresh reads a state's object with: its inputs, and what may still run for it though its
   * inputs no longer ask (a dead DHCP client's lease: read on, so a later delete still stops it and
   * takes its address off). By default its inputs.
   */
  readsOf?(state: S): D;
  plan: { create(d: D): Step[]; update(current: S, d: D): Step[]; delete(current: S): Step[] };
  /** What a create or update reads back in its round trip; `fromExisting` when it did not make the object. */
  readBack(d: D, fromExisting: boolean): ReadBack;
  /** The object in the read-back's results, or undefined when it is gone. */
  observe(results: CommandResult[], d: D): O | undefined;
  /**
   * The object read from the host: for refresh (batched with others where it can be), or alone;
   * undefined when nothing has its name, a Stranger when what has it is not the object.
   */
  read(runner: Runner, d: D, how: { batched: boolean; context: ErrorContext }): Promise<O | Stranger | undefined>;
  stateOf(d: D, observed: O): S;
  /** A create cut off by a broken connection keeps this state: what was asked, never observed. */
  unverified: { stateOf(d: D): S; is(state: S): boolean };
  /**
   * What has `d`'s name on the host, read as adopt reads it (what `adopt: true` and a create that finds
   * its own mark take over, and what delete checks first), or undefined when nothing has.
   */
  existing(runner: Runner, d: D): Promise<Existing<S> | undefined>;
  /**
   * Whose what has `d`'s name is (its aliases, links and ifindex, as `existing` has them: without its
   * links, its own cut-off link would be taken for a stranger's), read with the other reads of its
   * namespace waiting at the same time (delete's check); `existing` where not given.
   */
  owners?(runner: Runner, d: D): Promise<Pick<Existing<S>, "aliases" | "ifindex" | "links"> | undefined>;
  /** The aliases of an object as read, its own first (a refresh compares its mark). */
  aliases(observed: O): (string | undefined)[];
  /** The links behind `aliases`, where the object is links (Existing's `links`, from a read). */
  links?(observed: O, d: D): (FoundLink | undefined)[];
  /**
   * A link's ifindex, as read and as the state has it: a link whose mark a person replaced (an alias of
   * their own, or none) is still the state's while it has the same one. A namespace has none (its `lo`'s
   * is always 1).
   */
  ifindexOf?: { observed(observed: O): number; state(state: S): number };
  hint(d: D, failure: FailureKind, step: IpStep | undefined, verb: "create" | "adopt" | "update"): string | undefined;
  /** A part beyond the link's ip steps (Macvtap's device node), settled after each write and read. */
  devicePart?: DevicePart<D, S>;
  /**
   * The steps that stop what runs for the object (a link's DHCP client, which would keep its PID and
   * lease files) when a refresh finds the object gone or not its own; delete's plan stops it itself.
   */
  stopWhenGone?(state: S): Step[];
  /**
   * Its part of the host's boot description (plan/bootPart.ts), from what is asked; and, from a state,
   * what the kernel gave the links it makes (the values its markers stand for).
   */
  boot: {
    part(d: D): BootPart;
    pinned(state: S): PinnedLink[];
    /** Its part's file alone (what delete removes), without rendering the part. */
    file(d: Located): string;
  };
}

export interface DevicePart<D, S> {
  /** After create or update: the state with the part settled. A create whose part fails is taken back. */
  write(runner: Runner, d: D, state: S, previous: S | undefined): Promise<S>;
  /**
   * After a create cut off while settling the part (`cause`: the error that cut it): the state to keep;
   * `adopted`: the object was there before.
   */
  unsettled(d: D, state: S, adopted: boolean, cause: unknown): S;
  /** After a refresh found the object: the state with the part as the host has it. */
  read(runner: Runner, state: S, previous: S): Promise<S>;
  /**
   * The steps that remove the part `state` stands for, run just before the object's own delete steps,
   * whenever the object goes: on delete, on a refresh that finds it gone, and when a create fails.
   */
  removal(state: S, options?: { unlessLive?: boolean }): Step[];
}

/**
 * What a create throws when it fails. Cut off mid-operation (the connection broke), its object may
 * exist: Pulumi keeps a resource whose create fails with an id and properties (an init error), so
 * refresh reads what the host has and the next up starts from that.
 */
function createFailure(error: unknown, inputs: Props, context: ErrorContext, id: string, kept: () => object): unknown {
  if (!(error instanceof Iproute2Error) || error.kind !== "interrupted") return error;
  // A new error: the one given may be shared by every operation of the broken session. The properties
  // go into the state as they are, so they carry the provider text too.
  return Object.assign(new Iproute2Error(error.kind, context, error.detail, error.hint, { cause: error }), {
    id,
    properties: { ...kept(), __provider: inputs.__provider },
    reasons: [error.message],
  });
}

/**
 * What the handlers reach the world through, given to them rather than built inside: the provider gets
 * the real one; a unit test hands in a scripted runner (test/support/scriptedRunner.ts) and runs the
 * whole lifecycle without root or a host. Another seam (a clock, the engine's log) joins it here.
 */
export interface HandlerContext {
  /** The runner every command for a connection's host goes through (check's look for systemd too). */
  runnerFor(connection: Connection): Runner;
}

/** The provider's context: the real runners (local or SSH). */
export const realHandlerContext: HandlerContext = { runnerFor: realRunnerFor };

export function defineHandlers<D extends Located & Owned, S extends Located & Owned, O>(lc: ResourceLifecycle<D, S, O>, { runnerFor }: HandlerContext = realHandlerContext) {
  const context = (d: Located, verb: string) => contextOf(lc.spec.kind, d, verb);

  /**
   * The object of `d`'s name to take over, or undefined: with `adopt: true`, any of the right kind but
   * one carrying another's mark (a person's alias is replaced, with a warning); to resume a create cut
   * off, only one carrying `d`'s own mark, or cut before it, its owner's creation group (claimed here:
   * marked, the group back to default). Its state has `owner` only where it is marked already, so the
   * write marks the rest (a pair's peer, marked in a second batch when in another namespace).
   */
  async function takeOver(runner: Runner, d: D, why: "adopt" | "resume"): Promise<S | undefined> {
    const found = await lc.existing(runner, d);
    if (!found) return undefined;
    const owner = d.owner;
    const ours = owner !== undefined ? ownerMark(owner) : undefined;
    const { aliases, cutOff } = asMarked(owner, found.aliases, found.links, why === "adopt");
    const another = aliases.find((alias) => parseMark(alias) !== undefined && alias !== ours);
    if (another !== undefined) {
      throw new Iproute2Error(
        "exists",
        context(d, why === "adopt" ? "adopt" : "create"),
        `"${d.name}" exists, ${whoseAlias(another)}`,
        "It belongs to another resource or stack: choose another name, or have its owner delete it or hand it over (its owner argument)",
      );
    }
    if (why === "resume" && aliases[0] !== ours) return undefined; // unmarked: refused as before
    if (ours !== undefined) {
      for (const alias of aliases.filter((a) => a !== undefined && parseMark(a) === undefined)) {
        await warnUser(`${why === "adopt" ? "adopt" : "create"} ${objectAt(context(d, why))}: its alias ${quoted(alias ?? "")} is replaced by the owner's mark "${ours}"`);
      }
    }
    const state = await found.takeOver();
    await claim(runner, owner, cutOff, context(d, why === "adopt" ? "adopt" : "create"));
    // Taken over, it has no part of ours yet (something else made it, or the part is rewritten anyway).
    return { ...state, owner: aliases.every((alias) => alias === ours) ? d.owner : undefined, persist: false };
  }

  /**
   * Whether what has the name of `state`'s object on the host is someone else's: it does not carry the
   * state's mark. A state from before marks owns whatever matches, as it did.
   */
  const strangersAlias = (state: S, aliases: (string | undefined)[], ifindex: number | undefined): { alias: string | undefined } | undefined =>
    state.owner !== undefined && aliases[0] !== ownerMark(state.owner) && !unmarkedButSame(state, aliases[0], ifindex) ? { alias: aliases[0] } : undefined;

  /** Whether what has the name is the state's own link with its mark replaced by a person: no mark, the same ifindex. */
  const unmarkedButSame = (state: S, alias: string | undefined, ifindex: number | undefined): boolean =>
    parseMark(alias) === undefined && ifindex !== undefined && ifindex > 0 && ifindex === lc.ifindexOf?.state(state);

  /**
   * Refuses an update of what has the name when it is not this resource's: with an owner in the state,
   * what does not carry its mark (nor the new owner's, set by an update cut off after its mark); from a
   * state before marks, what carries another owner's mark.
   */
  function refuseAnothers(d: D, previous: S, aliases: (string | undefined)[], ifindex: number | undefined): void {
    const own = [previous.owner, d.owner].flatMap((owner) => (owner !== undefined ? [ownerMark(owner)] : []));
    const alias = aliases[0];
    const anothers = previous.owner !== undefined ? !own.includes(alias ?? "") && !unmarkedButSame(previous, alias, ifindex) : parseMark(alias) !== undefined && !own.includes(alias ?? "");
    if (!anothers) return;
    throw new Iproute2Error(
      "exists",
      context(d, "update"),
      `what has the name "${previous.name}" is not this resource's: it is ${whoseAlias(alias)}`,
      "Nothing was changed. Run `pulumi refresh`, which takes the resource as gone; the next `pulumi up` makes it anew, or says what has its name",
    );
  }

  /** Marks the links a create was cut off making (asMarked's `cutOff`), their creation group back to default. */
  async function claim(runner: Runner, owner: string | undefined, cutOff: FoundLink[], ctx: ErrorContext): Promise<void> {
    if (owner === undefined || cutOff.length === 0) return;
    await applyPlan(runner, cutOff.map((link) => claimStep(link.netns, link.name, owner)), { context: ctx });
  }

  /**
   * Removing `state`'s part where a stranger's object has its name: only a part that carries the state's
   * mark is ours (another stack's object of that name on this host writes its part to the same file);
   * a state from before marks has only the file's name to go by.
   */
  async function ownPartRemoval(runner: Runner, state: S): Promise<Step[]> {
    const file = lc.boot.file(state);
    if (state.owner === undefined) return [removePartStep(file)];
    const onHost = await readPartBatched(runner, file);
    return onHost.text?.split(/\s/).includes(ownerMark(state.owner)) ? [removePartStep(file)] : [];
  }

  /** Whose what has `state`'s name is (delete's check), its failure in this resource's words. */
  async function owners(runner: Runner, state: S): Promise<Pick<Existing<S>, "aliases" | "ifindex" | "links"> | undefined> {
    try {
      return await (lc.owners ?? lc.existing)(runner, lc.inputsOf(state));
    } catch (error) {
      if (error instanceof Iproute2Error || error instanceof ReadError) throw error; // the handler names a read's
      throw new Iproute2Error("failed", context(state, "delete"), (error as Error).message, undefined, { cause: error });
    }
  }

  /** The part the host has for `state`, as the state says: none unless it was written. */
  function writtenPart(state: S): WrittenPart | undefined {
    if (!state.persist) return undefined;
    // As it was written: what a state still runs though its inputs no longer ask (a dead DHCP client)
    // was in it, and stays until an update that takes it off rewrites it.
    const part = lc.boot.part((lc.readsOf ?? lc.inputsOf)(state));
    return { file: part.file, text: filledPart(part, lc.boot.pinned(state)) };
  }

  /** After the ip steps from `current` (undefined: none) to `d`: the part written, moved or removed. */
  function bootSteps(d: D, current: S | undefined): CommandStep[] {
    const written = current && writtenPart(current);
    const wanted = d.persist ? lc.boot.part(d) : undefined;
    // Unchanged when it would say the same with the values the kernel gave: they stay unless the plan
    // moves the link (then its namespace changes the text anyway) or sets its MAC (the text has it).
    const unchanged = current !== undefined && written !== undefined && wanted?.file === written.file && filledPart(wanted, lc.boot.pinned(current)) === written.text;
    return planBootPart(written, wanted, unchanged);
  }

  /** The device part's removal (what goes with the object: a Macvtap's node), before the object goes. */
  const devicePartRemoval = (state: S, options?: { unlessLive?: boolean }): Step[] => lc.devicePart?.removal(state, options) ?? [];

  /** The object's delete plan, and its part removed (whatever the state says: an edited one too). */
  const deleteSteps = (state: S): Step[] => [...devicePartRemoval(state), ...lc.plan.delete(state), removePartStep(lc.boot.file(state))];

  /** A state as kept after a create cut off: its part may or may not have been written. */
  const unverifiedState = (d: D): S => ({ ...lc.unverified.stateOf(d), persist: false });

  /** Plans from `current` (or makes the object anew), applies, and reads back: the state, or an error. */
  async function write(runner: Runner, d: D, current: S | undefined, verb: "create" | "adopt" | "update"): Promise<S> {
    const steps = [...(current ? lc.plan.update(current, d) : liveCreate(lc.plan.create(d), d.owner)), ...bootSteps(d, current)];
    const results = await applyPlan(runner, steps, {
      context: context(d, verb),
      readBack: lc.readBack(d, current !== undefined),
      hint: (failure, step) => lc.hint(d, failure, step, verb),
      pinned: (readBack) => {
        const observed = lc.observe(readBack, d);
        return observed && lc.boot.pinned(lc.stateOf(d, observed));
      },
    });
    const observed = lc.observe(results, d);
    if (!observed) {
      const when = verb === "update" ? "during the update" : verb === "adopt" ? "right after it was taken over" : "right after it was made";
      throw new Iproute2Error("not-found", context(d, verb), `${lc.noun} vanished ${when}`);
    }
    return lc.stateOf(d, observed);
  }

  const handlers = {
    async check(olds: Props, news: Props): Promise<{ inputs: Props; failures?: pulumi.dynamic.CheckFailure[] }> {
      const result = validateArgs(lc.spec, news);
      if (!result.ok) return { inputs: news, failures: result.failures };
      // Only when it would start to be replayed at boot: a preview of an unchanged stack asks no host.
      // Once per host and run, and a few seconds at most (a host not made yet answers late or never).
      if (olds.persist !== true) await noticeHostWithoutSystemd(result.args, runnerFor);
      return { inputs: result.args as Props };
    },

    // A replacement deletes first, since the new object takes the same name.
    async diff(_id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
      const { changes, replaces } = lc.diff(olds, news);
      return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: Props): Promise<{ id: string; outs: S }> {
      const d = parseArgs(lc.spec, inputs);
      const runner = runnerFor(d.connection);
      const id = lc.idOf(d);
      const failed = (error: unknown) => createFailure(error, inputs, context(d, "create"), id, () => unverifiedState(d));
      const adopted = d.adopt ? await takeOver(runner, d, "adopt") : undefined;
      const state = await write(runner, d, adopted, adopted ? "adopt" : "create").catch(async (error: unknown) => {
        // The name is taken: by this resource's own create, cut off earlier (a kill), when it carries
        // our mark. Read only now, so a create that succeeds takes one round trip.
        const taken = !adopted && d.owner !== undefined && error instanceof Iproute2Error && error.kind === "exists";
        try {
          const resumed = taken ? await takeOver(runner, d, "resume") : undefined;
          if (!resumed) throw error;
          await warnUser(`resuming the create of ${lc.spec.kind} "${d.name}" cut off earlier: taking over what it made`);
          return await write(runner, d, resumed, "create");
        } catch (failure) {
          throw failed(failure);
        }
      });
      const part = lc.devicePart;
      if (!part) return { id, outs: state };
      try {
        return { id, outs: await part.write(runner, d, state, undefined) };
      } catch (error) {
        const failure = createFailure(error, inputs, context(d, "create"), id, () => part.unsettled(d, state, adopted !== undefined, error));
        if (failure !== error) throw failure;
        // The part's own plan took back what it did. A link this made is of no use without its part; one
        // taken over was there before (a VM may use it): it stays, and only what this wrote for boot goes.
        const takeBack = adopted ? [removePartStep(lc.boot.file(d))] : deleteSteps(state);
        await applyDelete(runner, takeBack, context(d, "delete")).catch((undoError: unknown) => {
          if (!(error instanceof Iproute2Error)) throw error;
          const undone = undoError instanceof Iproute2Error ? undoError.detail : String(undoError);
          throw new Iproute2Error(error.kind, error.context, `${error.detail}; taking ${lc.noun} back failed too (${undone}): check the host by hand`, error.hint, { cause: error });
        });
        throw failure;
      }
    },

    async read(id: string, props: Props): Promise<{ id: string; props: S | Props; inputs?: D }> {
      const current = lc.parseState(props);
      const d = (lc.readsOf ?? lc.inputsOf)(current);
      const runner = runnerFor(d.connection);
      // Its part is read at the same time as the object (a round trip fewer), and looked at only when
      // the object is there; a failure is kept, not left unhandled, until then.
      const written = writtenPart(current);
      const partRead = written && readPartBatched(runner, written.file).then((part) => () => part, (error: unknown) => (): never => { throw error; });
      const observed = await lc.read(runner, d, { batched: true, context: context(d, "read") });
      const found = observed instanceof Stranger ? undefined : observed;
      const marks = found && asMarked(current.owner, lc.aliases(found), lc.links?.(found, d));
      const stranger = found && marks ? strangersAlias(current, marks.aliases, lc.ifindexOf?.observed(found)) : undefined;
      if (stranger || observed instanceof Stranger) {
        const what = stranger ? whoseAlias(stranger.alias) : (observed as Stranger).what;
        await warnUser(`refresh ${objectAt(context(d, "read"))}: what has its name is not this resource's (${what}): taken as gone, and left alone`);
        // What went with ours (a Macvtap's node) stays only while what has the name is still our device
        // (its parent renamed, say): else it would open whichever device gets its numbers next.
        await applyDelete(runner, [...(lc.stopWhenGone?.(current) ?? []), ...devicePartRemoval(current, { unlessLive: true }), ...(await ownPartRemoval(runner, current))], context(d, "read"));
        return { id: "", props: {} };
      }
      if (!found) {
        // Gone: so is its part, lest the next boot bring back what the stack no longer has; and what went
        // with it (a Macvtap's node, lest it open whichever device gets its numbers next).
        await applyDelete(runner, [...(lc.stopWhenGone?.(current) ?? []), ...devicePartRemoval(current), removePartStep(lc.boot.file(d))], context(d, "read"));
        return { id: "", props: {} };
      }
      if (marks && marks.cutOff.length > 0) {
        // Its create was cut off before its mark, and its state kept: unverified (a broken connection), or
        // a pair's peer whose batch of its own never ran.
        await claim(runner, current.owner, marks.cutOff, context(d, "read"));
        await warnUser(`refresh ${objectAt(context(d, "read"))}: its create was cut off before its mark (its owner's creation group says it made it): marked now`);
      }
      const linkState = lc.stateOf(d, found);
      const withDevice = lc.devicePart ? await lc.devicePart.read(runner, linkState, current) : linkState;
      // Replayed at boot only while its part says what was written, and something replays the parts.
      let persist = false;
      if (written && partRead) {
        const onHost = (await partRead)();
        persist = onHost.replayed && onHost.text === written.text;
      }
      // Its mark replaced by a person (an alias of their own): still ours, shown without an owner, so
      // the next up marks it again.
      const remark = current.owner !== undefined && marks?.aliases[0] !== ownerMark(current.owner);
      if (remark) await warnUser(`refresh ${objectAt(context(d, "read"))}: its mark was replaced by hand (${whoseAlias(marks?.aliases[0])}); the next \`pulumi up\` marks it again`);
      const state = { ...withDevice, persist, ...(remark && { owner: undefined }) };
      return { id, props: state, inputs: lc.inputsOf(state) };
    },

    async update(_id: string, olds: Props, news: Props): Promise<{ outs: S }> {
      const d = parseArgs(lc.spec, news);
      const runner = runnerFor(d.connection);
      const previous = lc.parseState(olds);
      let current: S | undefined = previous;
      const before = lc.inputsOf(previous);
      if (lc.unverified.is(previous)) {
        // A create that was cut off: start from what the host has (maybe nothing).
        const observed = await lc.read(runner, before, { batched: false, context: context(before, "read") });
        const found = observed instanceof Stranger ? undefined : observed;
        const marks = found && asMarked(before.owner, lc.aliases(found), lc.links?.(found, before));
        if (found && marks) refuseAnothers(d, previous, marks.aliases, lc.ifindexOf?.observed(found));
        if (marks) await claim(runner, before.owner, marks.cutOff, context(d, "update"));
        // Marked only where it carries the mark already: the write marks the rest.
        const marked = marks?.aliases.every((alias) => before.owner !== undefined && alias === ownerMark(before.owner));
        current = found ? { ...lc.stateOf(before, found), owner: marked ? before.owner : undefined } : undefined;
      } else if (previous.owner !== undefined || d.owner !== undefined) {
        // What has the name must still be this resource's: an update never changes, nor marks, another's
        // (made under the name since ours went, without a refresh in between).
        const found = await lc.existing(runner, before);
        const marks = found && asMarked(previous.owner, found.aliases, found.links);
        if (found && marks) refuseAnothers(d, previous, marks.aliases, found.ifindex);
        if (marks) await claim(runner, previous.owner, marks.cutOff, context(d, "update"));
        // Its mark replaced by a person: the write marks it again.
        if (marks && previous.owner !== undefined && marks.aliases[0] !== ownerMark(previous.owner)) current = { ...previous, owner: undefined };
      }
      const state = await write(runner, d, current, "update");
      return { outs: lc.devicePart ? await lc.devicePart.write(runner, d, state, previous) : state };
    },

    async delete(_id: string, props: Props): Promise<void> {
      const current = lc.parseState(props);
      const runner = runnerFor(current.connection);
      // With an owner, only an object carrying its mark is this resource's: one made again by hand under
      // its name, or another stack's, stays. Deleting it was the wish: the resource leaves the stack.
      const found = current.owner !== undefined ? await owners(runner, current) : undefined;
      // One its create was cut off making before its mark (in its owner's creation group) is its too.
      const stranger = found && strangersAlias(current, asMarked(current.owner, found.aliases, found.links).aliases, found.ifindex);
      if (stranger) {
        await warnUser(`delete ${objectAt(context(current, "delete"))}: left alone what has its name (${whoseAlias(stranger.alias)}); the resource leaves the stack`);
        await applyDelete(runner, [...devicePartRemoval(current, { unlessLive: true }), ...(await ownPartRemoval(runner, current))], context(current, "delete"));
        return;
      }
      await applyDelete(runner, deleteSteps(current), context(current, "delete"));
    },
  };
  // A read's failure (state/readError.ts) leaves a handler in the resource's context, whichever read it was.
  const named = {
    ...handlers,
    create: inContextOf(handlers.create, (inputs) => {
      const d = parseArgs(lc.spec, inputs);
      return context(d, d.adopt ? "adopt" : "create");
    }),
    read: inContextOf(handlers.read, (_id, props) => context(lc.inputsOf(lc.parseState(props)), "read")),
    update: inContextOf(handlers.update, (_id, _olds, news) => context(parseArgs(lc.spec, news), "update")),
    delete: inContextOf(handlers.delete, (_id, props) => context(lc.parseState(props), "delete")),
  };
  // Checked against Pulumi's interface here, by the compiler; callers keep the precise types.
  return named satisfies Required<Omit<pulumi.dynamic.ResourceProvider, "configure">>;
}

/** `handler`, with a read's failure that leaves it put in the context `contextFor` gives for its arguments. */
function inContextOf<A extends unknown[], R>(handler: (...args: A) => Promise<R>, contextFor: (...args: A) => ErrorContext): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      throw error instanceof ReadError ? error.inContext(contextFor(...args)) : error;
    }
  };
}
