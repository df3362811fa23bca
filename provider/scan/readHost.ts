// Reading what a scan needs from a host, through the same Runner as every resource (locally, or over
// SSH with the same host-key rules): the namespaces asked for, one round trip each (a few at a time),
// then the ones their links refer to, then the macvtaps' device nodes. Read only: nothing here changes
// the host.
import type { Command, CommandResult, Runner } from "../exec/runner";
import { where } from "../labels";
import type { TapNodeObserved } from "../model";
import { namespaceListCommand, namespaceReadCommands, parseNamespaceList, parseNamespaceRead, type NamespaceRead } from "../state/namespaceScan";
import { vxlanFdbRead, withVxlanRemotes } from "../state/observeLink";
import { ReadError } from "../state/readError";
import { devNumbersCommand, nodeStatCommand, parseDevNumbers, parseNodeStat } from "../state/tapNode";
import { netnsKey, refKey, type HostRead, type ScannedTapNode } from "./layout";

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

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The commands' results; a runner that cannot run them (a host it cannot reach) fails the scan. */
async function run(runner: Runner, commands: Command[]): Promise<CommandResult[]> {
  try {
    return await runner.run(commands);
  } catch (error) {
    throw new ScanError(`${runner.host === "localhost" ? "cannot run ip on localhost" : `cannot reach ${runner.host}`}: ${messageOf(error)}`, { cause: error });
  }
}

async function readNamespace(runner: Runner, netns: string | undefined): Promise<NamespaceRead | undefined> {
  const results = await run(runner, namespaceReadCommands(netns));
  try {
    return parseNamespaceRead(netns, results);
  } catch (error) {
    const said = messageOf(error);
    if (error instanceof ReadError && error.kind === "permission") {
      throw new ScanError(`no permission to read ${where(netns)} on ${runner.host} (${said}): entering a namespace needs root; run as root, or with --sudo`, { cause: error });
    }
    throw new ScanError(`reading ${where(netns)} on ${runner.host} failed: ${said}`, { cause: error });
  }
}

/** How many namespaces are read at once: a large host reads faster, and its progress stays in order. */
const readsAtOnce = 4;

/** Reads what a scan of `options` needs on `runner`'s host. */
export async function readHost(runner: Runner, options: ScanOptions): Promise<HostRead> {
  const [listed] = await run(runner, [namespaceListCommand]);
  if (!listed) throw new ScanError(`listing the namespaces on ${runner.host} returned nothing`);
  let named: string[];
  try {
    named = parseNamespaceList(listed);
  } catch (error) {
    throw new ScanError(`${messageOf(error)} (on ${runner.host})`, { cause: error });
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
  const record = (netns: string | undefined, read: NamespaceRead | undefined, why: string) => {
    if (!read) throw new ScanError(`${where(netns)} went away on ${runner.host} during the scan`);
    namespaces.set(netnsKey(netns), read);
    options.progress(`scanned ${where(netns)}${why}: ${read.links.length} link(s), ${read.routes.length} route(s)`);
  };
  const readInto = async (netns: string | undefined, why: string) => record(netns, await readNamespace(runner, netns), why);
  // Read a few at a time; reported in the order asked for. The first failure in that order is the
  // scan's; reads started after it are left to finish, their failures handled (never unhandled).
  const pending: Promise<NamespaceRead | undefined>[] = [];
  const start = (index: number) => {
    if (index >= scanned.length) return;
    const read = readNamespace(runner, scanned[index]);
    read.catch(() => undefined);
    pending.push(read);
  };
  for (let i = 0; i < readsAtOnce; i++) start(i);
  for (const [i, netns] of scanned.entries()) {
    const read = await pending[i];
    start(i + readsAtOnce);
    record(netns, read, "");
  }

  // Namespaces that scanned links refer to (a parent, a peer), read so their links can be named. An id
  // with no name from a named namespace is taken to be the host's own (the only other one a scan can
  // reach); layout.ts checks what it can of that.
  for (const netns of scanned) {
    const read = namespaces.get(netnsKey(netns));
    for (const link of read?.links ?? []) {
      const nsid = link.observed.parentNetnsid;
      if (!read || nsid === undefined || !read.nsids.has(nsid)) continue;
      const target = read.nsids.get(nsid)?.[0];
      if ((target === undefined && read.netns === undefined) || namespaces.has(netnsKey(target))) continue;
      await readInto(target, ` (a link in ${where(read.netns)} refers to it)`);
    }
  }

  const tapNodes = new Map<string, ScannedTapNode>();
  for (const netns of scanned) {
    const macvtaps = namespaces.get(netnsKey(netns))?.links.filter((l) => l.observed.kind === "macvtap") ?? [];
    if (macvtaps.length === 0) continue;
    // Each command on its own: a missing node must not stop the others' reads.
    const commands = macvtaps.flatMap((l) => [devNumbersCommand(netns, l.observed.name, l.observed.ifindex), nodeStatCommand(`/dev/tap${l.observed.ifindex}`)]);
    const results = await Promise.all(commands.map(async (command) => (await run(runner, [command]))[0]));
    macvtaps.forEach((l, i) => {
      const path = `/dev/tap${l.observed.ifindex}`;
      let devNumbers: string;
      try {
        devNumbers = parseDevNumbers(results[2 * i]);
      } catch (error) {
        throw new ScanError(`macvtap ${l.observed.name} in ${where(netns)} on ${runner.host} changed during the scan (${messageOf(error)}): scan again`, { cause: error });
      }
      let node: TapNodeObserved | undefined;
      try {
        node = parseNodeStat(results[2 * i + 1], path);
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
  // Each vxlan's flood list, with `bridge` (one command each, in one round trip per namespace).
  for (const netns of scanned) {
    const vxlans = namespaces.get(netnsKey(netns))?.links.filter((l) => l.observed.vxlan !== undefined) ?? [];
    if (vxlans.length === 0) continue;
    const results = await run(runner, vxlans.map((l) => vxlanFdbRead(netns, l.observed.name)));
    vxlans.forEach((l, i) => {
      const result = results[i];
      try {
        if (!result) throw new Error("the read stopped before it");
        l.observed = withVxlanRemotes(l.observed, result);
      } catch (error) {
        throw new ScanError(`reading the flood list of vxlan ${l.observed.name} in ${where(netns)} on ${runner.host} failed (${messageOf(error)}): scan again`, { cause: error });
      }
    });
  }
  return { namespaces, scanned, tapNodes };
}
