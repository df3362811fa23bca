// The handler parts every resource shares: check is the schema's, diff is the planner's.
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
