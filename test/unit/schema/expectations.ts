// Assertions shared by the validation tables of every resource.
import { expect } from "vitest";
import { validateArgs, type ArgsSpec } from "../../../provider/schema/validate";

/** One bad input: the raw args, the property the failure must name, and a fragment of its reason. */
export interface BadRow {
  case: string;
  raw: Record<string, unknown>;
  property: string;
  reason: string;
}

export function expectFailure<T>(spec: ArgsSpec<T>, row: BadRow): void {
  const result = validateArgs(spec, row.raw);
  if (result.ok) expect.fail(`accepted ${JSON.stringify(row.raw)} as ${JSON.stringify(result.args)}`);
  expect(result.failures).toContainEqual({ property: row.property, reason: expect.stringContaining(row.reason) });
}

/** The fully defaulted, canonical args `raw` validates to; fails the test when it does not validate. */
export function validArgs<T>(spec: ArgsSpec<T>, raw: Record<string, unknown>): T {
  const result = validateArgs(spec, raw);
  if (!result.ok) expect.fail(`refused ${JSON.stringify(raw)}: ${JSON.stringify(result.failures)}`);
  return result.args;
}
