// Many resources on one host share one SSH connection: an `up` of 100 links opens at most 2 TCP
// connections to the host, counted by the host's sshd ("Connection from" per connection).
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../examples/support/engine";
import { startSshHosts, type SshHosts } from "../support/sshHosts";
import { app, testStack, type TestStack } from "../support/stack";

const quiet = { onOutput: () => undefined };

describe("one host, 100 links, over SSH", () => {
  let hosts: SshHosts;
  let s: TestStack;
  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    const host = hosts.hosts[0]!;
    const { iproute2, pulumi } = app();
    s = await testStack("ssh-100", async () => {
      const connection = { type: "ssh" as const, host: host.address, privateKey: pulumi.secret(hosts.clientKey), sshConfigFile: hosts.sshConfigFile };
      const lab = new iproute2.NetNamespace("lab", { connection });
      const parent = new iproute2.VethPair("parent", { name: "veth0", peerName: "veth1", netns: lab.name, connection });
      for (let i = 0; i < 100; i++) {
        new iproute2.MacvlanLink(`mv${i}`, { parent: parent.name, parentNetns: lab.name, connection });
      }
    });
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("creates, refreshes and destroys them with at most 2 TCP connections each time", async () => {
    const host = hosts.hosts[0]!;
    const connections = () => (host.log().match(/Connection from/g) ?? []).length;
    const counts: Record<string, number> = {};
    for (const [op, run] of [
      ["up", () => s.stack.up(quiet)],
      ["refresh", () => s.stack.refresh(quiet)],
      ["destroy", () => s.stack.destroy(quiet)],
    ] as const) {
      const before = connections();
      await run();
      counts[op] = connections() - before;
    }
    expect(JSON.parse(await host.exec("ip", "-j", "netns", "list") || "[]")).toEqual([]);
    for (const count of Object.values(counts)) expect(count).toBeLessThanOrEqual(2);
    expect(counts.up).toBeGreaterThanOrEqual(1); // it did go over SSH
  });
});
