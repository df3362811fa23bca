// A DHCP client as its program reports it (plan/dhcpProgram.ts `status`): whether it runs, then the lease
// file's lines, in the program's own format, written by its event program from what udhcpc formatted:
//   client running|stopped
//   format 1
//   address 10.93.0.108
//   prefix 24
//   gateway 10.93.0.1      (empty: the server gave no router)
//   server 10.93.0.1
//   lease 120
//   bound 1796554737       (when it was granted or renewed; not an output: it moves at every renewal)
// The values came from a DHCP server: each is checked here again, and a file that is not this format is
// an error that says so, never a guess.
import { isIPv4 } from "node:net";
import { z } from "zod";
import type { CommandResult } from "../exec/runner";
import type { DhcpLease, DhcpObserved } from "../model";

const ipv4 = z.string().refine((s) => isIPv4(s), "is not an IPv4 address");
const count = z.string().regex(/^\d{1,10}$/, "is not a whole number").transform(Number);

const leaseLines = z.object({
  format: z.literal("1", { error: "is not format 1 (a newer program's?)" }),
  address: ipv4,
  prefix: count.refine((n) => n <= 32, "is not a prefix length (0..32)"),
  gateway: z.union([z.literal(""), ipv4]),
  server: z.union([z.literal(""), ipv4]),
  lease: count,
});

/** The client's state from its `status` output; an unreadable report is an error naming the link. */
export function parseDhcpStatus(stdout: string, link: string): DhcpObserved {
  const [first = "", ...rest] = stdout.split("\n");
  const running = { "client running": true, "client stopped": false }[first];
  if (running === undefined) throw new Error(`the DHCP client of "${link}" reported ${JSON.stringify(first)}, not whether it runs`);
  const lines = rest.filter((line) => line !== "");
  if (lines.length === 0) return { running };
  const fields: Record<string, string> = {};
  for (const line of lines) {
    const space = line.indexOf(" ");
    const [key, value] = space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)];
    fields[key] = value;
  }
  const parsed = leaseLines.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the lease file of the DHCP client of "${link}" is not as its program writes it: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim());
  }
  const l = parsed.data;
  const lease: DhcpLease = {
    address: l.address,
    prefixLength: l.prefix,
    ...(l.gateway !== "" && { gateway: l.gateway }),
    server: l.server,
    leaseTime: l.lease,
  };
  return { running, lease };
}

/** A lease as a state keeps it (an output), checked when read from Pulumi's checkpoint. */
export const dhcpLeaseOutput = z.object({
  address: ipv4,
  prefixLength: z.number().int().min(0).max(32),
  gateway: ipv4.optional(),
  server: z.string(),
  leaseTime: z.number().int().min(0),
});

/** The client's state from the result of its `status` command (dhcpStatusCommand). */
export function dhcpObserved(result: CommandResult, link: string): DhcpObserved {
  if (result.exitCode !== 0) throw new Error(`reading the DHCP client of "${link}" failed: ${result.stderr.trim()}`);
  return parseDhcpStatus(result.stdout, link);
}
