// The lab (examples/lab) on another machine, over SSH, with the key set by `pulumi config set
// --secret` as its README says: a real sshd host (test/support/sshHosts.ts), checked from inside it.
// The key must never show in plaintext: not in the state, not in the CLI's output, not in any
// process's argv while the stack runs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, previewSummary } from "../support/cliStack";
import { testStack } from "../support/testStack";
import { repoRoot } from "../support/engine";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";

/** Samples every process's argv while `work` runs, to find any that carries `secret`. */
async function argvCarrying<T>(secret: string, work: () => Promise<T>): Promise<{ result: T; leaks: string[] }> {
  const leaks: string[] = [];
  let running = true;
  let samples = 0;
  const sampler = (async () => {
    while (running) {
      const { stdout } = await execa("ps", ["-eo", "args"]); // a ps that fails must fail the test, not pass it
      samples += 1;
      leaks.push(...stdout.split("\n").filter((line) => line.includes(secret)));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    const result = await work();
    running = false;
    await sampler;
    if (samples === 0) throw new Error("no process listing was taken while the work ran");
    return { result, leaks };
  } finally {
    running = false;
    await sampler;
  }
}

describe("the lab over SSH, with the key as a secret", () => {
  let hosts: SshHosts;
  let host: SshHost;
  let s: CliStack;
  let keyBody: string;
  /** Everything the CLI printed, on stdout and stderr, in every command of the test. */
  let output = "";
  const pulumi = async (...args: string[]) => {
    const result = await s.ok(...args);
    output += result.stdout + result.stderr;
    return result;
  };
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
    s = await testStack("examples/lab", "lab-ssh", { sshHost: host.address, sshConfigFile: hosts.sshConfigFile });
    await s.setSecret("sshPrivateKey", hosts.clientKey);
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("comes up on the remote host: ns1 reaches ns2 there, and the key never shows in argv", async () => {
    expect(keyBody.length).toBeGreaterThan(20);
    const { leaks } = await argvCarrying(keyBody, () => pulumi("up", "--yes"));
    expect((await s.lastUpdate()).resourceChanges).toEqual({ create: 7 });
    expect(leaks).toEqual([]);
    expect(await host.exec("ip", "netns", "list")).toMatch(/ns1[\s\S]*ns2|ns2[\s\S]*ns1/);
    expect(await pingInside("ns1", "10.77.0.2")).toBe(true);
    await pulumi("preview", "--expect-no-changes");
  });

  it("previews and applies private mode as in-place updates, over SSH as locally", async () => {
    await pulumi("config", "set", "mode", "private");
    const preview = await pulumi("preview", "--diff");
    expect(previewSummary(preview.stdout)).toEqual({ update: 2, same: 5 });
    await pulumi("up", "--yes");
    expect(await pingInside("ns1", "10.77.0.2")).toBe(false);
    expect(await pingInside("ns1", "10.77.0.254")).toBe(true); // private stops child to child only
  });

  it("keeps the key encrypted in the state and the stack's config, and out of the CLI's output", async () => {
    await pulumi("refresh", "--yes");
    await pulumi("stack", "output", "--json");
    const stored = await pulumi("stack", "export");
    expect(stored.stdout).toContain('"ciphertext"');
    expect(stored.stdout).not.toContain(keyBody);
    const config = await pulumi("config");
    expect(config.stdout).toMatch(/sshPrivateKey\s+\[secret\]/);
    const configFile = readFileSync(path.join(s.dir, `Pulumi.${s.name}.yaml`), "utf8");
    expect(configFile).toMatch(/sshPrivateKey:\s+secure: /);
    expect(configFile).not.toContain(keyBody);
    expect(output).not.toContain(keyBody);
  });

  it("destroys everything on the remote host", async () => {
    await pulumi("destroy", "--yes");
    expect(await host.exec("ip", "netns", "list")).toBe("");
    expect(output).not.toContain(keyBody);
  });
});
