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
