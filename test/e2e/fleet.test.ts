// The fleet example on 20 simulated hosts (real sshd, default MaxStartups and MaxSessions), 5 links
// each, with --parallel 64: up, refresh and destroy without a single failure, checked on every host.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { fleetProgram } from "../../examples/fleet/program";
import { repoRoot } from "../../examples/support/engine";
import { startSshHosts, type SshHosts } from "../support/sshHosts";
import { exampleProgram, testStack, type TestStack } from "../support/stack";

const quiet = { onOutput: () => undefined };
const hostCount = 20;
const linksPerHost = 5;

describe("a fleet of 20 hosts", () => {
  let hosts: SshHosts;
  let s: TestStack;
  beforeAll(async () => {
    hosts = await startSshHosts(hostCount, path.join(repoRoot, ".work"));
    const { fleetProgram: program } = exampleProgram<{ fleetProgram: typeof fleetProgram }>("fleet");
    s = await testStack("fleet", program, {
      hosts: JSON.stringify(hosts.hosts.map((h) => h.address)),
      linksPerHost: String(linksPerHost),
      sshConfigFile: hosts.sshConfigFile,
    });
    await s.stack.setConfig("sshPrivateKey", { value: hosts.clientKey, secret: true });
  }, 120_000);
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("comes up, refreshes and goes away on every host with --parallel 64", async () => {
    const total = hostCount * (2 + linksPerHost);
    const up = await s.stack.up({ ...quiet, parallel: 64 });
    expect(up.summary.resourceChanges).toEqual({ create: total + 1 });
    for (const host of hosts.hosts) {
      const links = JSON.parse(await host.exec("ip", "-j", "-n", "fleet", "link", "show", "type", "macvlan")) as unknown[];
      expect(links).toHaveLength(linksPerHost);
    }
    const refresh = await s.stack.refresh({ ...quiet, parallel: 64 });
    expect(refresh.summary.resourceChanges).toEqual({ same: total + 1 });
    const destroy = await s.stack.destroy({ ...quiet, parallel: 64 });
    expect(destroy.summary.resourceChanges).toEqual({ delete: total + 1 });
    for (const host of hosts.hosts) expect(await host.exec("ip", "netns", "list")).toBe("");
  });
});
