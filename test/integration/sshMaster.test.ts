// The master connection when it is not there any more: a deployment that pauses longer than the master
// lives, a master killed with -9 (its socket left behind), a socket that accepts and never answers.
// Every operation must still reach the host the way the stack said (its key, its pinned host key) or
// fail saying so; never connect by other means, never hang, never leave an ssh behind.
import { existsSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processExists } from "../../provider/exec/processes";
import { closeSshMasters, SshRunner } from "../../provider/exec/ssh";
import { netNamespaceHandlers } from "../../provider/resources/netNamespace";
import { repoRoot } from "../support/engine";
import { asTheEngine } from "../support/engineCalls";
import { mastersTo, parsedSshConnection as parsed, startSshHosts, type SshHosts } from "../support/sshHosts";

let lab: SshHosts;
beforeAll(async () => {
  lab = await startSshHosts(3, path.join(repoRoot, ".work"));
}, 60_000);
afterAll(async () => {
  await closeSshMasters();
  await lab?.stop();
});

const namespaces = asTheEngine(netNamespaceHandlers);
/** Host `index` reached with the stack's key and its host key pinned. */
const pinned = (index: number) => ({
  type: "ssh",
  host: lab.hosts[index]!.address,
  privateKey: lab.clientKey,
  hostKey: lab.hosts[index]!.hostKey,
  sshConfigFile: lab.sshConfigFile,
});
const connectionsTo = (index: number) => (lab.hosts[index]!.log().match(/Connection from/g) ?? []).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The control socket of this process's one master to host `index` (it is the only one to that host). */
async function masterOf(index: number): Promise<{ socket: string; pid: number }> {
  const [master] = await mastersTo(lab.hosts[index]!.address, lab.sshConfigFile);
  if (!master) throw new Error(`no master to host ${index}`);
  return master;
}

/**
 * Waits until this process's master to host `index` has gone by itself: its shells idle, then its
 * ControlPersist over. Watched by its pid, never through its socket (a check is a use, and would keep it).
 */
async function masterEnds(index: number): Promise<void> {
  const { pid } = await masterOf(index);
  for (const deadline = Date.now() + 30_000; processExists(pid); await sleep(100)) {
    if (Date.now() > deadline) throw new Error(`the master to host ${index} is still up after 30 s`);
  }
}

/** ssh processes of this machine that name `socket` (the master, its sessions, anything left over). */
async function sshProcessesOn(socket: string): Promise<string[]> {
  const { stdout } = await execa("ps", ["-eo", "args="]);
  return stdout.split("\n").filter((line) => line.startsWith("ssh ") && line.includes(socket));
}

describe("the master connection", () => {
  it("outlives a pause longer than it stays up: the next operation starts it again, verified as before", async () => {
    // The same pause as a VM boot or an approval against the defaults (10 s idle shells, then 30 s of
    // ControlPersist), made short through the runner's waits.
    const runner = new SshRunner(parsed(pinned(0)), { requestTimeoutMs: 60_000, shellIdleMs: 200, persistSeconds: 1 });
    const ip = async (...argv: string[]) => expect(await runner.run([{ argv: ["ip", ...argv] }])).toMatchObject([{ exitCode: 0 }]);
    const before = connectionsTo(0);
    await ip("netns", "add", "before-pause");
    await masterEnds(0);
    await ip("netns", "add", "after-pause");
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toMatch(/after-pause[\s\S]*before-pause|before-pause[\s\S]*after-pause/);
    await masterEnds(0);
    await ip("netns", "delete", "before-pause");
    await ip("netns", "delete", "after-pause");
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toBe("");
    // One master per stretch of work (three), each a verified connection of its own.
    expect(connectionsTo(0) - before).toBe(3);
  });

  it("replaces a master killed with -9, whose socket stayed, and leaves no ssh behind", async () => {
    await namespaces.create({ name: "k1", connection: pinned(1) });
    const { socket, pid } = await masterOf(1);
    await execa("kill", ["-9", String(pid)]);
    expect(existsSync(socket)).toBe(true); // what a killed master leaves
    await sleep(1000); // the next operation comes later: by then its sessions have ended with it

    await namespaces.create({ name: "k2", connection: pinned(1) });
    const fresh = await masterOf(1);
    expect(fresh.socket).toBe(socket);
    expect(fresh.pid).not.toBe(pid);
    expect(await lab.hosts[1]!.exec("ip", "netns", "list")).toMatch(/k2/);
    await closeSshMasters();
    await sleep(500);
    expect(await sshProcessesOn(socket)).toEqual([]);
  });

  it("does not hang on a control socket that accepts and never answers: the check gives up, and it is replaced", async () => {
    await namespaces.create({ name: "s1", connection: pinned(2) });
    const { socket, pid } = await masterOf(2);
    await execa("kill", ["-9", String(pid)]);
    await sleep(1000);
    // Something now listens where the master was, and says nothing.
    rmSync(socket, { force: true });
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(socket, resolve));
    try {
      await namespaces.create({ name: "s2", connection: pinned(2) });
      expect(await lab.hosts[2]!.exec("ip", "netns", "list")).toMatch(/s2/);
    } finally {
      silent.close();
    }
  }, 60_000);
});
