// A reboot simulated on this kernel, with the plain Pulumi CLI (docs/reboots.md): a stack of every
// composition (test/projects/reboot) comes up, locally and on a simulated SSH host; then everything it
// made goes the way a reboot takes it (namespaces with their mounts, links, the tap node), the unit's
// ExecStart runs as systemd runs it, and the host is as it was: `pulumi refresh --expect-no-changes`
// passes, ifindexes and MACs are the same, and the children ping each other again.
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { repoRoot } from "../support/engine";
import { startSshHosts, type SshHosts } from "../support/sshHosts";
import { linksFromDump } from "../support/linkDump";
import { testStack } from "../support/testStack";

interface Ran {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Where the stack runs: this machine, or inside a simulated host (its network and mount namespaces). */
interface Host {
  run(...argv: string[]): Promise<Ran>;
}

const local: Host = {
  run: async (...argv) => {
    const r = await execa(argv[0] ?? "", argv.slice(1), { reject: false, stdin: "ignore" });
    return { exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  },
};

const unitFile = "/etc/systemd/system/pulumi-iproute2.service";
const partsFolder = "/etc/pulumi-iproute2/parts";

describe.each(["locally", "over SSH"] as const)("a reboot simulated %s", (where) => {
  const prefix = `${inject("runId")}-rb${where === "locally" ? "l" : "s"}-`;
  const namespaces = ["lab", "ns1", "ns2"].map((n) => `${prefix}${n}`);
  const [lab = "", ns1 = "", ns2 = ""] = namespaces;
  let hosts: SshHosts | undefined;
  let host: Host = local;
  let s: CliStack;
  const ok = async (...argv: string[]) => {
    const r = await host.run(...argv);
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${r.exitCode}: ${r.stderr}`);
    return r.stdout;
  };
  const pings = async (netns: string, address: string) => (await host.run("ip", "netns", "exec", netns, "ping", "-c", "2", "-i", "0.2", "-W", "1", address)).exitCode === 0;

  /** What must be the same after the reboot: each namespace's links as the kernel reports them, and the tap node. */
  async function snapshot() {
    const links = [];
    for (const netns of namespaces) {
      links.push(...linksFromDump(netns, await ok("ip", "-j", "-d", "-n", netns, "addr", "show")));
    }
    const routes = await ok("ip", "-n", ns1, "route", "show", "proto", "static");
    const outputs = await s.outputs();
    const tapDevice = (outputs.links as { vmtap0: { tapDevice: string } }).vmtap0.tapDevice;
    const node = await ok("stat", "-c", "%F %t:%T %U %a", tapDevice);
    // The vxlan's flood list, replayed with bridge.
    const flood = await ok("bridge", "-n", ns1, "fdb", "show", "dev", "vx0");
    return { links, routes, node, flood };
  }

  /** What a reboot takes: every namespace (its links and its mount), the links of the host's own, the tap node. */
  async function asAtReboot(tapDevice: string) {
    for (const netns of namespaces) await ok("ip", "netns", "del", netns);
    await ok("rm", "-f", tapDevice);
  }

  /** The restore program's lines about this stack's objects, in the order it made them. */
  const ours = (stdout: string) => stdout.split("\n").filter((line) => line.includes(prefix));

  /** The unit's ExecStart, run as systemd runs it: a clean environment, in /, nothing on stdin. */
  async function execStart(): Promise<Ran> {
    const unit = await ok("cat", unitFile);
    const command = /^ExecStart=(.+)$/m.exec(unit)?.[1];
    if (command === undefined) throw new Error(`no ExecStart= in ${unitFile}:\n${unit}`);
    return host.run("env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin", "sh", "-c", `cd / && exec ${command} </dev/null`);
  }

  beforeAll(async () => {
    const config: Record<string, string> = { namePrefix: prefix };
    if (where === "over SSH") {
      hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
      const sshHost = hosts.hosts[0]!;
      host = sshHost;
      // A NIC of the simulated host's own, as a physical one would be: made by hand, not by the stack.
      await ok("ip", "link", "add", "nic9", "type", "veth", "peer", "name", "nic9p");
      await ok("ip", "link", "set", "nic9", "up");
      Object.assign(config, { sshHost: sshHost.address, sshConfigFile: hosts.sshConfigFile, nic: "nic9" });
    }
    s = await testStack("test/projects/reboot", `reboot-${where === "locally" ? "local" : "ssh"}`, config);
    if (hosts) await s.setSecret("sshPrivateKey", hosts.clientKey);
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("comes up with a part per resource, the restore program and the unit, which systemd-analyze accepts", async () => {
    expect(await s.changes("up", "--yes")).toEqual({ create: where === "locally" ? 12 : 13 }); // with the Stack
    const parts = (await ok("ls", partsFolder)).split("\n").filter((f) => f.includes(prefix));
    expect(parts.sort()).toEqual(
      [
        ...namespaces.map((n) => `netns:${n}.part`),
        `link:${lab}:veth0.part`,
        `link:${lab}:src0.part`,
        `link:${ns1}:br0.part`,
        `link:${ns1}:vx0.part`,
        `link:${ns1}:x0.part`,
        `link:${ns1}:mac1.part`,
        `link:${ns2}:mac2.part`,
        `link:${ns2}:vmtap0.part`,
        ...(where === "over SSH" ? [`link:${ns1}:nicm0.part`] : []),
      ].sort(),
    );
    const verify = await host.run("systemd-analyze", "verify", unitFile);
    expect(verify.stderr).toBe("");
    expect(verify.exitCode).toBe(0);
    expect(await ok("readlink", "/etc/systemd/system/multi-user.target.wants/pulumi-iproute2.service")).toBe(unitFile);
    if (where === "over SSH") expect(await ok("cat", unitFile)).toContain("Wants=sys-subsystem-net-devices-nic9.device\nAfter=sys-subsystem-net-devices-nic9.device\n");
    await s.ok("refresh", "--expect-no-changes", "--yes");
  });

  it("comes back as it was once a reboot took it all: same ifindexes, MACs and node; refresh finds nothing to change; pings pass", async () => {
    const before = await snapshot();
    const tapDevice = ((await s.outputs()).links as { vmtap0: { tapDevice: string } }).vmtap0.tapDevice;
    await asAtReboot(tapDevice);
    expect((await host.run("stat", tapDevice)).exitCode).not.toBe(0);
    expect((await host.run("ip", "netns", "list")).stdout).not.toContain(prefix);

    const restore = await execStart();
    expect(restore.stderr).toBe("");
    // In passes: a part waits for what it needs (the namespaces first, src0 for its parent veth0, vx0
    // for its underlay x0 and its bridge br0).
    expect(ours(restore.stdout)).toEqual([
      `NetNamespace ${lab}: restored`,
      `NetNamespace ${ns1}: restored`,
      `NetNamespace ${ns2}: restored`,
      `VethPair veth0 in netns ${lab}: restored`,
      `Bridge br0 in netns ${ns1}: restored`,
      `MacvlanLink mac1 in netns ${ns1}: restored`,
      ...(where === "over SSH" ? [`MacvlanLink nicm0 in netns ${ns1}: restored`] : []),
      `VethPair x0 in netns ${ns1}: restored`,
      `MacvlanLink mac2 in netns ${ns2}: restored`,
      `Macvtap vmtap0 in netns ${ns2}: restored`,
      `MacvlanLink src0 in netns ${lab}: restored`,
      `Vxlan vx0 in netns ${ns1}: restored`, // after its underlay x0 and its bridge
    ]);
    // The exit code says whether every part came back: on this machine, parts of others may not.
    expect(restore.exitCode).toBe(restore.stdout.includes("<3>") ? 1 : 0);
    if (where === "over SSH") expect(restore.exitCode).toBe(0);
    expect(await snapshot()).toEqual(before);
    await s.ok("refresh", "--expect-no-changes", "--yes");
    expect(await pings(ns1, "10.78.0.2")).toBe(true); // mac1 -> mac2, children of one parent in bridge mode
    expect(await pings(ns1, "10.78.0.254")).toBe(true); // mac1 -> the veth peer
    expect(await pings(ns1, "10.79.0.2")).toBe(true); // across the pair between ns1 and ns2
    expect(await pings(ns1, "10.78.0.1")).toBe(true); // its own address: lo is up again
  });

  it("runs again harmlessly: everything is there already and left as it is", async () => {
    const again = await execStart();
    expect(ours(again.stdout).every((line) => line.endsWith(": there already, left as it is"))).toBe(true);
    expect(ours(again.stdout)).toHaveLength(where === "locally" ? 11 : 12);
    if (where === "over SSH") expect(again.stdout).toMatch(/: 0 restored, 12 there already, 0 failed$/);
    await s.ok("refresh", "--expect-no-changes", "--yes");
  });

  // Only a host of the test's own has a NIC to take away.
  if (where === "over SSH")
    it("brings the rest back when a NIC is missing, and names the child it could not", async () => {
    const tapDevice = ((await s.outputs()).links as { vmtap0: { tapDevice: string } }).vmtap0.tapDevice;
    await asAtReboot(tapDevice);
    await ok("ip", "link", "del", "nic9");
    const restore = await execStart();
    expect(restore.exitCode).toBe(1);
    expect(restore.stdout).toContain(`<3>MacvlanLink nicm0 in netns ${ns1}: not restored: link nic9 in the host's namespace is missing`);
    expect(restore.stdout).toMatch(/: 11 restored, 0 there already, 1 failed$/);
    expect(await pings(ns1, "10.78.0.2")).toBe(true);
    // Refresh finds the child gone (and its part removed); with the NIC back, up makes it again.
    await ok("ip", "link", "add", "nic9", "type", "veth", "peer", "name", "nic9p");
    await ok("ip", "link", "set", "nic9", "up");
    await s.ok("refresh", "--yes");
    expect(await s.changes("up", "--yes")).toEqual({ create: 1, same: 12 });
    expect(await pings(ns1, "10.78.0.1")).toBe(true);
  });

  it("destroys everything: no part, no program, no unit is left", async () => {
    await s.ok("destroy", "--yes");
    for (const file of ["/etc/pulumi-iproute2", unitFile, "/etc/systemd/system/multi-user.target.wants/pulumi-iproute2.service"]) {
      expect((await host.run("stat", file)).exitCode, file).not.toBe(0);
    }
  });
});
