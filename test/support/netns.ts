// Test worlds: uniquely named namespaces with veth parents, removed after each test even when it fails.
// Nothing here touches the host namespace's own interfaces or addresses.
import { readdirSync } from "node:fs";
import { execa } from "execa";
import { classify } from "../../provider/exec/errors";
import { bootFolder } from "../../provider/model";
import { removePartCommand } from "../../provider/plan/bootFiles";

/** Identifies this test run's namespaces; the global teardown removes any that are left. */
export const runId = process.env.PI2_RUN_ID ?? `pi2t${process.pid.toString(36)}`;
process.env.PI2_RUN_ID = runId;

let counter = 0;

export async function ip(...args: string[]) {
  return execa("ip", args, { env: { LC_ALL: "C" } });
}

export async function ipJson<T = unknown>(...args: string[]): Promise<T> {
  const { stdout } = await ip("-j", ...args);
  return JSON.parse(stdout) as T;
}

/**
 * What `command` gives, or `gone` when it failed because what it names does not exist (a device, a
 * namespace: iproute2's "does not exist", "Cannot find device", "Cannot open network namespace"). Any
 * other failure is thrown: a command that cannot run must not pass for a link that is not there.
 */
export async function orIfGone<T, G>(command: Promise<T>, gone: G): Promise<T | G> {
  try {
    return await command;
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    if (typeof stderr === "string" && classify(stderr) === "not-found") return gone;
    throw error;
  }
}

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await ip("-j", "netns", "list");
  return stdout.trim() === "" ? [] : (JSON.parse(stdout) as { name: string }[]).map((n) => n.name);
}

/**
 * Removes this run's namespaces, and the parts of the boot description that name them (a test killed
 * before its destroy leaves them), the way the resources remove theirs: with the last part, the unit.
 */
export async function removeRunNamespaces(id: string): Promise<void> {
  for (const name of await listNamespaces()) {
    if (name.startsWith(id)) await ip("netns", "del", name).catch(() => undefined);
  }
  await removeParts((netns) => netns.startsWith(id));
}

/**
 * The files in this machine's boot description's parts/ (none when it is not there). The last part's
 * removal takes the folder away at any moment, by another file's resources too (files run two at a time).
 */
export function bootPartFiles(): string[] {
  return unlessGone(() => readdirSync(`${bootFolder}/parts`)) ?? [];
}

/** What `read` gives of a file or folder, or undefined when it is not there (ENOENT): taken away meanwhile. */
export function unlessGone<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The parts of the boot description this machine holds for namespaces `mine` says are the tests' own,
 * removed the way a resource removes its part (with the last part, the unit): a test that removes its
 * namespaces by hand, or is killed before its destroy, would leave them.
 */
async function removeParts(mine: (netns: string) => boolean): Promise<void> {
  const namespaceOf = (file: string) => /^netns:(.+)\.part$/.exec(file)?.[1] ?? /^link:(.+):[^:]+\.part$/.exec(file)?.[1];
  const parts = bootPartFiles().filter((file) => mine(namespaceOf(file) ?? ""));
  for (const file of parts) {
    const { argv } = removePartCommand(file);
    await execa(argv[0] ?? "sh", argv.slice(1));
  }
}

/** A unique namespace name for this run (the name alone; nothing is created). */
function uniqueName(label: string): string {
  counter += 1;
  return `${runId}-${process.pid.toString(36)}-${counter}-${label}`;
}

/** Namespaces made by one test, removed by `cleanup` (call it from afterEach/finally). */
export class World {
  readonly namespaces: string[] = [];

  /** A new namespace, with lo up. */
  async netns(label: string): Promise<string> {
    const name = uniqueName(label);
    await ip("netns", "add", name);
    this.namespaces.push(name);
    await ip("-n", name, "link", "set", "lo", "up");
    return name;
  }

  /** A name for a namespace the code under test will create; removed at cleanup if it exists. */
  plannedNetns(label: string): string {
    const name = uniqueName(label);
    this.namespaces.push(name);
    return name;
  }

  /** A veth pair inside `netns`, both ends up: a parent that is never a real NIC. */
  async vethParent(netns: string, name = "veth0", peer = "veth1"): Promise<void> {
    await ip("-n", netns, "link", "add", name, "type", "veth", "peer", "name", peer);
    await ip("-n", netns, "link", "set", name, "up");
    await ip("-n", netns, "link", "set", peer, "up");
  }

  async cleanup(): Promise<void> {
    for (const name of this.namespaces.reverse()) await ip("netns", "del", name).catch(() => undefined);
    const mine = new Set(this.namespaces);
    await removeParts((netns) => mine.has(netns));
    this.namespaces.length = 0;
  }
}

/** `ping -c N -W 1` from inside `netns`; true when any reply came back. */
export async function pings(netns: string, address: string, count = 2): Promise<boolean> {
  const result = await execa("ip", ["netns", "exec", netns, "ping", "-c", String(count), "-i", "0.2", "-W", "1", address], {
    reject: false,
  });
  // ping's own answer is 0 (replies) or 1 (none); anything else means it could not run at all.
  if (result.exitCode !== 0 && result.exitCode !== 1) {
    throw new Error(`ping from ${netns} to ${address} could not run: ${result.stderr}`);
  }
  return result.exitCode === 0;
}

