// Pure diffs: old outputs (what the last operation or refresh observed) against new checked inputs,
// property by property, each property either updated in place or forcing a replacement.
import { isDeepStrictEqual } from "node:util";
import { targetOf } from "../schema/connection";
import { canonicalAddressText } from "../schema/fields";
import { containsUnknown } from "../schema/validate";
import { spliced } from "../shape";

export interface PropertyRule {
  /**
   * Compare regardless of order (addresses, a vxlan's remotes, source MACs, routes): each value counts as
   * often as it appears (the schema refuses a repeated address, MAC or remote).
   */
  set?: boolean;
  /** Optional and chosen by the kernel when unset: an unset new value is no change. */
  kernelChosenWhenUnset?: boolean;
  /**
   * The value in one spelling, applied to old and new alike before they are compared: a state may hold
   * a spelling the checked inputs no longer use (one written before the spelling changed).
   */
  canonical?: (value: unknown) => unknown;
  /**
   * Whether going from `old` to `new` needs a new resource; true for any change if omitted as `true`. It
   * sees all of the old and new properties too, for a verdict that depends on several (a tunnel's family).
   */
  replace?: boolean | ((old: unknown, next: unknown, olds: Record<string, unknown>, news: Record<string, unknown>) => boolean);
}

export interface PropertyDiff {
  changes: boolean;
  /** Properties that changed. */
  changed: string[];
  /** Properties whose change needs a replacement. */
  replaces: string[];
}

function sortedForSet(value: unknown): unknown {
  return Array.isArray(value) ? value.map((v) => JSON.stringify(v)).sort() : value;
}

export function diffProperties(
  rules: Record<string, PropertyRule>,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): PropertyDiff {
  const changed: string[] = [];
  const replaces: string[] = [];
  for (const [property, rule] of Object.entries(rules)) {
    const old = olds[property];
    const next = news[property];
    if (next === undefined && rule.kernelChosenWhenUnset) continue;
    const unknown = containsUnknown(next);
    const canonical = rule.canonical ?? ((v: unknown) => v);
    const view = (v: unknown) => (rule.set ? sortedForSet(canonical(v)) : canonical(v));
    if (!unknown && isDeepStrictEqual(view(old), view(next))) continue;
    changed.push(property);
    const replace = typeof rule.replace === "function" ? !unknown && rule.replace(old, next, olds, news) : rule.replace;
    // A value not known yet may turn out to need a replacement; say so rather than promise an update.
    if (replace || (unknown && rule.replace !== undefined && rule.replace !== false)) replaces.push(property);
  }
  return { changes: changed.length > 0, changed, replaces };
}

/** The diff rule of `connection`: another machine means a new resource; how we reach it does not. */
export const connectionRule: PropertyRule = {
  replace: (old: unknown, next: unknown) => targetOf(old) !== targetOf(next),
};

/** A list of addresses (CIDRs), compared as a set of values: ::ffff:a00:1/128 is ::ffff:10.0.0.1/128. */
export const addressesRule: PropertyRule = {
  set: true,
  canonical: (value) => (Array.isArray(value) ? value.map(canonicalAddressText) : value),
};

/** A list of routes, compared as a set, each destination and gateway by value. */
export const routesRule: PropertyRule = {
  set: true,
  canonical: (value) =>
    Array.isArray(value)
      ? value.map((route: unknown) =>
          route !== null && typeof route === "object" && !Array.isArray(route)
            ? Object.fromEntries(Object.entries(route).map(([key, v]) => [key, key === "to" || key === "via" ? canonicalAddressText(v) : v]))
            : route,
        )
      : value,
};

/** What every resource on a host diffs last: its adopt, persist and owner in place, its connection by machine. */
export const hostObjectPropertyRules = {
  adopt: {},
  persist: {},
  owner: {},
  connection: connectionRule,
} satisfies Record<string, PropertyRule>;

/**
 * Every link kind's shared fields, and whether a change is in place: all are, a rename and a move too
 * (a kind that cannot, a pair, says its own). A kind splices its own rules in (shape.ts `spliced`).
 */
export const linkPropertyRules = {
  name: {},
  netns: {},
  mtu: { kernelChosenWhenUnset: true },
  addresses: addressesRule,
  up: {},
  announce: {},
  nodad: {},
  ...hostObjectPropertyRules,
} satisfies Record<string, PropertyRule>;

/** A single link's: its MAC and queue length (the kernel's when unset) and its routes, in place. */
export const singleLinkPropertyRules = spliced(linkPropertyRules, {
  netns: { macAddress: { kernelChosenWhenUnset: true } },
  mtu: { txQueueLength: { kernelChosenWhenUnset: true } },
  addresses: { routes: routesRule },
}) satisfies Record<string, PropertyRule>;

/** A port's bridge (`master`): joined, left or changed in place. A kind that can be a port splices it in. */
export const portPropertyRules = {
  master: {},
} satisfies Record<string, PropertyRule>;
