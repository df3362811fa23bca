// Every wait on an SSH session ends, against real sshd: a login that never gets ready (here sshd's
// ForceCommand, as a hanging ~/.bashrc or a stuck home would) fails within the session's open
// timeout, and requests that time out (a command stuck on the host) neither keep their session slots
// nor leave what they started running on the host. The waits are made short through SshRunner's option.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Iproute2Error } from "../../provider/exec/errors";
import { closeSshMasters, SshRunner, type SshWaits } from "../../provider/exec/ssh";
import { repoRoot } from "../support/engine";
import { parsedSshConnection as parsed, startSshHosts, type SshHosts } from "../support/sshHosts";

let lab: SshHosts;

beforeAll(async () => {
  lab = await startSshHosts(2, path.join(repoRoot, ".work"), { sshdConfig: (index) => (index === 0 ? ["ForceCommand sleep 600"] : []) });
}, 60_000);
afterAll(async () => {
  await closeSshMasters();
  await lab?.stop();
});

const runnerTo = (index: number, waits: SshWaits) =>
  new SshRunner(parsed({ type: "ssh", host: lab.hosts[index]!.address, privateKey: lab.clientKey, sshConfigFile: lab.sshConfigFile }), waits);

/** The host's processes running `argv` (its sessions' commands; not the rest of this machine). */
async function running(index: number, argv: string): Promise<string[]> {
  const host = lab.hosts[index]!;
  const { stdout } = await host.run("sh", "-c", `for p in $(ip netns pids ${host.netns}); do tr '\\0' ' ' </proc/$p/cmdline 2>/dev/null; echo; done`);
  return stdout.split("\n").filter((line) => line.trim() === argv);
}

async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await done()); ) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("waits on SSH sessions", () => {
  it("a login that never gets ready fails within the session's open timeout, as nothing run, every time", async () => {
    const runner = runnerTo(0, { requestTimeoutMs: 60_000, sessionOpenTimeoutMs: 2000 });
    for (let attempt = 0; attempt < 2; attempt++) {
      const failure = await runner.run([{ argv: ["true"] }]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Iproute2Error);
      expect(failure).toMatchObject({ kind: "unreachable", message: expect.stringMatching(/open a session on the SSH connection on .*: ssh could not open a session: no session within 2 s/) });
    }
  }, 60_000);

  it("nine requests that time out in a row leave the host usable: the tenth runs, and nothing they started goes on there", async () => {
    const runner = runnerTo(1, { requestTimeoutMs: 1500 });
    for (let i = 0; i < 9; i++) {
      await expect(runner.run([{ argv: ["sleep", "600"] }])).rejects.toMatchObject({ kind: "interrupted", message: expect.stringMatching(/no answer within 1.5 s/) });
    }
    const [tenth] = await runner.run([{ argv: ["echo", "tenth"] }]);
    expect(tenth).toMatchObject({ exitCode: 0, stdout: "tenth\n" });
    await until(async () => (await running(1, "sleep 600")).length === 0, "the timed-out commands to end on the host");
  }, 120_000);
});
