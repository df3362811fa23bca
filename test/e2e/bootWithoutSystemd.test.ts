// A host without systemd (docs/reboots.md#hosts-without-systemd): a simulated SSH host whose
// `systemctl` is hidden. The preview says once that nothing replays the boot description there, and how
// to hook it in; up writes the parts and the restore program, but no unit; destroy removes them.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { repoRoot } from "../support/engine";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";
import { testStack } from "../support/testStack";

describe("a host without systemd", () => {
  const prefix = `${inject("runId")}-ns-`;
  let hosts: SshHosts;
  let host: SshHost;
  let s: CliStack;

  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    host = hosts.hosts[0]!;
    // Inside the host only: a systemctl that cannot run is one `command -v` does not find.
    await host.exec("mount", "--bind", "/dev/null", "/usr/bin/systemctl");
    s = await testStack("test/projects/reboot", "no-systemd", { namePrefix: prefix, sshHost: host.address, sshConfigFile: hosts.sshConfigFile });
    await s.setSecret("sshPrivateKey", hosts.clientKey);
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
  });

  it("previews with one warning that says how to hook the restore program in", async () => {
    const preview = await s.ok("preview");
    // The CLI lists each warning as it comes and again under Diagnostics: one there, for the stack.
    const output = preview.stdout + preview.stderr;
    expect(output).toContain("Diagnostics:");
    const warnings = output.slice(output.indexOf("Diagnostics:")).match(/\S+ has no systemd: .*?or set persist: false\./gs) ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${host.address} has no systemd`);
    expect(warnings[0]).toContain("Run /etc/pulumi-iproute2/restore from the host's boot");
  });

  it("writes the parts and the restore program, no unit; refresh counts them replayed; destroy removes them", async () => {
    await s.ok("up", "--yes");
    // One part per namespace and link of test/projects/reboot (no NIC here): 3 namespaces, 2 pairs,
    // 3 macvlans, a macvtap, a bridge and a vxlan.
    expect((await host.exec("ls", "/etc/pulumi-iproute2/parts")).split("\n")).toHaveLength(11);
    expect((await host.run("ls", "/etc/pulumi-iproute2/restore")).exitCode).toBe(0);
    expect((await host.run("ls", "/etc/systemd/system/pulumi-iproute2.service")).exitCode).not.toBe(0);
    await s.ok("refresh", "--expect-no-changes", "--yes");
    expect(Object.values((await s.outputs()).links as object).length).toBeGreaterThan(0);
    await s.ok("destroy", "--yes");
    expect((await host.run("ls", "/etc/pulumi-iproute2")).exitCode).not.toBe(0);
  });
});
