// The recipe every resource follows, written once: check is the schema's, diff the planner's; create and
// update parse, plan, apply with the read-back in the same round trip, and turn what the host reports
// into the state; read observes; delete plans and applies. A resource gives its tables (a
// `ResourceLifecycle`) and gets handlers the compiler checks against Pulumi's ResourceProvider.
import type * as pulumi from "@pulumi/pulumi";
import { applyDelete, applyPlan } from "../apply";
import { runnerFor } from "../exec/connect";
import { Iproute2Error, type ErrorContext, type FailureKind } from "../exec/errors";
import type { CommandResult, Runner } from "../exec/runner";
import type { Connection } from "../model";
import { filledPart, planBootPart, removePartStep, type BootPart, type PinnedLink, type WrittenPart } from "../plan/bootPart";
import type { PropertyDiff } from "../plan/diff";
import type { CommandStep, IpStep, Step } from "../plan/steps";
import { hostLabel } from "../schema/connection";
import { parseArgs, validateArgs, type ArgsSpec } from "../schema/validate";
import { readPartBatched } from "../state/bootPart";
import type { ReadBack } from "../state/readBack";
import { noticeHostWithoutSystemd } from "./bootNotice";

type Props = Record<string, unknown>;

/** What every desired object and state has: a name, maybe a namespace, how to reach its host, and whether it is replayed at boot. */
export interface Located {
  name: string;
  netns?: string;
  persist: boolean;
  connection: Connection;
}

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
   * The existing object's state when `d` asks to take it over (`adopt: true`) and it may be (throws
   * when it may not); undefined to make the object.
   */
  adopt?(runner: Runner, d: D): Promise<S | undefined>;
  hint(d: D, failure: FailureKind, step: IpStep | undefined, verb: "create" | "adopt" | "update"): string | undefined;
  /** A part beyond the link's ip steps (Macvtap's device node), settled after each write and read. */
  devicePart?: DevicePart<D, S>;
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

export function defineHandlers<D extends Located, S extends Located, O>(lc: ResourceLifecycle<D, S, O>) {
  const context = (d: Located, verb: string) => contextOf(lc.spec.kind, d, verb);

  /** The part the host has for `state`, as the state says: none unless it was written. */
  function writtenPart(state: S): WrittenPart | undefined {
    if (!state.persist) return undefined;
    const part = lc.boot.part(lc.inputsOf(state));
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
    const steps = [...(current ? lc.plan.update(current, d) : lc.plan.create(d)), ...bootSteps(d, current)];
    const results = await applyPlan(runner, steps, {
      context: context(d, verb),
      readBack: lc.readBack(d, current !== undefined),
      hint: (failure, step) => lc.hint(d, failure, step, verb),
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
      if (olds.persist !== true) await noticeHostWithoutSystemd(result.args);
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
      // Taken over, it has no part of ours yet (something else made it).
      const adopted = await lc.adopt?.(runner, d);
      const existing = adopted && { ...adopted, persist: false };
      const state = await write(runner, d, existing, existing ? "adopt" : "create").catch((error: unknown) => {
        throw createFailure(error, inputs, context(d, "create"), id, () => unverifiedState(d));
      });
      const part = lc.devicePart;
      if (!part) return { id, outs: state };
      try {
        return { id, outs: await part.write(runner, d, state, undefined) };
      } catch (error) {
        const failure = createFailure(error, inputs, context(d, "create"), id, () => part.unsettled(d, state, existing !== undefined, error));
        if (failure !== error) throw failure;
        // The part's own plan took back what it did. A link this made is of no use without its part; one
        // taken over was there before (a VM may use it): it stays, and only what this wrote for boot goes.
        const takeBack = existing ? [removePartStep(lc.boot.file(d))] : deleteSteps(state);
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
      const d = lc.inputsOf(current);
      const runner = runnerFor(d.connection);
      const observed = await lc.read(runner, d, { batched: true, context: context(d, "read") });
      if (!observed || observed instanceof Stranger) {
        // Gone: so is its part, lest the next boot bring back what the stack no longer has; and what went
        // with it (a Macvtap's node, lest it open whichever device gets its numbers next): with a
        // stranger under the name, unless that is still our device (its parent renamed, say).
        const withIt = devicePartRemoval(current, { unlessLive: observed !== undefined });
        await applyDelete(runner, [...withIt, removePartStep(lc.boot.file(d))], context(d, "read"));
        return { id: "", props: {} };
      }
      const linkState = lc.stateOf(d, observed);
      const withDevice = lc.devicePart ? await lc.devicePart.read(runner, linkState, current) : linkState;
      // Replayed at boot only while its part says what was written, and something replays the parts.
      const written = writtenPart(current);
      let persist = false;
      if (written) {
        const onHost = await readPartBatched(runner, written.file);
        persist = onHost.replayed && onHost.text === written.text;
      }
      const state = { ...withDevice, persist };
      return { id, props: state, inputs: lc.inputsOf(state) };
    },

    async update(_id: string, olds: Props, news: Props): Promise<{ outs: S }> {
      const d = parseArgs(lc.spec, news);
      const runner = runnerFor(d.connection);
      const previous = lc.parseState(olds);
      let current: S | undefined = previous;
      if (lc.unverified.is(previous)) {
        // A create that was cut off: start from what the host has (maybe nothing).
        const before = lc.inputsOf(previous);
        const observed = await lc.read(runner, before, { batched: false, context: context(before, "read") });
        current = observed && !(observed instanceof Stranger) ? lc.stateOf(before, observed) : undefined;
      }
      const state = await write(runner, d, current, "update");
      return { outs: lc.devicePart ? await lc.devicePart.write(runner, d, state, previous) : state };
    },

    async delete(_id: string, props: Props): Promise<void> {
      const current = lc.parseState(props);
      const runner = runnerFor(current.connection);
      await applyDelete(runner, deleteSteps(current), context(current, "delete"));
    },
  };
  // Checked against Pulumi's interface here, by the compiler; callers keep the precise types.
  return handlers satisfies Required<Omit<pulumi.dynamic.ResourceProvider, "configure">>;
}
