// A real reboot (docs/reboots.md): a small Debian guest with systemd, booted by QEMU
// (test/support/vm/systemdGuest.ts, built from Debian's packages and cached per user), managed over SSH
// by a Pulumi project (test/projects/reboot) with one child on the guest's own NIC. `pulumi up`, then
// `systemctl reboot` in the guest (a new boot: a new kernel instance, not a soft-reboot), and after it
// the namespaces and links are back as they were, a stand-in for libvirtd (a unit ordered only by ours:
// `Before=libvirtd.service`) found them there when it started, and `pulumi refresh
// --expect-no-changes` passes. Traffic goes only to the guest, through QEMU's port forward on 127.0.0.1.
// A child with `dhcp` on a LAN where the test runs dnsmasq in a namespace of the guest: its client runs as
// a systemd unit (udhcpc its main process, restarted when killed), comes back at boot by the restore
// program's `dhcp` line, takes the same lease again, and destroy releases it and leaves no unit.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { linksFromDump } from "../support/linkDump";
import { testStack } from "../support/testStack";
import { buildSystemdGuest, startSystemdGuest, type RunningGuest } from "../support/vm/systemdGuest";

describe("a real reboot of a host with systemd, managed over SSH", () => {
  const prefix = `${inject("runId")}-rg-`;
  const [lab, ns1, ns2] = ["lab", "ns1", "ns2"].map((n) => `${prefix}${n}`) as [string, string, string];
  // The DHCP LAN of test/projects/reboot: the server's end dhs0 (10.96.0.1) in one, the child dmac0 in the other.
  const [serverNs, clientNs] = [`${prefix}dhs`, `${prefix}dhc`];
  const childMac = "02:96:00:00:00:01";
  /** dnsmasq's files, on the guest's disk: its lease file lives across the reboot, as a LAN's server's would. */
  const serverDir = "/root/pi2-dhcp";
  const leaseFile = `/run/pulumi-iproute2-dhcp/${clientNs}:dmac0.lease`;
  // Bounds, not sleeps: the server's address appears during `up` and at boot; udhcpc asks in rounds
  // of 3 discovers, a new round every 12 s (plan/dhcpProgram.ts); systemd restarts a killed client after RestartSec=10.
  const serverWaitSeconds = 600;
  const leaseWaitSeconds = 90;
  const restartWaitSeconds = 60;
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

  /**
   * Starts the test's dnsmasq in the server namespace once dhs0 has its address (waiting for it in the
   * guest: one SSH session, not a poll over SSH), logging to `log`; DNS off (--port=0), 2-minute leases.
   */
  const startDhcpServer = (log: string) =>
    inGuest(
      `timeout ${serverWaitSeconds} sh -c 'until ip -n ${serverNs} -4 addr show dev dhs0 2>/dev/null | grep -q 10.96.0.1/; do sleep 0.2; done' && ` +
        `mkdir -p ${serverDir} && setsid -f ip netns exec ${serverNs} dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --port=0 ` +
        `--bind-dynamic --interface=dhs0 --except-interface=lo --dhcp-range=10.96.0.100,10.96.0.150,255.255.255.0,2m ` +
        `--dhcp-option=option:router,10.96.0.1 --pid-file=${serverDir}/dnsmasq.pid --dhcp-leasefile=${serverDir}/dnsmasq.leases ` +
        `--log-dhcp --log-facility=${serverDir}/${log} --user=root --group=root </dev/null >/dev/null 2>&1`,
    );
  /** The child's client unit, named as the provider names it. */
  const dhcpUnit = async () => (await inGuest(`systemd-escape --template=pulumi-iproute2-dhcp@.service '${clientNs}/dmac0'`)).trim();
  const mainPid = async (unit: string) => (await inGuest(`systemctl show -p MainPID --value '${unit}'`)).trim();
  const waitForLease = () => inGuest(`timeout ${leaseWaitSeconds} sh -c 'until [ -s ${leaseFile} ]; do sleep 0.5; done' && cat ${leaseFile}`);
  /** The child's leased address, from the stack's outputs after `up`. */
  let leased = "";

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
      dhcpLan: "true",
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
    const serverStarted = startDhcpServer("dnsmasq-1.log");
    expect(await s!.changes("up", "--yes")).toEqual({ create: 17 });
    await serverStarted;
    expect((await inGuest("systemctl is-enabled pulumi-iproute2.service")).trim()).toBe("enabled");
    expect(await inGuest("cat /etc/systemd/system/pulumi-iproute2.service")).toContain(`After=sys-subsystem-net-devices-${nic}.device`);
    const before = await snapshot();
    const bootBefore = (await inGuest("cat /proc/sys/kernel/random/boot_id")).trim();

    // The client: a unit instance of the template the program wrote, udhcpc its main process, the lease
    // on the link and in the stack's outputs.
    const unit = await dhcpUnit();
    expect((await inGuest(`systemctl is-active '${unit}'`)).trim()).toBe("active");
    const firstPid = await mainPid(unit);
    expect((await inGuest(`ps -o comm= -p ${firstPid}`)).trim()).toBe("udhcpc");
    const outputsBefore = await s!.outputs();
    const { lease } = outputsBefore.dhcp as { lease?: { address: string } };
    expect(lease).toMatchObject({ prefixLength: 24, gateway: "10.96.0.1", server: "10.96.0.1", leaseTime: 120 });
    expect(lease!.address).toMatch(/^10\.96\.0\.\d+$/);
    leased = lease!.address;
    expect(await inGuest(`ip -n ${clientNs} -4 addr show dev dmac0`)).toContain(`inet ${lease!.address}/24`);
    // Killed out of band, systemd starts it again (Restart=on-failure).
    await inGuest(`kill -KILL ${firstPid}`);
    await inGuest(
      `timeout ${restartWaitSeconds} sh -c 'until p=$(systemctl show -p MainPID --value "$1") && [ "$p" != 0 ] && [ "$p" != ${firstPid} ]; do sleep 0.5; done' sh '${unit}'`,
    );
    expect((await inGuest(`systemctl is-active '${unit}'`)).trim()).toBe("active");
    expect(Number((await inGuest(`systemctl show -p NRestarts --value '${unit}'`)).trim())).toBeGreaterThanOrEqual(1);
    expect((await inGuest(`ps -o comm= -p ${await mainPid(unit)}`)).trim()).toBe("udhcpc");

    await guest!.reboot(600);

    const boot = (await inGuest("cat /proc/sys/kernel/random/boot_id")).trim();
    expect(boot).not.toBe(bootBefore);
    // The LAN's server again, first: the client's next ask (a new round every 12 s)
    // overlaps the checks below.
    await startDhcpServer("dnsmasq-2.log");
    expect((await inGuest("systemctl is-active pulumi-iproute2.service")).trim()).toBe("active");
    expect(await inGuest("journalctl -b -u pulumi-iproute2.service --no-pager -o cat")).toContain("pulumi-iproute2: 16 restored, 0 there already, 0 failed");
    // The stand-in for libvirtd wrote what it saw when it started, in this boot: everything there.
    const seen = await inGuest("cat /var/lib/pi2-probe/at-libvirtd.txt");
    expect(seen).toContain(boot);
    for (const netns of [lab, ns1, ns2]) expect(seen).toContain(netns);
    for (const link of ["mac1@", "nicm0@", "x0@", "mac2@", "vmtap0@", "src0@", "veth0@", "br0:", "vx0:"]) expect(seen).toContain(link);
    // And systemd started it after ours was done.
    const started = async (unit: string) => Number((await inGuest(`systemctl show -p ActiveEnterTimestampMonotonic --value ${unit}`)).trim());
    expect(await started("pulumi-iproute2.service")).toBeLessThanOrEqual(await started("libvirtd.service"));

    expect(await snapshot()).toEqual(before);
    // The restore program's `dhcp` line queued the client's unit, started once ours was done.
    expect((await inGuest(`systemctl is-active '${unit}'`)).trim()).toBe("active");
    expect(await started(`'${unit}'`)).toBeGreaterThanOrEqual(await started("pulumi-iproute2.service"));
    expect((await inGuest(`ps -o comm= -p ${await mainPid(unit)}`)).trim()).toBe("udhcpc");
    expect(await waitForLease()).toContain(`address ${lease!.address}\n`);
    expect(await inGuest(`ip -n ${clientNs} -4 addr show dev dmac0`)).toContain(`inet ${lease!.address}/24`);
    await s!.ok("refresh", "--expect-no-changes", "--yes");
    // Nothing in the outputs moves with a reboot or a renewal: the same lease, ifindexes and node.
    expect(await s!.outputs()).toEqual(outputsBefore);
    expect((await guest!.ssh(`ip netns exec ${ns1} ping -c 2 -i 0.2 -W 1 10.78.0.2`)).exitCode).toBe(0);
    expect((await guest!.ssh(`ip netns exec ${ns1} ping -c 2 -i 0.2 -W 1 10.79.0.2`)).exitCode).toBe(0);
  });

  it("destroys everything in the guest, the units too, and the DHCP client releases its lease", async () => {
    const unit = await dhcpUnit();
    await s!.ok("destroy", "--yes");
    expect(await inGuest(`cat ${serverDir}/dnsmasq-2.log`)).toMatch(new RegExp(`DHCPRELEASE\\(dhs0\\) ${leased.replace(/\./g, "\\.")} ${childMac}`));
    expect((await guest!.ssh(`systemctl is-active '${unit}'`)).stdout.trim()).toBe("inactive");
    for (const gone of ["/etc/pulumi-iproute2", "/etc/systemd/system/pulumi-iproute2.service", "/etc/systemd/system/pulumi-iproute2-dhcp@.service", "/run/pulumi-iproute2-dhcp"]) {
      expect((await guest!.ssh(`ls -d ${gone}`)).exitCode, gone).not.toBe(0);
    }
    expect((await inGuest("pgrep -x udhcpc || true")).trim()).toBe("");
    await inGuest(`kill $(cat ${serverDir}/dnsmasq.pid)`);
    expect((await inGuest("ip netns list")).trim()).toBe("");
  });
});
