/**
 * `observed` in the order the same items have in `preferred`, then the rest: the kernel reports
 * addresses and MAC lists in its own order, and outputs in the user's order keep previews quiet.
 */
export function inPreferredOrder<T>(observed: T[], preferred: T[], key: (item: T) => string = (i) => JSON.stringify(i)): T[] {
  const rank = new Map(preferred.map((item, index) => [key(item), index]));
  const known = observed.filter((i) => rank.has(key(i))).sort((a, b) => (rank.get(key(a)) ?? 0) - (rank.get(key(b)) ?? 0));
  return [...known, ...observed.filter((i) => !rank.has(key(i)))];
}

/**
 * `value` without keys whose value is undefined. Pulumi's wire format (a protobuf Struct) has no
 * undefined, and an unset optional argument must read as absent, not as a value.
 */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * `text` in printable ASCII: every other UTF-16 unit as `\uXXXX`, which a JavaScript string or comment
 * reads back as it was. What a host names reaches a program, a message or a terminal only this way, so a
 * bidirectional control or an escape sequence cannot change what people read.
 */
export const asciiEscaped = (text: string) => text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/**
 * A kind's table from the one its kind shares (`shared`: the link base's fields, diff rules...): each
 * group of `after` goes right after the shared key it is filed under, so a kind's own entries sit by
 * the shared ones they go with (a parent by the name). A group may name a shared key to move it there.
 * The order is what messages and diffs list fields in: a kind keeps the order it always had.
 */
export function spliced<S extends object, G extends { [K in keyof S]?: object }>(shared: S, after: G): S & Intersection<NonNullable<G[keyof G]>> {
  const groups = after as Record<string, object | undefined>;
  const moved = new Set(Object.values(groups).flatMap((group) => Object.keys(group ?? {})));
  const entries = Object.entries(shared).flatMap(([key, value]) => [...(moved.has(key) ? [] : [[key, value]]), ...Object.entries(groups[key] ?? {})]);
  return Object.fromEntries(entries) as S & Intersection<NonNullable<G[keyof G]>>;
}
