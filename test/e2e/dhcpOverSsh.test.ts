// DHCP on children, over SSH, with the plain CLI (test/projects/dhcp): the tutorial's trap (a second
// `dhclient` in another namespace refuses to start) must not happen. A simulated host (test/support/
// sshHosts.ts: real sshd, its own namespaces and /etc) has a LAN (a bridge) whose other port leads to
// dnsmasq in a namespace of its own, on addresses of ours. Two children of one name in two namespaces,
// a second child in the first namespace and a veth end hold leases at once; the stack's outputs show
// them; a client killed out of band is drift the next up mends; destroy releases every lease (the
// server's lease file shows it) and leaves no process or file.
import { mkdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DhcpLease } from "../../provider/model";
import type { CliStack } from "../support/cliStack";
import { repoRoot } from "../support/engine";
import { runId } from "../support/netns";
import { pollUntil } from "../support/poll";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";
import { testStack } from "../support/testStack";

/** How long a check waits for what a DHCP exchange does: generous, never asserted. */
const exchangeSeconds = 30;
const runtimeFolder = "/run/pulumi-iproute2-dhcp";

describe("DHCP on children, over SSH", () => {
  let hosts: SshHosts;
  let host: SshHost;
  let s: CliStack;
  let serverFolder: string;
  // The stack's namespaces: unique on this machine, whose /run (where the clients' files are) is shared.
  const prefix = `${runId}-dh`;
  const [nsA, nsB] = [`${prefix}-a`, `${prefix}-b`];
  const serverLeases = () => (existsSync(path.join(serverFolder, "leases")) ? readFileSync(path.join(serverFolder, "leases"), "utf8") : "");
  const serverLog = () => (existsSync(path.join(serverFolder, "log")) ? readFileSync(path.join(serverFolder, "log"), "utf8") : "");
  const clientPid = (netns: string, link: string) => host.run("cat", `${runtimeFolder}/${netns}:${link}.pid`).then((r) => r.stdout.trim());
  const macOf = async (netns: string, link: string) => (JSON.parse(await host.exec("ip", "-j", "-n", netns, "link", "show", "dev", link)) as { address: string }[])[0]?.address;
  const leases = async () => (await s.outputs()).leases as Record<"mac1a" | "mac1b" | "mac2a" | "eth1b", DhcpLease | undefined>;

  /** The leases as the outputs show them, once all four are there: up waits a while for each first lease; a later one is filled in by a refresh. */
  const allLeased = async () => {
    const count = async () => Object.values(await leases()).filter(Boolean).length;
    const end = Date.now() + exchangeSeconds * 1000;
    while ((await count()) < 4 && Date.now() < end) await s.changes("refresh", "--yes");
    return leases();
  };

  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    [host] = hosts.hosts as [SshHost];
    // The LAN: bridge lan0, whose port srv-up leads to srv0 (10.95.0.1) in the server's namespace.
    for (const command of [
      ["ip", "link", "add", "lan0", "type", "bridge"],
      ["ip", "link", "set", "lan0", "up"],
      ["ip", "netns", "add", "dhsrv"],
      ["ip", "link", "add", "srv-up", "type", "veth", "peer", "name", "srv0", "netns", "dhsrv"],
      ["ip", "link", "set", "srv-up", "master", "lan0", "up"],
      ["ip", "-n", "dhsrv", "addr", "add", "10.95.0.1/24", "dev", "srv0"],
      ["ip", "-n", "dhsrv", "link", "set", "srv0", "up"],
    ]) {
      await host.exec(...command);
    }
    serverFolder = path.join(repoRoot, ".work", `${runId}-dnsmasq`);
    mkdirSync(serverFolder, { recursive: true });
    // Its own files, no configuration file, no DNS (port 0), on srv0 alone; 2 minutes is its shortest
    // lease. It forks to the background and writes its PID file.
    await host.exec(
      "ip", "netns", "exec", "dhsrv", "dnsmasq", "--conf-file=/dev/null", "--no-resolv", "--port=0",
      "--bind-interfaces", "--interface=srv0", "--except-interface=lo",
      "--dhcp-range=10.95.0.100,10.95.0.150,255.255.255.0,2m", "--dhcp-option=option:router,10.95.0.1",
      `--pid-file=${serverFolder}/pid`, `--dhcp-leasefile=${serverFolder}/leases`, "--log-dhcp", `--log-facility=${serverFolder}/log`,
      "--user=root", "--group=root",
    );
    s = await testStack("test/projects/dhcp", "dhcp", { host: host.address, sshConfigFile: hosts.sshConfigFile, namespacePrefix: prefix });
    await s.setSecret("sshPrivateKey", hosts.clientKey);
  }, 120_000);

  afterAll(async () => {
    // A failed test's clients: destroy stops them; what is still running after it is killed here.
    if (s) await s.pulumi(["destroy", "--yes"]);
    for (const link of ["mac1", "mac2", "eth1"]) {
      for (const netns of [nsA, nsB]) {
        const pid = host ? await clientPid(netns, link).catch(() => "") : "";
        if (/^\d+$/.test(pid)) await host.run("kill", "-KILL", pid);
      }
    }
    await s?.dispose();
    if (existsSync(path.join(serverFolder ?? "", "pid"))) await host.run("kill", readFileSync(path.join(serverFolder, "pid"), "utf8").trim());
    await hosts?.stop();
    if (serverFolder) rmSync(serverFolder, { recursive: true, force: true });
  });

  it("gives two children of one name in two namespaces, a second child in one and a veth end a lease each, at once; the outputs show them", { timeout: 240_000 }, async () => {
    expect(await s.changes("up", "--yes")).toEqual({ create: 7 });
    await allLeased();
    const got = await leases();
    for (const lease of Object.values(got)) {
      expect(lease).toMatchObject({ prefixLength: 24, gateway: "10.95.0.1", server: "10.95.0.1", leaseTime: 120 });
      expect(lease?.address).toMatch(/^10\.95\.0\.(1[0-4]\d|150)$/);
    }
    expect(new Set(Object.values(got).map((lease) => lease?.address)).size).toBe(4);
    // The server gave each child its lease, by its MAC.
    const children = [[nsA, "mac1", got.mac1a], [nsB, "mac1", got.mac1b], [nsA, "mac2", got.mac2a], [nsB, "eth1", got.eth1b]] as const;
    for (const [netns, link, lease] of children) expect(serverLeases()).toContain(`${await macOf(netns, link)} ${lease?.address} `);
    // The kernel: mac2 keeps its static address beside its lease; namespace a has a default route per
    // child (the lease's, proto dhcp), each with its own metric.
    const [mac2] = JSON.parse(await host.exec("ip", "-j", "-n", nsA, "-4", "addr", "show", "dev", "mac2")) as { addr_info: { local: string }[] }[];
    expect(mac2?.addr_info.map((a) => a.local).sort()).toEqual(["10.95.0.9", got.mac2a?.address].sort());
    const routes = JSON.parse(await host.exec("ip", "-j", "-n", nsA, "route", "show", "default")) as { dev: string; protocol: string; gateway: string }[];
    expect(routes.map((r) => [r.dev, r.protocol, r.gateway]).sort()).toEqual([["mac1", "dhcp", "10.95.0.1"], ["mac2", "dhcp", "10.95.0.1"]]);
    // The children reach each other over the LAN by their leased addresses (bridge mode).
    await host.exec("ip", "netns", "exec", nsA, "ping", "-c", "1", "-W", "2", got.mac1b?.address ?? "");
    // Each client is a session of its own, not a process of the SSH session that started it: it
    // outlives the deployment.
    for (const [netns, link] of children) {
      const pid = await clientPid(netns, link);
      const stat = await host.exec("cat", `/proc/${pid}/stat`);
      const session = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3];
      expect(session).toBe(pid);
    }
    expect(await s.changes("refresh", "--yes")).toEqual({ same: 7 });
  });

  it("sees a client killed out of band as drift, and the next up starts it again", { timeout: 180_000 }, async () => {
    const before = (await leases()).mac1b;
    await host.exec("kill", "-KILL", await clientPid(nsB, "mac1"));
    expect(await s.changes("refresh", "--yes")).toEqual({ same: 6, update: 1 });
    // The dead client's lease stays read (a delete would still stop it and take its address off): a
    // second refresh changes nothing.
    expect((await leases()).mac1b).toEqual(before);
    expect(await s.changes("refresh", "--yes")).toEqual({ same: 7 });
    const preview = await s.ok("preview", "--diff");
    expect(preview.stdout).toMatch(/~ dhcp\s*: false => true/);
    expect(await s.changes("up", "--yes")).toEqual({ same: 6, update: 1 });
    const after = (await allLeased()).mac1b;
    expect(after).toMatchObject({ address: before?.address, gateway: "10.95.0.1" });
    expect(await host.run("kill", "-0", await clientPid(nsB, "mac1"))).toMatchObject({ exitCode: 0 });
  });

  it("destroy releases every lease and leaves no client, file or folder", { timeout: 180_000 }, async () => {
    const addresses = Object.values(await leases()).map((lease) => lease?.address);
    expect(await s.changes("destroy", "--yes")).toEqual({ delete: 7 });
    expect(await pollUntil(exchangeSeconds, serverLeases, (text) => addresses.every((a) => !text.includes(`${a} `)))).not.toMatch(/10\.95\.0\./);
    expect(serverLog().split("DHCPRELEASE(srv0)").length - 1).toBeGreaterThanOrEqual(4);
    expect((await host.run("pgrep", "-f", `${runtimeFolder}/${prefix}`)).stdout).toBe("");
    expect((await host.run("ls", "-A", runtimeFolder)).stdout).not.toContain(prefix);
    expect(await host.run("test", "-e", "/etc/pulumi-iproute2")).toMatchObject({ exitCode: 1 });
    expect((await host.exec("ip", "netns", "list")).split("\n").map((line) => line.split(" ")[0])).toEqual(["dhsrv"]);
  });
});
