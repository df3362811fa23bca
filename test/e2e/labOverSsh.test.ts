// The lab stack on another machine, over SSH, with the key given as a Pulumi secret: a real sshd host
// (test/support/sshHosts.ts), checked from inside it. The key must never show in plaintext: not in the
// state, not in the CLI's output, not in any process's argv while the stack runs.
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { labProgram } from "../../examples/lab/program";
import { repoRoot } from "../../examples/support/engine";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";
import { exampleProgram, testStack, type TestStack } from "../support/stack";

/** Samples every process's argv while `work` runs, to find any that carries `secret`. */
async function argvCarrying<T>(secret: string, work: () => Promise<T>): Promise<{ result: T; leaks: string[] }> {
  const leaks: string[] = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      const { stdout } = await execa("ps", ["-eo", "args"], { reject: false });
      leaks.push(...stdout.split("\n").filter((line) => line.includes(secret)));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    return { result: await work(), leaks };
  } finally {
    running = false;
    await sampler;
  }
}

describe("the lab over SSH, with the key as a secret", () => {
  let hosts: SshHosts;
  let host: SshHost;
  let s: TestStack;
  let keyBody: string;
  let output = "";
  const collect = { onOutput: (text: string) => (output += text) };
  /** A ping inside the host: true on a reply, false on none (exit 1); anything else is an error. */
  const pingInside = (netns: string, address: string) =>
    host.exec("ip", "netns", "exec", netns, "ping", "-c", "2", "-i", "0.2", "-W", "1", address).then(
      () => true,
      (error: { exitCode?: number }) => {
        if (error.exitCode === 1) return false;
        throw error;
      },
    );

  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    host = hosts.hosts[0]!;
    // A line from the middle of the key: what a leak would contain.
    keyBody = hosts.clientKey.split("\n")[2] ?? "";
    const { labProgram: program } = exampleProgram<{ labProgram: typeof labProgram }>("lab");
    s = await testStack("lab-ssh", program, { namePrefix: "", sshHost: host.address, sshConfigFile: hosts.sshConfigFile });
    await s.stack.setConfig("sshPrivateKey", { value: hosts.clientKey, secret: true });
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("comes up on the remote host: ns1 reaches ns2 there, and the key never shows in argv", async () => {
    expect(keyBody.length).toBeGreaterThan(20);
    const { result: up, leaks } = await argvCarrying(keyBody, () => s.stack.up(collect));
    expect(up.summary.resourceChanges).toEqual({ create: 7 });
    expect(leaks).toEqual([]);
    expect(await host.exec("ip", "netns", "list")).toMatch(/ns1[\s\S]*ns2|ns2[\s\S]*ns1/);
    expect(await pingInside("ns1", "10.77.0.2")).toBe(true);
    expect((await s.stack.up(collect)).summary.resourceChanges).toEqual({ same: 7 });
  });

  it("previews and applies private mode as in-place updates, over SSH as locally", async () => {
    await s.stack.setConfig("mode", { value: "private" });
    const preview = await s.stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ update: 2, same: 5 });
    await s.stack.up(collect);
    expect(await pingInside("ns1", "10.77.0.2")).toBe(false);
    expect(await pingInside("ns1", "10.77.0.254")).toBe(true); // private stops child to child only
  });

  it("keeps the key encrypted in the state, and out of the CLI's output", async () => {
    await s.stack.refresh(collect);
    // `pulumi stack export` as it is stored (the Automation API's export decrypts secrets).
    const stored = await s.cli("stack", "export");
    expect(stored.exitCode).toBe(0);
    expect(stored.stdout).toContain('"ciphertext"');
    expect(stored.stdout).not.toContain(keyBody);
    expect(output).not.toContain(keyBody);
  });

  it("destroys everything on the remote host", async () => {
    await s.stack.destroy(collect);
    expect(await host.exec("ip", "netns", "list")).toBe("");
  });
});
