// Two simulated hosts over SSH (test/support/sshHosts.ts: real sshd, each its own namespaces) joined by
// a VXLAN overlay with the plain CLI (test/projects/overlay): a guest namespace on host A pings one on
// host B through bridge + VXLAN, at the MTU the overlay carries; refresh sees no drift, a flood entry
// removed by hand shows, and destroy leaves nothing on either host.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { repoRoot } from "../support/engine";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";
import { testStack } from "../support/testStack";

/** A ping inside a host's guest: true on a reply, false on none (exit 1); anything else is an error. */
const pingFromGuest = (host: SshHost, address: string, ...options: string[]) =>
  host.exec("ip", "netns", "exec", "guest", "ping", "-c", "2", "-i", "0.2", "-W", "1", ...options, address).then(
    () => true,
    (error: { exitCode?: number }) => {
      if (error.exitCode === 1) return false;
      throw error;
    },
  );

describe("two hosts over a VXLAN overlay, over SSH", () => {
  let hosts: SshHosts;
  let a: SshHost;
  let b: SshHost;
  let s: CliStack;
  beforeAll(async () => {
    hosts = await startSshHosts(2, path.join(repoRoot, ".work"));
    [a, b] = hosts.hosts as [SshHost, SshHost];
    s = await testStack("test/projects/overlay", "overlay", { hosts: JSON.stringify([a.address, b.address]), sshConfigFile: hosts.sshConfigFile });
    await s.setSecret("sshPrivateKey", hosts.clientKey);
  }, 120_000);
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("joins a guest on each host: they ping through bridge + VXLAN at 1450 bytes, with no drift", { timeout: 180_000 }, async () => {
    expect(await s.changes("up", "--yes")).toEqual({ create: 9 });
    expect(await pingFromGuest(a, "192.168.77.2")).toBe(true);
    // A full 1450-byte packet, not fragmented: the MTU the overlay carries over a 1500 underlay.
    expect(await pingFromGuest(b, "192.168.77.1", "-M", "do", "-s", "1422")).toBe(true);
    const [vxA] = JSON.parse(await a.exec("ip", "-j", "-d", "link", "show", "dev", "vx0")) as { master?: string; linkinfo: { info_data: { id: number; port: number } } }[];
    expect(vxA).toMatchObject({ master: "br-vx", linkinfo: { info_data: { id: 1000, port: 4789 } } });
    expect(await s.changes("refresh", "--yes")).toEqual({ same: 9 });
  });

  it("sees a flood entry removed by hand on host B, and puts it back", { timeout: 120_000 }, async () => {
    await b.exec("bridge", "fdb", "del", "00:00:00:00:00:00", "dev", "vx0", "dst", a.address);
    expect(await pingFromGuest(b, "192.168.77.1")).toBe(false); // learning off: B floods to no one
    expect(await s.changes("refresh", "--yes")).toEqual({ same: 8, update: 1 });
    expect(await s.changes("up", "--yes")).toEqual({ same: 8, update: 1 });
    expect(await pingFromGuest(b, "192.168.77.1")).toBe(true);
  });

  it("destroys everything on both hosts", { timeout: 120_000 }, async () => {
    expect(await s.changes("destroy", "--yes")).toEqual({ delete: 9 });
    for (const host of [a, b]) {
      expect(await host.exec("ip", "netns", "list")).toBe("");
      expect(await host.exec("ip", "-br", "link", "show", "type", "vxlan")).toBe("");
      expect(await host.exec("ip", "-br", "link", "show", "type", "bridge")).toBe("");
    }
  });
});
