// zod schemas of the parts of iproute2's JSON output we read (iproute2 6.x, `ip -j -d`). Fields we do
// not use pass through unchecked; the ones we use are checked, never cast.
import { z } from "zod";
import { ReadError } from "./readError";

export const addrInfo = z.looseObject({
  family: z.string(),
  local: z.string().optional(),
  prefixlen: z.number().int(),
  scope: z.string().optional(),
  /** Set on an address with a lifetime (SLAAC, DHCP). */
  dynamic: z.boolean().optional(),
});

export const macvlanInfoData = z.looseObject({
  mode: z.string(),
  nopromisc: z.boolean().optional(),
  bcqueuelen: z.number().int().optional(),
  macaddr_data: z.array(z.string()).optional(),
});

/** A bridge's own settings; `forward_delay` in centiseconds, `stp_state` 0 or 1. */
export const bridgeInfoData = z.looseObject({
  stp_state: z.number().int(),
  forward_delay: z.number().int(),
  vlan_filtering: z.number().int().optional(),
});

export const linkInfo = z.looseObject({
  info_kind: z.string().optional(),
  info_data: z.unknown().optional(),
});

/** One element of `ip -j -d addr show` (which is `link show` plus `addr_info`). */
export const linkWithAddresses = z.looseObject({
  ifindex: z.number().int(),
  ifname: z.string(),
  link: z.string().nullable().optional(),
  link_index: z.number().int().optional(),
  link_netnsid: z.number().int().optional(),
  flags: z.array(z.string()),
  mtu: z.number().int(),
  txqlen: z.number().int().optional(),
  address: z.string().optional(),
  /** The link's alias (`ip link set dev X alias TEXT`): where an owner's mark is. */
  ifalias: z.string().optional(),
  /** Its group: a number, or its name from /etc/iproute2/group ("default" for 0). */
  group: z.string().optional(),
  /** The bridge (or bond) it is a port of, by name in its own namespace. */
  master: z.string().optional(),
  linkinfo: linkInfo.optional(),
  addr_info: z.array(addrInfo).optional(),
});
export type LinkWithAddresses = z.infer<typeof linkWithAddresses>;

export const routeEntry = z.looseObject({
  dst: z.string(),
  dev: z.string().optional(),
  gateway: z.string().optional(),
  metric: z.number().int().optional(),
  protocol: z.string().optional(),
  type: z.string().optional(),
  flags: z.array(z.string()).optional(),
  scope: z.string().optional(),
  pref: z.string().optional(),
});

/**
 * Control characters iproute2's JSON writer leaves raw inside strings: it escapes only \b, \f, \n, \r
 * and \t, and a link's name may hold any byte but "/", ":" and white space (a container's root can name
 * one "a\x01b"). JSON allows none of them raw, and outside a string iproute2 writes none: escaped, the
 * document parses and the name reads as the kernel has it.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const rawControlCharacters = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const escapedControls = (line: string) => line.replace(rawControlCharacters, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * `ip -j` prints each command's result as one JSON document on its own line; a batch prints one line
 * per command.
 */
export function parseJsonLines<S extends z.ZodType>(stdout: string, schema: S, what: string): z.infer<S>[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      let json: unknown;
      try {
        json = JSON.parse(escapedControls(line));
      } catch (cause) {
        throw new ReadError("failed", `iproute2 printed something other than JSON for ${what} (document ${index + 1})`, { cause });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new ReadError("failed", `unexpected iproute2 JSON for ${what}: ${z.prettifyError(parsed.error)}`);
      }
      return parsed.data;
    });
}
