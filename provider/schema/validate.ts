// Validation of a resource's inputs, field by field, so that values that are still unknown during a
// preview pass through untouched while everything known is checked. Defaults are applied here, once.
import type { z } from "zod";
import { isIPv6Address } from "../model";

/** How @pulumi/pulumi's dynamic provider host hands a dynamic provider a value not yet known. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** A failed rule, in the shape Pulumi's CheckFailure takes: the field, and what is wrong with it. */
export interface Failure {
  property: string;
  reason: string;
}

/** A rule across fields; it is skipped while any field it reads is unknown. */
export interface CrossFieldRule<T> {
  reads: (keyof T & string)[];
  check(args: T): Failure | undefined;
}

export interface ArgsSpec<T, K extends string = string> {
  /** The resource kind, for messages; a link kind's names its kernel kind in the registry (kinds.ts). */
  kind: K;
  /** One schema per field, with its default; `undefined` must be accepted by optional fields. */
  fields: { [K in keyof T]-?: z.ZodType<T[K]> };
  rules: CrossFieldRule<T>[];
  /** Defaults that depend on other fields (a peer's netns defaults to the link's). */
  complete?: (args: T) => T;
}

export type Validated<T> = { ok: true; args: T; unknownFields: Set<string> } | { ok: false; failures: Failure[] };

/** Keys Pulumi adds to a dynamic resource's inputs; they are not arguments. */
const engineKeys = new Set(["__provider"]);

function pathText(field: string, path: PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === "number" ? `${text}[${part}]` : `${text}.${String(part)}`),
    field,
  );
}

/**
 * Checks `raw` against `spec`. Fields whose value is (or contains) Pulumi's unknown marker are kept
 * as they are and skipped, with every cross-field rule that reads them: during a preview, a netns
 * name may come from a resource not created yet.
 */
export function validateArgs<T>(spec: ArgsSpec<T>, raw: Record<string, unknown>): Validated<T> {
  const failures: Failure[] = [];
  const args: Record<string, unknown> = {};
  const unknownFields = new Set<string>();

  for (const key of Object.keys(raw)) {
    if (!engineKeys.has(key) && !(key in spec.fields)) {
      failures.push({ property: key, reason: `is not an argument of ${spec.kind}` });
    }
  }
  for (const [key, schema] of Object.entries(spec.fields) as [string, z.ZodType][]) {
    const value = raw[key];
    if (containsUnknown(value)) {
      unknownFields.add(key);
      args[key] = value;
      continue;
    }
    const parsed = schema.safeParse(value === null ? undefined : value);
    if (parsed.success) {
      if (parsed.data !== undefined) args[key] = parsed.data;
    } else {
      for (const issue of parsed.error.issues) {
        const reason = value === undefined && issue.code === "invalid_type" ? "is required" : issue.message;
        failures.push({ property: pathText(key, issue.path), reason });
      }
    }
  }
  if (failures.length === 0) {
    for (const rule of spec.rules) {
      if (rule.reads.some((key) => unknownFields.has(key))) continue;
      const failure = rule.check(args as T);
      if (failure) failures.push(failure);
    }
  }
  if (failures.length > 0) return { ok: false, failures };
  const complete = spec.complete ?? ((a: T) => a);
  return { ok: true, args: complete(args as T), unknownFields };
}

export class InvalidArgumentsError extends Error {
  constructor(
    readonly kind: string,
    readonly failures: Failure[],
  ) {
    super(`invalid ${kind} arguments: ${failures.map((f) => `${f.property} ${f.reason}`).join("; ")}`);
    this.name = "InvalidArgumentsError";
  }
}

/** For create/update, where every value is known: valid arguments, or an error naming each field. */
export function parseArgs<T>(spec: ArgsSpec<T>, raw: Record<string, unknown>): T {
  const result = validateArgs(spec, raw);
  if (!result.ok) throw new InvalidArgumentsError(spec.kind, result.failures);
  if (result.unknownFields.size > 0) {
    throw new InvalidArgumentsError(
      spec.kind,
      [...result.unknownFields].map((property) => ({ property, reason: "is still unknown" })),
    );
  }
  return result.args;
}

/**
 * IPv6 addresses need the link up: the kernel drops them while it is down (keep_addr_on_down is off by
 * default), so a down link could never be seen to have them.
 */
export function ipv6NeedsUp<T extends { up: boolean }>(field: keyof T & string): CrossFieldRule<T> {
  return {
    reads: [field, "up"],
    check: (a) =>
      !a.up && (a[field] as unknown as string[]).some(isIPv6Address)
        ? { property: field, reason: "IPv6 addresses need up: true (the kernel drops them while the link is down)" }
        : undefined,
  };
}

/** IPv6's minimum link MTU (RFC 8200): below it the kernel turns IPv6 off on the link. */
const ipv6MinimumMtu = 1280;

/**
 * IPv6 addresses need an MTU of at least 1280: below it the kernel disables IPv6 on the link and
 * refuses them, which would otherwise surface as a failed `ip addr add`, not as the MTU's fault.
 */
export function ipv6NeedsMtu<T extends { mtu?: number }>(field: keyof T & string): CrossFieldRule<T> {
  return {
    reads: [field, "mtu"],
    check: (a) =>
      a.mtu !== undefined && a.mtu < ipv6MinimumMtu && (a[field] as unknown as string[]).some(isIPv6Address)
        ? { property: "mtu", reason: `must be at least ${ipv6MinimumMtu} with IPv6 addresses in ${field} (IPv6's minimum link MTU)` }
        : undefined,
  };
}

/** A list whose items must not repeat (after canonicalisation: 10.0.0.1/24 twice, in any spelling). */
export function distinct<S extends z.ZodType<unknown[]>>(list: S) {
  return list.refine((items) => new Set(items.map((i) => JSON.stringify(i))).size === items.length, {
    message: "must not repeat an item",
  });
}
