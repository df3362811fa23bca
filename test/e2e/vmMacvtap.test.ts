// A real VM on a Macvtap made by the VM example (examples/vm-macvtap) with the plain CLI: a QEMU guest
// (software emulation, a Debian kernel and a busybox initramfs built from Debian packages) boots with a
// virtio-net NIC on the macvtap's file descriptor and the macvtap's MAC, taken from the stack's
// outputs, and pings a macvlan in a service namespace on the same parent.
// The hypervisor is this machine, or a simulated host over SSH (test/support/sshHosts.ts): that host
// shares this machine's kernel and /dev, so QEMU opens the node the stack made there from here.
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { testStack } from "../support/testStack";
import { repoRoot } from "../support/engine";
import { startSshHosts, type SshHosts } from "../support/sshHosts";
import { bootGuest, buildGuest, type Guest } from "../support/vm/qemu";

describe.each(["locally", "over SSH"])("a VM on a Macvtap, end to end, %s", (where) => {
  const label = where === "locally" ? "vm" : "vm-ssh";
  const prefix = `${inject("runId")}-${label}-`;
  // Its own node path: /dev/tap<ifindex> can be another namespace's on a busy machine.
  const tapDevicePath = `/dev/${inject("runId")}-${label}tap`;
  let s: CliStack;
  let guest: Guest;
  let hosts: SshHosts | undefined;
  let outputs: { tapDevice: string; macAddress: string; guestAddress: string; serviceAddress: string };

  beforeAll(async () => {
    guest = await buildGuest();
    if (where === "over SSH") hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    const ssh = hosts && { sshHost: hosts.hosts[0]!.address, sshConfigFile: hosts.sshConfigFile };
    s = await testStack("examples/vm-macvtap", label, { namePrefix: prefix, tapDevicePath, ...ssh });
    if (hosts) await s.setSecret("sshPrivateKey", hosts.clientKey);
    await s.ok("up", "--yes");
    outputs = (await s.outputs()) as typeof outputs;
  });
  afterAll(async () => {
    await s?.dispose();
    await hosts?.stop();
    rmSync(tapDevicePath, { force: true }); // /dev is this machine's: nothing left there, even on failure
  });

  it("makes its namespaces on the hypervisor it was given", async () => {
    const here = (await execa("ip", ["netns", "list"])).stdout;
    const there = (await hosts?.hosts[0]!.exec("ip", "netns", "list")) ?? "";
    expect([here.includes(`${prefix}lab`), there.includes(`${prefix}lab`)]).toEqual(where === "locally" ? [true, false] : [false, true]);
  });

  it("boots a guest whose NIC is the macvtap; it pings the service's macvlan", async () => {
    expect(outputs.tapDevice).toBe(tapDevicePath);
    const result = await bootGuest({
      guest,
      tapDevice: outputs.tapDevice,
      macAddress: outputs.macAddress,
      guestAddress: outputs.guestAddress,
      ping: outputs.serviceAddress,
      timeoutSeconds: 90,
    });
    expect(result.verdict, result.console).toMatch(/^PI2-GUEST-PING-OK/);
  });

  it("gets no answer with any other MAC: frames to it never reach the guest", async () => {
    const result = await bootGuest({
      guest,
      tapDevice: outputs.tapDevice,
      macAddress: "52:54:00:12:34:56",
      guestAddress: outputs.guestAddress,
      ping: outputs.serviceAddress,
      timeoutSeconds: 90,
    });
    expect(result.verdict, result.console).toMatch(/^PI2-GUEST-PING-FAIL/);
  });

  it("destroys the stack and the device node it made", async () => {
    expect(await s.changes("destroy", "--yes")).toEqual({ delete: 6 });
    expect(existsSync(tapDevicePath)).toBe(false);
  });
});
