// sshd dies in the middle of an `up` of 50 links: the up fails with a clear error; once sshd is back,
// `refresh` and `up` converge: every link is there, complete, and there is nothing else.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../examples/support/engine";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";
import { app, testStack, type TestStack } from "../support/stack";

const quiet = { onOutput: () => undefined };
const count = 50;

interface HostLink { ifname: string; flags: string[]; addr_info: { family: string; local: string; prefixlen: number }[] }

describe("sshd killed during an up of 50 links", () => {
  let hosts: SshHosts;
  let host: SshHost;
  let s: TestStack;
  const links = async () =>
    (JSON.parse((await host.exec("ip", "-j", "-n", "lab", "addr", "show", "type", "macvlan").catch(() => "[]")) || "[]") as HostLink[]);

  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    host = hosts.hosts[0]!;
    const { iproute2, pulumi } = app();
    s = await testStack("ssh-fault", async () => {
      const connection = { type: "ssh" as const, host: host.address, privateKey: pulumi.secret(hosts.clientKey), sshConfigFile: hosts.sshConfigFile };
      const lab = new iproute2.NetNamespace("lab", { connection });
      const parent = new iproute2.VethPair("parent", { name: "veth0", peerName: "veth1", netns: lab.name, connection });
      for (let i = 0; i < count; i++) {
        new iproute2.MacvlanLink(`mv${i}`, { parent: parent.name, parentNetns: lab.name, addresses: [`10.92.0.${i + 1}/16`], connection });
      }
    });
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("fails the up clearly, then converges with refresh and up", async () => {
    const up = s.stack.up(quiet);
    const outcome = up.then(() => "finished", (error: unknown) => String(error));
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
    await s.stack.refresh({ ...quiet, clearPendingCreates: true });
    const converged = await s.stack.up(quiet);
    expect(converged.summary.result).toBe("succeeded");

    const after = await links();
    expect(after).toHaveLength(count);
    for (const link of after) {
      expect(link.flags).toContain("UP");
      expect(link.addr_info.filter((a) => a.family === "inet").map((a) => a.local)).toHaveLength(1);
    }
    expect(new Set(after.map((l) => l.addr_info.find((a) => a.family === "inet")?.local)).size).toBe(count);
    expect((await s.stack.up(quiet)).summary.resourceChanges).toEqual({ same: count + 3 });
  });
});
