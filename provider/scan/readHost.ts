// Reading what a scan needs from a host, through the same Runner as every resource (locally, or over
// SSH with the same host-key rules): the namespaces asked for, one round trip each, then the ones
// their links refer to, then the macvtaps' device nodes and each namespace's announce settings. Read
// only: nothing here changes the host.
import type { Command, CommandResult, Runner } from "../exec/runner";
import type { TapNodeObserved } from "../model";
import { namespaceListCommand, namespaceReadCommands, parseNamespaceList, parseNamespaceRead, type NamespaceRead } from "../state/hostLayout";
import { devNumbersCommand, nodeStatCommand, parseDevNumbers, parseNodeStat } from "../state/tapNode";
import { netnsKey, refKey, where, type HostRead, type ScannedTapNode } from "./layout";

/** A scan that cannot go on: what a person reads, and the exit code says so. */
export class ScanError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ScanError";
  }
}

export interface ScanOptions {
  /** Named namespaces to scan; every named namespace when empty. */
  netns: string[];
  /** Scan the host's own namespace too. */
  host: boolean;
  /** Where a progress line goes (stderr in the command). */
  progress: (line: string) => void;
}

async function run(runner: Runner, commands: Command[]): Promise<CommandResult[]> {
  try {
    return await runner.run(commands);
  } catch (error) {
    throw new ScanError(`cannot reach ${runner.host}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

async function readNamespace(runner: Runner, netns: string | undefined): Promise<NamespaceRead | undefined> {
  const results = await run(runner, namespaceReadCommands(netns));
  try {
    return parseNamespaceRead(netns, results);
  } catch (error) {
    const kind = (error as { kind?: string }).kind;
    const said = error instanceof Error ? error.message : String(error);
    if (kind === "permission") {
      throw new ScanError(`no permission to read ${where(netns)} on ${runner.host} (${said}): entering a namespace needs root; run as root, or with --sudo`, { cause: error });
    }
    throw new ScanError(`reading ${where(netns)} on ${runner.host} failed: ${said}`, { cause: error });
  }
}

/**
 * The sysctls announce sets, for every link of a namespace at once: lines "DEV/arp_notify:V" and
 * "DEV/ndisc_notify:V", from `grep -H .` over each link's file, run in the namespace with `ip netns
 * exec` (a link's name holds no "/" or ":").
 */
const announceSettingsProgram =
  "cd /proc/sys/net/ipv4/conf && grep -H . */arp_notify; cd /proc/sys/net/ipv6/conf 2>/dev/null && grep -H . */ndisc_notify; exit 0";

function announceSettingsCommand(netns: string | undefined): Command {
  const sh = ["sh", "-c", announceSettingsProgram];
  return { argv: netns !== undefined ? ["ip", "netns", "exec", netns, ...sh] : sh };
}

/** The links of `netns` that announce: both settings 1 (where IPv6 is off, arp_notify alone). */
function announcingLinks(netns: string | undefined, result: CommandResult | undefined, into: Map<string, boolean>): void {
  const values = new Map<string, Map<string, string>>();
  for (const line of (result?.stdout ?? "").split("\n")) {
    const match = /^([^/]+)\/(arp_notify|ndisc_notify):(\d+)$/.exec(line.trim());
    if (!match) continue;
    const [, dev = "", setting = "", value = ""] = match;
    values.set(dev, (values.get(dev) ?? new Map<string, string>()).set(setting, value));
  }
  for (const [dev, settings] of values) {
    into.set(refKey({ netns, name: dev }), settings.get("arp_notify") === "1" && (settings.get("ndisc_notify") ?? "1") === "1");
  }
}

/** Reads what a scan of `options` needs on `runner`'s host. */
export async function readHost(runner: Runner, options: ScanOptions): Promise<HostRead> {
  const [listed] = await run(runner, [namespaceListCommand]);
  if (!listed) throw new ScanError(`listing the namespaces on ${runner.host} returned nothing`);
  let named: string[];
  try {
    named = parseNamespaceList(listed);
  } catch (error) {
    throw new ScanError(`${error instanceof Error ? error.message : String(error)} (on ${runner.host})`, { cause: error });
  }
  const missing = options.netns.filter((name) => !named.includes(name));
  if (missing.length > 0) {
    // Names quoted as JSON: a name is any file name, and must not drive the terminal.
    const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(", ");
    const there = named.length > 0 ? `the named namespaces there are: ${quoted(named)}` : "there are no named namespaces there";
    throw new ScanError(`no such namespace on ${runner.host}: ${quoted(missing)} (${there})`);
  }
  const scanned: (string | undefined)[] = [...(options.host ? [undefined] : []), ...(options.netns.length > 0 ? [...new Set(options.netns)] : named)];
  if (scanned.length === 0) throw new ScanError(`nothing to scan on ${runner.host}: there are no named namespaces; add --host to scan the host's own`);

  const namespaces = new Map<string, NamespaceRead>();
  const readInto = async (netns: string | undefined, why: string) => {
    const read = await readNamespace(runner, netns);
    if (!read) throw new ScanError(`${where(netns)} went away on ${runner.host} during the scan`);
    namespaces.set(netnsKey(netns), read);
    options.progress(`scanned ${where(netns)}${why}: ${read.links.length} link(s), ${read.routes.length} route(s)`);
  };
  for (const netns of scanned) await readInto(netns, "");

  // Namespaces that scanned links refer to (a parent, a peer), read so their links can be named. An id
  // with no name is taken to be the host's own namespace (the only other one a scan can reach).
  for (let again = true; again; ) {
    again = false;
    for (const read of [...namespaces.values()]) {
      if (!scanned.includes(read.netns)) continue;
      for (const link of read.links) {
        if (link.linkNetnsid === undefined || !read.nsids.has(link.linkNetnsid)) continue;
        const target = read.nsids.get(link.linkNetnsid);
        if (target === undefined && read.netns === undefined) continue;
        if (namespaces.has(netnsKey(target))) continue;
        await readInto(target, ` (a link in ${where(read.netns)} refers to it)`);
        again = true;
      }
    }
  }

  const tapNodes = new Map<string, ScannedTapNode>();
  const announcing = new Map<string, boolean>();
  for (const netns of scanned) {
    const read = namespaces.get(netnsKey(netns));
    const macvtaps = read?.links.filter((l) => l.observed.kind === "macvtap") ?? [];
    const commands = [
      announceSettingsCommand(netns),
      ...macvtaps.flatMap((l) => [devNumbersCommand(netns, l.observed.name, l.observed.ifindex), nodeStatCommand(`/dev/tap${l.observed.ifindex}`)]),
    ];
    // Each command on its own: a missing node must not stop the others' reads.
    const results = await Promise.all(commands.map(async (command) => (await run(runner, [command]))[0]));
    announcingLinks(netns, results[0], announcing);
    macvtaps.forEach((l, i) => {
      const path = `/dev/tap${l.observed.ifindex}`;
      const devNumbers = parseDevNumbers(results[1 + 2 * i]);
      let node: TapNodeObserved | undefined;
      try {
        node = parseNodeStat(results[2 + 2 * i], path);
      } catch {
        node = undefined; // not a character device: no node of ours, which the program says
      }
      if (node && node.devNumbers === devNumbers) {
        // stat prints UNKNOWN for an id with no name: the program then gives the id.
        const owner = node.user === "UNKNOWN" ? node.uid : node.user;
        const group = node.group === "UNKNOWN" ? node.gid : node.group;
        tapNodes.set(refKey({ netns, name: l.observed.name }), { path, owner, group, mode: node.mode });
      }
    });
  }
  return { namespaces, scanned, tapNodes, announcing };
}
