// zod schemas of the single values our resources take. Each rule has its own message, so a failure says
// which rule a value broke, and values come out canonical (lower-case MACs, compressed IPv6) so that
// what we send, what iproute2 reports and what the user wrote compare equal.
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";

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
  .refine((s) => !batchSpecial.test(s), "must not contain quotes, backslashes or #");

export const netnsName = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .refine((s) => s !== "." && s !== "..", 'must not be "." or ".."')
  .refine((s) => !s.includes("/"), 'must not contain "/"')
  .refine((s) => !/\s/.test(s), "must not contain whitespace")
  .refine((s) => /^[\x21-\x7e]+$/.test(s), "must be printable ASCII")
  .refine((s) => !batchSpecial.test(s), "must not contain quotes, backslashes or #")
  .refine((s) => !s.startsWith("-"), 'must not start with "-"');

export const macAddress = z
  .string({ error: "must be a string" })
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "must be six hex octets separated by colons")
  .transform((s) => s.toLowerCase())
  .refine((s) => s !== "00:00:00:00:00:00", "must not be all zeros")
  .refine((s) => (parseInt(s.slice(0, 2), 16) & 1) === 0, "must be unicast (the first octet's lowest bit clear)");

/** IPv6 text in the RFC 5952 form iproute2 prints (the WHATWG URL parser does that compression). */
function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export function canonicalIp(address: string): string {
  return isIPv6(address) ? canonicalIPv6(address) : address;
}

export function familyOf(address: string): 4 | 6 {
  return isIPv6(address.split("/")[0] ?? "") ? 6 : 4;
}

/** An interface address with its prefix, e.g. 10.0.0.1/24 or fd00::1/64. */
export const cidr = z
  .string({ error: "must be a string" })
  .regex(/^[^/]+\/\d{1,3}$/, "must be an address with a prefix length, like 10.0.0.1/24")
  .refine((s) => {
    const [ip = ""] = s.split("/");
    return isIPv4(ip) || isIPv6(ip);
  }, "must start with a valid IPv4 or IPv6 address")
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
  .refine((s) => isIPv4(s) || isIPv6(s), "must be a valid IPv4 or IPv6 address")
  .transform(canonicalIp);

/** A route destination: "default", a CIDR, or a single address (a host route). */
export const routeDestination = z
  .string({ error: "must be a string" })
  .transform((s, ctx) => {
    if (s === "default") return s;
    const [ip = "", len, extra] = s.split("/");
    const v6 = isIPv6(ip);
    if (extra !== undefined || !(isIPv4(ip) || v6)) {
      ctx.addIssue({ code: "custom", message: 'must be "default", an address, or an address/prefix' });
      return z.NEVER;
    }
    const max = v6 ? 128 : 32;
    const prefix = len === undefined ? max : Number(len);
    if (!/^\d{1,3}$/.test(len ?? String(max)) || prefix > max) {
      ctx.addIssue({ code: "custom", message: `prefix length must be at most ${max}` });
      return z.NEVER;
    }
    return `${canonicalIp(ip)}/${prefix}`;
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
