// The handler parts every resource shares: check is the schema's, diff is the planner's.
import { Iproute2Error, type ErrorContext } from "../exec/errors";
import type { PropertyDiff } from "../plan/diff";
import { validateArgs, type ArgsSpec } from "../schema/validate";

type Props = Record<string, unknown>;

/** check: the inputs validated and defaulted, or a failure per field (Pulumi prints each). */
export function checkWith<T>(spec: ArgsSpec<T>) {
  return async (_olds: Props, news: Props) => {
    const result = validateArgs(spec, news);
    return result.ok ? { inputs: result.args } : { inputs: news, failures: result.failures };
  };
}

/** diff: pure; a replacement deletes first, since the new one takes the same name. */
export function diffWith(diff: (olds: Props, news: Props) => PropertyDiff) {
  return async (_id: string, olds: Props, news: Props) => {
    const { changes, replaces } = diff(olds, news);
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
  };
}

/** The props a dynamic resource registers: the arguments, the name defaulted, and a slot per output. */
export function outputSlots(resourceName: string, args: object, outputs: readonly string[]): Record<string, unknown> {
  const slots = Object.fromEntries(outputs.map((key) => [key, undefined]));
  return { ...slots, ...args, name: (args as { name?: unknown }).name ?? resourceName };
}

/**
 * What a create throws when it fails. Cut off mid-operation (the connection broke), its object may
 * exist: Pulumi keeps a resource whose create fails with an id and properties (an init error), so
 * refresh reads what the host has and the next up starts from that. `unverified` is the state to keep:
 * what was asked, with placeholders the resource knows as "never observed".
 */
export function createFailure(error: unknown, inputs: Props, context: ErrorContext, id: string, unverified: () => Props): unknown {
  if (!(error instanceof Iproute2Error) || error.kind !== "interrupted") return error;
  // A new error: the one given may be shared by every operation of the broken session. The properties
  // go into the state as they are, so they carry the provider text too.
  return Object.assign(new Iproute2Error(error.kind, context, error.detail, error.hint, { cause: error }), {
    id,
    properties: { ...unverified(), __provider: inputs.__provider },
    reasons: [error.message],
  });
}
