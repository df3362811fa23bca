// sshd dies in the middle of a `pulumi up` of 50 links: the up fails with a clear error; once sshd is
// back, `pulumi refresh` and `pulumi up` converge: every link is there, complete, and nothing else.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { testStack } from "../support/testStack";
import { repoRoot } from "../support/engine";
import { orIfGone } from "../support/netns";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";
const count = 50;

interface HostLink { ifname: string; flags: string[]; addr_info: { family: string; local: string; prefixlen: number }[] }

describe("sshd killed during an up of 50 links", () => {
  let hosts: SshHosts;
  let host: SshHost;
  let s: CliStack;
  const links = async () =>
    (JSON.parse((await orIfGone(host.exec("ip", "-j", "-n", "lab", "addr", "show", "type", "macvlan"), "[]")) || "[]") as HostLink[]);

  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    host = hosts.hosts[0]!;
    s = await testStack("test/projects/many", "ssh-fault", {
      count: String(count),
      withAddresses: "true",
      sshHost: host.address,
      sshConfigFile: hosts.sshConfigFile,
    });
    await s.setSecret("sshPrivateKey", hosts.clientKey);
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("fails the up clearly, then converges with refresh and up", async () => {
    const outcome = s.pulumi(["up", "--yes", "--skip-preview"]).then((r) => (r.exitCode === 0 ? "finished" : r.stdout + r.stderr));
    // Kill sshd once some links exist and others are still to come.
    for (let tries = 0; tries < 600; tries++) {
      const made = (await links()).length;
      if (made >= 5 && made < count) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await host.kill();
    const result = await outcome;
    expect(result).not.toBe("finished");
    expect(result).toMatch(/10\.90\.0\.2/);
    const before = (await links()).length;
    expect(before).toBeLessThan(count);

    await host.start();
    await s.ok("refresh", "--yes", "--clear-pending-creates");
    await s.ok("up", "--yes");

    const after = await links();
    expect(after).toHaveLength(count);
    for (const link of after) {
      expect(link.flags).toContain("UP");
      expect(link.addr_info.filter((a) => a.family === "inet").map((a) => a.local)).toHaveLength(1);
    }
    expect(new Set(after.map((l) => l.addr_info.find((a) => a.family === "inet")?.local)).size).toBe(count);
    expect(await s.changes("up", "--yes")).toEqual({ same: count + 3 });
  });
});
