// zod schemas of the single values our resources take. Each rule has its own message, so a failure says
// which rule a value broke, and values come out canonical (lower-case MACs, compressed IPv6) so that
// what we send, what iproute2 reports and what the user wrote compare equal.
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { isIPv6Address } from "../model";

const IFNAMSIZ = 16; // the kernel's limit, with the terminating NUL

// Characters that iproute2's batch parser treats specially (quotes, escapes, comments) are refused so
// every name can go into an `ip -batch` line as it is.
const batchSpecial = /["'\\#]/;

export const interfaceName = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .refine((s) => Buffer.byteLength(s) < IFNAMSIZ, "must be at most 15 bytes (IFNAMSIZ)")
  .refine((s) => s !== "." && s !== "..", 'must not be "." or ".."')
  .refine((s) => !s.includes("/"), 'must not contain "/"')
  .refine((s) => !s.includes(":"), 'must not contain ":"')
  .refine((s) => !/\s/.test(s), "must not contain whitespace")
  .refine((s) => /^[\x21-\x7e]+$/.test(s), "must be printable ASCII")
  .refine((s) => !batchSpecial.test(s), "must not contain quotes, backslashes or #")
  // The kernel takes a name with "%" for a pattern and fills in a free number (dev_alloc_name): "x%d"
  // becomes x0, so the link would not have the name asked for, nor could an undo find it by that name.
  // No link can be named with a "%", so a parent's name loses nothing by the rule either.
  .refine((s) => !s.includes("%"), 'must not contain "%" (the kernel reads it as a pattern: "x%d" would become x0)');

/**
 * What iproute2 reads as a process ID where it takes a namespace (`ip link add ... netns X`, `ip link
 * set ... netns X`) once no /run/netns/X exists: its get_integer(), strtol with base 0 that must use
 * the whole text. So decimal, octal ("010") and hex ("0x1"), signed or not ("+1"); "09" is not one.
 */
const readAsProcessId = /^[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

export const netnsName = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .refine((s) => s !== "." && s !== "..", 'must not be "." or ".."')
  .refine((s) => !s.includes("/"), 'must not contain "/"')
  .refine((s) => !/\s/.test(s), "must not contain whitespace")
  .refine((s) => /^[\x21-\x7e]+$/.test(s), "must be printable ASCII")
  .refine((s) => !batchSpecial.test(s), "must not contain quotes, backslashes or #")
  .refine((s) => !s.startsWith("-"), 'must not start with "-"')
  .refine((s) => !readAsProcessId.test(s), "must not be a number (iproute2 would take it for a process ID)");

export const macAddress = z
  .string({ error: "must be a string" })
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "must be six hex octets separated by colons")
  .transform((s) => s.toLowerCase())
  .refine((s) => s !== "00:00:00:00:00:00", "must not be all zeros")
  .refine((s) => (parseInt(s.slice(0, 2), 16) & 1) === 0, "must be unicast (the first octet's lowest bit clear)");

/** IPv6 text compressed as RFC 5952 §4 says (lower-case hex groups, the longest run of zeros as "::"): the WHATWG URL parser's. */
function compressedIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/**
 * IPv6 text in the one spelling iproute2 prints: compressed, and an IPv4-mapped address (::ffff:0:0/96)
 * with its last 32 bits dotted (RFC 5952 §5), as inet_ntop writes it in glibc and musl alike. The URL
 * parser alone would give ::ffff:a00:1 for ::ffff:10.0.0.1, and a state would hold a spelling `ip`
 * never shows.
 */
function canonicalIPv6(address: string): string {
  const compressed = compressedIPv6(address);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const [high, low] = [parseInt(mapped[1] ?? "0", 16), parseInt(mapped[2] ?? "0", 16)];
  return `::ffff:${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

export function canonicalIp(address: string): string {
  return isIPv6(address) ? canonicalIPv6(address) : address;
}

/** An address without a zone: iproute2 takes no "%zone" suffix, and the URL parser cannot canonicalise one. */
export function isIp(address: string): boolean {
  return !address.includes("%") && (isIPv4(address) || isIPv6(address));
}

/**
 * An address or `address/prefix` in its canonical spelling; anything else (`default`, a value a state
 * holds that is no address) as it is. For comparing stored values by what they mean.
 */
export function canonicalAddressText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const [address = "", prefix, extra] = value.split("/");
  if (extra !== undefined || !isIp(address) || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) return value;
  return prefix === undefined ? canonicalIp(address) : `${canonicalIp(address)}/${Number(prefix)}`;
}

/** The address's bytes, most significant first (4 for IPv4, 16 for IPv6). */
export function addressBytes(address: string): number[] {
  if (isIPv4(address)) return address.split(".").map(Number);
  const [head = "", tail] = compressedIPv6(address).split("::");
  const groups = (part: string | undefined) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const front = groups(head);
  const back = groups(tail);
  const all = tail === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** `address/prefix` with the host bits cleared: the network the kernel keeps for a route. */
export function networkOf(address: string, prefix: number): string {
  const bytes = addressBytes(address).map((byte, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return byte & (0xff << (8 - keep)) & 0xff;
  });
  if (bytes.length === 4) return bytes.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) * 256 + (bytes[2 * i + 1] ?? 0)).toString(16));
  return canonicalIPv6(groups.join(":"));
}

export function familyOf(address: string): 4 | 6 {
  return isIPv6Address(address) ? 6 : 4;
}

/** An interface address with its prefix, e.g. 10.0.0.1/24 or fd00::1/64. */
export const cidr = z
  .string({ error: "must be a string" })
  .regex(/^[^/]+\/\d{1,3}$/, "must be an address with a prefix length, like 10.0.0.1/24")
  .refine((s) => isIp(s.split("/")[0] ?? ""), "must start with a valid IPv4 or IPv6 address (no %zone)")
  .refine((s) => {
    const [ip = "", len = ""] = s.split("/");
    return Number(len) <= (isIPv6(ip) ? 128 : 32);
  }, "prefix length must be at most 32 (IPv4) or 128 (IPv6)")
  .transform((s) => {
    const [ip = "", len = ""] = s.split("/");
    return `${canonicalIp(ip)}/${Number(len)}`;
  });

export const ipAddress = z
  .string({ error: "must be a string" })
  .refine(isIp, "must be a valid IPv4 or IPv6 address (no %zone)")
  .transform(canonicalIp);

/**
 * An address to put on a link. IPv6 link-local ones (fe80::/10) are refused: the kernel makes one for
 * every link, and ours could not be told apart from it when reading back.
 */
export const interfaceAddress = cidr.refine(
  (s) => !/^fe[89ab][0-9a-f]:/i.test(s),
  "must not be an IPv6 link-local address (fe80::/10): the kernel manages those itself",
);

/**
 * A route destination: "default", a network, or a single address (a host route), in the spelling the
 * kernel reports: 0.0.0.0/0 is "default", and a network must have no host bits (the kernel refuses
 * them for IPv4 and silently clears them for IPv6).
 */
export const routeDestination = z
  .string({ error: "must be a string" })
  .transform((s, ctx) => {
    if (s === "default" || s === "0.0.0.0/0") return "default";
    const [ip = "", len, extra] = s.split("/");
    if (extra !== undefined || !isIp(ip)) {
      ctx.addIssue({ code: "custom", message: 'must be "default", an address, or an address/prefix' });
      return z.NEVER;
    }
    const max = isIPv6(ip) ? 128 : 32;
    const prefix = len === undefined ? max : Number(len);
    if (!/^\d{1,3}$/.test(len ?? String(max)) || prefix > max) {
      ctx.addIssue({ code: "custom", message: `prefix length must be at most ${max}` });
      return z.NEVER;
    }
    const network = networkOf(ip, prefix);
    if (network !== canonicalIp(ip)) {
      ctx.addIssue({ code: "custom", message: `must have no host bits set: write ${network}/${prefix}` });
      return z.NEVER;
    }
    return `${network}/${prefix}`;
  });

const u32 = 0xffffffff;
export const mtu = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(68, "must be at least 68 (the IPv4 minimum)")
  .max(65535, "must be at most 65535");
export const queueLength = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(0, "must not be negative")
  .max(u32, "must fit in 32 bits");
export const metric = queueLength;

export const flag = z.boolean({ error: "must be true or false" });

/**
 * `persist` as given: unset takes the connection's `persist` (a whole host can opt out), which each
 * spec's `complete` fills in with `persistOf`. Typed as the boolean it is once complete.
 */
export const persistFlag = flag.optional() as unknown as z.ZodType<boolean>;

/**
 * Who a resource's objects belong to (`project/stack/Kind/name`, filled in by the resource class): any
 * printable text, as its mark percent-encodes whatever a batch line or an alias could not hold.
 */
export const owner = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .refine((s) => [...s].length <= 200, "must be at most 200 characters")
  .refine((s) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(s), "must be printable (no control or format characters)");
