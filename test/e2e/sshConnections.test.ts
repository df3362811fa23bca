// Many resources on one host share one SSH connection: an `up` of 100 links with the plain CLI opens
// at most 2 TCP connections to the host, counted by the host's sshd ("Connection from" per connection).
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { testStack } from "../support/testStack";
import { repoRoot } from "../support/engine";
import { startSshHosts, type SshHosts } from "../support/sshHosts";

describe("one host, 100 links, over SSH", () => {
  let hosts: SshHosts;
  let s: CliStack;
  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    s = await testStack("test/projects/many", "ssh-100", {
      count: "100",
      sshHost: hosts.hosts[0]!.address,
      sshConfigFile: hosts.sshConfigFile,
    });
    await s.setSecret("sshPrivateKey", hosts.clientKey);
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  // Its budget: each link also writes (and destroy removes) its part of the host's boot description,
  // and one host's writes take turns.
  it("creates, refreshes and destroys them with at most 2 TCP connections each time", { timeout: 300_000 }, async () => {
    const host = hosts.hosts[0]!;
    const connections = () => (host.log().match(/Connection from/g) ?? []).length;
    const counts: Record<string, number> = {};
    for (const [op, args] of [
      ["up", ["up", "--yes", "--skip-preview"]],
      ["refresh", ["refresh", "--yes", "--skip-preview"]],
      ["destroy", ["destroy", "--yes", "--skip-preview"]],
    ] as const) {
      const before = connections();
      await s.ok(...args);
      counts[op] = connections() - before;
    }
    expect(JSON.parse((await host.exec("ip", "-j", "netns", "list")) || "[]")).toEqual([]);
    for (const count of Object.values(counts)) expect(count).toBeLessThanOrEqual(2);
    expect(counts.up).toBeGreaterThanOrEqual(1); // it did go over SSH
  });
});
