// A real reboot (docs/reboots.md): a small Debian guest with systemd, booted by QEMU
// (test/support/vm/systemdGuest.ts, built from Debian's packages and cached per user), managed over SSH
// by a Pulumi project (test/projects/reboot) with one child on the guest's own NIC. `pulumi up`, then
// `systemctl reboot` in the guest (a new boot: a new kernel instance, not a soft-reboot), and after it
// the namespaces and links are back as they were, a stand-in for libvirtd (a unit ordered only by ours:
// `Before=libvirtd.service`) found them there when it started, and `pulumi refresh
// --expect-no-changes` passes. Traffic goes only to the guest, through QEMU's port forward on 127.0.0.1.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { linksFromDump } from "../support/linkDump";
import { testStack } from "../support/testStack";
import { buildSystemdGuest, startSystemdGuest, type RunningGuest } from "../support/vm/systemdGuest";

describe("a real reboot of a host with systemd, managed over SSH", () => {
  const prefix = `${inject("runId")}-rg-`;
  const [lab, ns1, ns2] = ["lab", "ns1", "ns2"].map((n) => `${prefix}${n}`) as [string, string, string];
  let guest: RunningGuest | undefined;
  let s: CliStack | undefined;
  let nic = "";

  /** A command in the guest that must work: its output. */
  const inGuest = async (command: string) => {
    const result = await guest!.ssh(command);
    if (result.exitCode !== 0) throw new Error(`in the guest, ${command} exited ${result.exitCode}: ${result.stderr}\n${guest!.console().slice(-3000)}`);
    return result.stdout;
  };
  /** Each namespace's links and addresses as the kernel reports them, and the tap node: what must survive. */
  const snapshot = async () => {
    const links = [];
    for (const netns of [lab, ns1, ns2]) {
      links.push(...linksFromDump(netns, await inGuest(`ip -j -d -n ${netns} addr show`)));
    }
    const tapDevice = ((await s!.outputs()).links as { vmtap0: { tapDevice: string } }).vmtap0.tapDevice;
    return { links, routes: await inGuest(`ip -n ${ns1} route show proto static`), node: await inGuest(`stat -c '%F %U %a' ${tapDevice}`) };
  };

  beforeAll(async () => {
    const image = await buildSystemdGuest();
    guest = await startSystemdGuest(image);
    // The guest's one NIC (QEMU's user network): a physical parent, named by udev, with a .device unit.
    nic = /^\d+: ([^:@]+):/m.exec((await inGuest("ip -o link show")).split("\n").find((l) => !l.includes(" lo:")) ?? "")?.[1] ?? "";
    expect(nic).not.toBe("");
    s = await testStack("test/projects/reboot", "reboot-guest", {
      namePrefix: prefix,
      sshHost: "127.0.0.1",
      sshPort: String(guest.sshPort),
      sshHostKey: image.hostKey,
      nic,
    });
    await s.setSecret("sshPrivateKey", readFileSync(image.clientKeyFile, "utf8"));
  }, 900_000);
  afterAll(async () => {
    try {
      await s?.dispose();
    } finally {
      await guest?.stop();
    }
  });

  it("comes back by itself after a reboot, before the daemons that start VMs, and refresh finds nothing to change", { timeout: 1_200_000 }, async () => {
    expect(await s!.changes("up", "--yes")).toEqual({ create: 13 });
    expect((await inGuest("systemctl is-enabled pulumi-iproute2.service")).trim()).toBe("enabled");
    expect(await inGuest("cat /etc/systemd/system/pulumi-iproute2.service")).toContain(`After=sys-subsystem-net-devices-${nic}.device`);
    const before = await snapshot();
    const bootBefore = (await inGuest("cat /proc/sys/kernel/random/boot_id")).trim();

    await guest!.reboot(600);

    const boot = (await inGuest("cat /proc/sys/kernel/random/boot_id")).trim();
    expect(boot).not.toBe(bootBefore);
    expect((await inGuest("systemctl is-active pulumi-iproute2.service")).trim()).toBe("active");
    expect(await inGuest("journalctl -b -u pulumi-iproute2.service --no-pager -o cat")).toContain("pulumi-iproute2: 12 restored, 0 there already, 0 failed");
    // The stand-in for libvirtd wrote what it saw when it started, in this boot: everything there.
    const seen = await inGuest("cat /var/lib/pi2-probe/at-libvirtd.txt");
    expect(seen).toContain(boot);
    for (const netns of [lab, ns1, ns2]) expect(seen).toContain(netns);
    for (const link of ["mac1@", "nicm0@", "x0@", "mac2@", "vmtap0@", "src0@", "veth0@", "br0:", "vx0:"]) expect(seen).toContain(link);
    // And systemd started it after ours was done.
    const started = async (unit: string) => Number((await inGuest(`systemctl show -p ActiveEnterTimestampMonotonic --value ${unit}`)).trim());
    expect(await started("pulumi-iproute2.service")).toBeLessThanOrEqual(await started("libvirtd.service"));

    expect(await snapshot()).toEqual(before);
    await s!.ok("refresh", "--expect-no-changes", "--yes");
    expect((await guest!.ssh(`ip netns exec ${ns1} ping -c 2 -i 0.2 -W 1 10.78.0.2`)).exitCode).toBe(0);
    expect((await guest!.ssh(`ip netns exec ${ns1} ping -c 2 -i 0.2 -W 1 10.79.0.2`)).exitCode).toBe(0);
  });

  it("destroys everything in the guest, the unit too", async () => {
    await s!.ok("destroy", "--yes");
    expect((await guest!.ssh("ls /etc/pulumi-iproute2 /etc/systemd/system/pulumi-iproute2.service")).exitCode).not.toBe(0);
    expect((await inGuest("ip netns list")).trim()).toBe("");
  });
});
