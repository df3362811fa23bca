// The unit as its program renders it from the parts (run here as the writer runs it on a host, without
// root), and the programs a host keeps, checked by sh itself.
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { partOperationsCommand, removePartCommand, restoreProgram, unitProgram, writePartCommand } from "../../../provider/plan/bootFiles";
import { macvlanPart, netNamespacePart, vethPairPart } from "../../../provider/plan/bootPart";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { macvtapArgs } from "../../../provider/schema/macvtap";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { validArgs } from "../schema/expectations";

const unitOf = async (parts: string[]) => (await execa("sh", ["-c", unitProgram], { input: parts.join("") })).stdout;
/** The unit's lines that order it after NICs. */
const deviceLines = (unit: string) => unit.split("\n").filter((l) => /^(Wants|After)=sys-subsystem-net-devices-/.test(l));

const netns = (name: string) => netNamespacePart(validArgs(netNamespaceArgs, { name })).text;
const veth = (raw: Record<string, unknown>) => vethPairPart(validArgs(vethPairArgs, raw)).text;
const macvlan = (raw: Record<string, unknown>) => macvlanPart(validArgs(macvlanLinkArgs, raw), "macvlan").text;
const macvtap = (raw: Record<string, unknown>) => macvlanPart(validArgs(macvtapArgs, raw), "macvtap").text;

describe("the unit", () => {
  it("runs restore once at boot, after udev and network-pre.target, before network.target and the VM and container daemons", async () => {
    const unit = await unitOf([netns("ns1")]);
    const lines = unit.split("\n");
    for (const line of [
      "[Unit]",
      "After=systemd-udevd.service network-pre.target systemd-sysctl.service systemd-modules-load.service",
      "Before=network.target libvirtd.service virtqemud.service libvirt-guests.service docker.service",
      "Wants=network.target",
      "[Service]",
      "Type=oneshot",
      "RemainAfterExit=yes",
      "ExecStart=/etc/pulumi-iproute2/restore",
      "TimeoutStartSec=300",
      "[Install]",
      "WantedBy=multi-user.target",
    ]) {
      expect(lines).toContain(line);
    }
    // Never the settle service (it waits for every device), and no mount sandboxing: namespaces are
    // mounts under /run/netns that must reach the host's.
    expect(unit).not.toMatch(/udev-settle|^Protect|^PrivateMounts|^ReadOnlyPaths|^TemporaryFileSystem|^MountFlags/m);
    expect(deviceLines(unit)).toEqual([]);
  });

  it.each([
    {
      case: "a child of a NIC in the host's namespace waits for the NIC's .device",
      parts: [macvlan({ name: "m0", parent: "eth0" })],
      devices: ["Wants=sys-subsystem-net-devices-eth0.device", "After=sys-subsystem-net-devices-eth0.device"],
    },
    {
      case: "a NIC's name escaped as systemd names its unit",
      parts: [macvtap({ name: "vt0", parent: "enp1s0-a" })],
      devices: ["Wants=sys-subsystem-net-devices-enp1s0\\x2da.device", "After=sys-subsystem-net-devices-enp1s0\\x2da.device"],
    },
    {
      case: "a parent a part makes (a veth end in the host's namespace) has no .device to wait for",
      parts: [veth({ name: "up0", peerName: "up1" }), macvlan({ name: "m0", parent: "up0" })],
      devices: [],
    },
    {
      case: "parents in namespaces are the parts' own",
      parts: [netns("lab"), veth({ name: "veth0", peerName: "veth1", netns: "lab" }), macvlan({ name: "m0", parent: "veth0", parentNetns: "lab", netns: "ns1" })],
      devices: [],
    },
    {
      case: "each NIC once, however many children it has",
      parts: [macvlan({ name: "m0", parent: "eth1" }), macvlan({ name: "m1", parent: "eth0" }), macvtap({ name: "t0", parent: "eth0" })],
      devices: [
        "Wants=sys-subsystem-net-devices-eth0.device",
        "After=sys-subsystem-net-devices-eth0.device",
        "Wants=sys-subsystem-net-devices-eth1.device",
        "After=sys-subsystem-net-devices-eth1.device",
      ],
    },
  ])("$case", async ({ parts, devices }) => {
    expect(deviceLines(await unitOf(parts))).toEqual(devices);
  });
});

describe("the programs", () => {
  it.each([
    { case: "restore", script: restoreProgram },
    { case: "the writer", script: writePartCommand("x.part", "").argv[2] ?? "" },
    { case: "the unit's", script: unitProgram },
  ])("$case parses as sh", async ({ script }) => {
    expect(script.length).toBeGreaterThan(100);
    await execa("sh", ["-n", "-c", script]);
  });

  it("writes and removes by the part's name as an argument, the text on standard input, never in the script", () => {
    const write = writePartCommand("link:ns1:mac1.part", "format 1\n");
    expect(write.argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(write.argv.slice(3)).toEqual(["pulumi-iproute2-boot", "write", "link:ns1:mac1.part"]);
    expect(write.stdin).toBe("format 1\n");
    expect(removePartCommand("netns:ns1.part").argv.slice(3)).toEqual(["pulumi-iproute2-boot", "remove", "netns:ns1.part"]);
    expect(write.argv[2]).toBe(removePartCommand("x").argv[2]);
  });
});

describe("partOperationsCommand", () => {
  it("sends each operation, then a write's lines each after a '|', so no line of a part can pass for an operation", () => {
    const command = partOperationsCommand([
      { op: "write", file: "link:ns1:mac1.part", text: "format 1\nremove x\n\n" },
      { op: "remove", file: "netns:ns1.part" },
    ]);
    expect(command.argv.slice(3)).toEqual(["pulumi-iproute2-boot", "batch"]);
    expect(command.stdin).toBe("write link:ns1:mac1.part\n|format 1\n|remove x\nremove netns:ns1.part\n");
  });

  it("refuses a file name that would split the batch's lines or leave the parts folder", () => {
    expect(() => partOperationsCommand([{ op: "remove", file: "a\nremove b" }])).toThrow(/not a part's name/);
    expect(() => partOperationsCommand([{ op: "remove", file: "../x" }])).toThrow(/not a part's name/);
  });
});
