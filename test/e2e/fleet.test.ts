// The fleet example (examples/fleet) with the plain CLI on 20 simulated hosts (real sshd, default
// MaxStartups and MaxSessions), 5 links each, with --parallel 64: up, refresh and destroy without a
// single failure, checked on every host. Its config is checked before anything touches a host.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { testStack } from "../support/testStack";
import { repoRoot } from "../support/engine";
import { startSshHosts, type SshHosts } from "../support/sshHosts";

const hostCount = 20;
const linksPerHost = 5;

describe("a fleet of 20 hosts", () => {
  let hosts: SshHosts;
  let s: CliStack;
  beforeAll(async () => {
    hosts = await startSshHosts(hostCount, path.join(repoRoot, ".work"));
    s = await testStack("examples/fleet", "fleet", { linksPerHost: String(linksPerHost), sshConfigFile: hosts.sshConfigFile });
    await s.setSecret("sshPrivateKey", hosts.clientKey);
  }, 120_000);
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("refuses a hosts list that is not a list of names, naming the key", async () => {
    await s.ok("config", "set", "hosts", JSON.stringify({ host: hosts.hosts[0]!.address }));
    const preview = await s.pulumi(["preview"]);
    expect(preview.exitCode).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/config "hosts": .*expected array/s);
  });

  // Its budget: each of the 140 resources also writes (and destroy removes) its part of its host's boot
  // description, and one host's writes take turns.
  it("comes up, refreshes and goes away on every host with --parallel 64", { timeout: 300_000 }, async () => {
    await s.ok("config", "set", "hosts", JSON.stringify(hosts.hosts.map((h) => h.address)));
    const total = hostCount * (2 + linksPerHost);
    expect(await s.changes("up", "--yes", "--parallel", "64")).toEqual({ create: total + 1 });
    for (const host of hosts.hosts) {
      const links = JSON.parse(await host.exec("ip", "-j", "-n", "fleet", "link", "show", "type", "macvlan")) as unknown[];
      expect(links).toHaveLength(linksPerHost);
    }
    const outputs = (await s.outputs()) as { fleet: { host: string; macAddresses: string[] }[] };
    expect(outputs.fleet.map((f) => f.host)).toEqual(hosts.hosts.map((h) => h.address));
    expect(outputs.fleet.every((f) => f.macAddresses.length === linksPerHost)).toBe(true);
    expect(await s.changes("refresh", "--yes", "--parallel", "64")).toEqual({ same: total + 1 });
    expect(await s.changes("destroy", "--yes", "--parallel", "64")).toEqual({ delete: total + 1 });
    for (const host of hosts.hosts) expect(await host.exec("ip", "netns", "list")).toBe("");
  });
});
