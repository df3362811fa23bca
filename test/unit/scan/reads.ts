// Host reads for the scan's unit tests: `ip`'s output recorded in the demo's lab
// (test/fixtures/scan/demo-lab.json, read while `bash scripts/demo.sh --keep` had the lab up), or
// written here in iproute2's JSON for cases a lab does not have, parsed as a scan parses them.
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { z } from "zod";
import type { CommandResult } from "../../../provider/exec/runner";
import type { HostRead } from "../../../provider/scan/layout";
import { namespaceReadCommands, parseNamespaceRead, type NamespaceRead } from "../../../provider/state/namespaceScan";

const commandResult = z.strictObject({
  command: z.strictObject({ argv: z.array(z.string()), stdin: z.string().optional() }),
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
});
const demoLab = z
  .record(z.string(), z.array(commandResult))
  .parse(JSON.parse(readFileSync(path.join(__dirname, "../../fixtures/scan/demo-lab.json"), "utf8")));

/** What TypeScript's parser finds wrong in a program (syntax only). */
export function syntaxErrors(program: string): string[] {
  const { diagnostics = [] } = ts.transpileModule(program, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.CommonJS } });
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

export function hostRead(namespaces: NamespaceRead[], scanned: (string | undefined)[]): HostRead {
  return { namespaces: new Map(namespaces.map((ns) => [ns.netns ?? "", ns])), scanned, tapNodes: new Map() };
}

/** The recorded results, by namespace. */
export const demoResults = (netns: string) => demoLab[netns] as CommandResult[];

/** The demo's lab: demo-lab (veth0, veth1 with 10.77.0.254/24), demo-ns1 (mac1) and demo-ns2 (mac2). */
export function demo(): HostRead {
  const names = ["demo-lab", "demo-ns1", "demo-ns2"];
  return hostRead(names.map((name) => parseNamespaceRead(name, demoResults(name))!), names);
}

/** The demo's lab as its stack ("demo" of the lab example) left it: every object carrying the stack's mark. */
export function markedDemo(): HostRead {
  const names = ["demo-lab", "demo-ns1", "demo-ns2"];
  const owners: Record<string, string> = {
    "demo-lab/lo": "NetNamespace/lab", "demo-ns1/lo": "NetNamespace/ns1", "demo-ns2/lo": "NetNamespace/ns2",
    "demo-lab/veth0": "VethPair/uplink", "demo-lab/veth1": "VethPair/uplink", "demo-ns1/mac1": "MacvlanLink/mac1", "demo-ns2/mac2": "MacvlanLink/mac2",
  };
  const marked = (netns: string) =>
    demoResults(netns).map((result, i) => {
      if (i !== 0) return result;
      const [links = "[]", ...rest] = result.stdout.split("\n");
      const withMarks = (JSON.parse(links) as { ifname: string }[]).map((l) => {
        const owner = owners[`${netns}/${l.ifname}`];
        return owner !== undefined ? { ...l, ifalias: `pulumi-iproute2:iproute2-lab/demo/${owner}` } : l;
      });
      return { ...result, stdout: [JSON.stringify(withMarks), ...rest].join("\n") };
    });
  return hostRead(names.map((name) => parseNamespaceRead(name, marked(name))!), names);
}

/**
 * A namespace's results as `ip` would print them: the batch (links, IPv4 routes, namespace ids), the
 * IPv6 routes, and the announce settings (`announcing`: links with both set to 1; others have 0).
 */
export function namespace(
  netns: string | undefined,
  links: { ifname: string }[],
  more: { v4?: object[]; v6?: object[]; ids?: object[]; announcing?: string[] } = {},
): NamespaceRead {
  const settings = links.flatMap((l) => {
    const value = more.announcing?.includes(l.ifname) ? 1 : 0;
    return [`${l.ifname}/arp_notify:${value}`, `${l.ifname}/ndisc_notify:${value}`];
  });
  const outputs = [
    [links, more.v4 ?? [], more.ids ?? []].map((doc) => JSON.stringify(doc)).join("\n"),
    JSON.stringify(more.v6 ?? []),
    settings.join("\n"),
  ];
  const results = namespaceReadCommands(netns).map((command, i) => ({ command, exitCode: 0, stdout: `${outputs[i]}\n`, stderr: "" }));
  return parseNamespaceRead(netns, results)!;
}
export const lo = { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP"], mtu: 65536, address: "00:00:00:00:00:00" };
export const link = (ifindex: number, ifname: string, more: object = {}) => ({ ifindex, ifname, flags: ["BROADCAST", "UP"], mtu: 1500, txqlen: 1000, address: `02:00:00:00:00:0${ifindex}`, ...more });
export const macvlan = (mode: string) => ({ linkinfo: { info_kind: "macvlan", info_data: { mode, bcqueuelen: 1000 } } });
export const veth = { linkinfo: { info_kind: "veth" } };

/**
 * Names a host can hold that would read otherwise than they are if shown raw (Trojan Source): bidi
 * overrides and isolates, zero-width and invisible characters, C0 and C1 controls (an ANSI escape), DEL,
 * a character beyond the BMP and a lone surrogate. The kernel takes any of them in a link's name (all
 * but "/", ":" and white space), and a namespace's name is a file name, line breaks and all.
 */
export const hostileNames = [
  "r\u202eab",
  "q\u2066x\u2069y",
  "z\u200bw",
  "b\ufeffom",
  "a\u0001b",
  "e\u001b[31m",
  "d\u007fel",
  "n\u0085l",
  "s\u{1f600}",
  "u\ud800",
];
/** Only namespace names can hold white space: a line break, and JavaScript's own line separator. */
export const hostileNamespaceNames = ["x\nprocess.exit(7)", "p\u2028s", "m\u202eu"];

/** Printable ASCII and line breaks only. */
export const printableAscii = /^[\x20-\x7e\n]*$/;
