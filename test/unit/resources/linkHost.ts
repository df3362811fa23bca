// What a host answers to a lifecycle's reads of a macvlan-kind link, built from what real iproute2
// printed (test/fixtures/iproute2, made by record.sh): the recorded link with this test's name, index
// and alias, and the recorded "does not exist" for a link that is not there.
import type { Command } from "../../../provider/exec/runner";
import type { Answer, Reply } from "../../support/scriptedRunner";
import { linkFixtureOf } from "../fixtures";

/** A link as a test's host has it. */
export interface HostLink {
  name: string;
  ifindex: number;
  /** Its parent, in its own namespace. */
  parent: string;
  kind: "macvlan" | "macvtap";
  /** Its alias: an owner's mark, or a person's text; none when unset. */
  alias?: string;
  /** Default true. */
  up?: boolean;
}

const recordedLink = (kind: HostLink["kind"]): Record<string, unknown> => {
  const [document = ""] = linkFixtureOf(kind === "macvlan" ? "macvlan-bridge" : "macvtap-bridge").results[0]?.stdout.split("\n") ?? [];
  const [link] = JSON.parse(document) as Record<string, unknown>[];
  if (!link) throw new Error(`the ${kind} fixture holds no link`);
  return link;
};

/** `ip -j -d addr show dev NAME`'s document for `link`: the recorded one, renamed, without its addresses. */
export function linkDocument(link: HostLink): string {
  const recorded = recordedLink(link.kind);
  const flags = link.up === false ? ["BROADCAST", "MULTICAST"] : ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"];
  const renamed = { ifindex: link.ifindex, ifname: link.name, link: link.parent, flags, addr_info: [], ...(link.alias !== undefined && { ifalias: link.alias }) };
  return JSON.stringify([{ ...recorded, ...renamed }]);
}

/** Whether `command` is a batch in `netns` whose lines include `line`. */
const batchWith = (netns: string, line: string) => (command: Command) =>
  command.argv.includes("-batch") && command.argv.join(" ").includes(`-n ${netns} `) && (command.stdin ?? "").split("\n").includes(line);

/**
 * Answers to every read of `name` in `netns` (alone, in a plan's read-back, or in a refresh's batch):
 * `link` as the host has it, or (undefined) iproute2's "does not exist". Each answers `times` reads.
 */
export function linkReads(netns: string, name: string, link: HostLink | undefined, times?: number): Answer[] {
  const missing = `Device "${name}" does not exist.\nCommand failed -:1\n`;
  const ownRead: Reply = link ? { stdout: `${linkDocument(link)}\n[]\n` } : { exitCode: 1, stderr: missing };
  return [
    // A refresh's batch (-force): the links asked for, the namespace's routes and ids.
    {
      when: (c) => c.argv.includes("-force") && batchWith(netns, `addr show dev ${name}`)(c),
      reply: link ? { stdout: `${linkDocument(link)}\n[]\n[]\n` } : { exitCode: 1, stdout: "[]\n[]\n", stderr: missing },
      times,
    },
    // A plan's read-back, or a read on its own: the link with its addresses, then its routes.
    { when: batchWith(netns, `addr show dev ${name}`), reply: ownRead, times },
    // Its IPv6 routes, or a namespace's.
    { when: new RegExp(`^ip -j (-d )?-6 -n ${netns} route show`), reply: { stdout: "[]\n" }, times },
  ];
}
