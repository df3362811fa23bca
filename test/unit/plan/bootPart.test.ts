// The boot description's parts as tables: for each kind and composition, the lines the restore program
// replays, and the steps that write, move and remove a part.
import { describe, expect, it } from "vitest";
import { filledPart, macvlanPart, netNamespacePart, planBootPart, singleLinkPart, vethPairPart } from "../../../provider/plan/bootPart";
import { planLinkCreate } from "../../../provider/plan/link";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { macvtapArgs } from "../../../provider/schema/macvtap";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { expectFailure, validArgs } from "../schema/expectations";
import { bootPartFile } from "../../../provider/model";

/** A part's lines after its two comment lines and `format 1`. */
const body = (text: string) => {
  const lines = text.trimEnd().split("\n");
  expect(lines.slice(0, 2).every((l) => l.startsWith("# "))).toBe(true);
  expect(lines[2]).toBe("format 1");
  return lines.slice(3);
};

describe("a NetNamespace's part", () => {
  it.each([
    { case: "lo up (the default)", raw: { name: "ns1" }, lines: ["ip ns1 link set dev lo up"] },
    { case: "lo left down", raw: { name: "ns1", loopbackUp: false }, lines: [] },
    { case: "with an owner: lo's mark replayed", raw: { name: "ns1", owner: "p/s/NetNamespace/ns 1" }, lines: ["ip ns1 link set dev lo alias pulumi-iproute2:p/s/NetNamespace/ns%201", "ip ns1 link set dev lo up"] },
  ])("$case", ({ raw, lines }) => {
    const part = netNamespacePart(validArgs(netNamespaceArgs, raw));
    expect(part.file).toBe("netns:ns1.part");
    expect(body(part.text)).toEqual(["resource NetNamespace", "object netns ns1", "add - netns add ns1", ...lines]);
  });
});

describe("a VethPair's part: both ends in one ip link add, each with its ifindex and MAC", () => {
  it.each([
    {
      case: "both ends in one namespace, addressed, announced",
      raw: { name: "veth0", peerName: "veth1", netns: "lab", peerAddresses: ["10.77.0.254/24"] },
      file: "link:lab:veth0.part",
      lines: [
        "object link lab veth0",
        "link lab veth0",
        "link lab veth1",
        "needs netns lab",
        "add lab link add index #index1# address #mac1# name veth0 type veth peer index #index2# address #mac2# name veth1",
        "anew lab link add address #mac1# name veth0 type veth peer address #mac2# name veth1",
        "announce lab veth1",
        "ip lab addr add 10.77.0.254/24 dev veth1",
        "ip lab link set dev veth0 up",
        "ip lab link set dev veth1 up",
      ],
    },
    {
      case: "ends in two namespaces, an MTU, left down",
      raw: { name: "x0", peerName: "x1", netns: "a", peerNetns: "b", mtu: 9000, up: false },
      file: "link:a:x0.part",
      lines: [
        "object link a x0",
        "link a x0",
        "link b x1",
        "needs netns a",
        "needs netns b",
        "add a link add index #index1# address #mac1# name x0 mtu 9000 type veth peer index #index2# address #mac2# name x1 netns b mtu 9000",
        "anew a link add address #mac1# name x0 mtu 9000 type veth peer address #mac2# name x1 netns b mtu 9000",
      ],
    },
    {
      case: "in the host's namespace, ends named like keywords",
      raw: { name: "type", peerName: "peer", announce: false, addresses: ["10.0.0.1/24"] },
      file: "link:-:type.part",
      lines: [
        "object link - type",
        "link - type",
        "link - peer",
        "add - link add index #index1# address #mac1# name type type veth peer index #index2# address #mac2# name peer",
        "anew - link add address #mac1# name type type veth peer address #mac2# name peer",
        "ip - addr add 10.0.0.1/24 dev type",
        "ip - link set dev type up",
        "ip - link set dev peer up",
      ],
    },
  ])("$case", ({ raw, file, lines }) => {
    const part = vethPairPart(validArgs(vethPairArgs, raw));
    expect(part.file).toBe(file);
    expect(body(part.text)).toEqual(["resource VethPair", ...lines]);
  });
});

describe("a MacvlanLink's or Macvtap's part: made on its parent with its ifindex and MAC", () => {
  const lab = { parent: "veth0", parentNetns: "lab" };
  it.each([
    {
      case: "a child moved into another namespace, addressed, with routes; IPv6 waits are not replayed",
      spec: macvlanLinkArgs,
      raw: { name: "mac1", ...lab, netns: "ns1", addresses: ["10.77.0.1/24", "fd00::1/64"], routes: [{ to: "default", via: "10.77.0.254" }] },
      kind: "macvlan" as const,
      file: "link:ns1:mac1.part",
      lines: [
        "resource MacvlanLink",
        "object link ns1 mac1",
        "link ns1 mac1",
        "needs netns lab",
        "needs netns ns1",
        "needs link lab veth0",
        "add lab link add index #index1# link veth0 name mac1 netns ns1 address #mac1# type macvlan mode bridge",
        "anew lab link add link veth0 name mac1 netns ns1 address #mac1# type macvlan mode bridge",
        "announce ns1 mac1",
        "ip ns1 addr add 10.77.0.1/24 dev mac1",
        "ip ns1 addr add fd00::1/64 dev mac1",
        "ip ns1 link set dev mac1 up",
        "ip ns1 route add default via 10.77.0.254 dev mac1 proto static metric 0",
      ],
    },
    {
      case: "a child of a NIC in the host's namespace, its MAC pinned, source mode",
      spec: macvlanLinkArgs,
      raw: { name: "src0", parent: "eth0", macAddress: "02:00:00:00:00:09", mode: "source", sourceMacs: ["02:00:00:00:00:0a"], up: false },
      kind: "macvlan" as const,
      file: "link:-:src0.part",
      lines: [
        "resource MacvlanLink",
        "object link - src0",
        "link - src0",
        "needs link - eth0",
        "add - link add index #index1# link eth0 name src0 address 02:00:00:00:00:09 type macvlan mode source macaddr set 02:00:00:00:00:0a",
        "anew - link add link eth0 name src0 address 02:00:00:00:00:09 type macvlan mode source macaddr set 02:00:00:00:00:0a",
      ],
    },
    {
      case: "passthru with nopromisc, every queue length and an MTU, in its parent's namespace",
      spec: macvlanLinkArgs,
      raw: { name: "pt0", ...lab, mode: "passthru", nopromisc: true, mtu: 1400, txQueueLength: 100, bcQueueLength: 50, announce: false },
      kind: "macvlan" as const,
      file: "link:lab:pt0.part",
      lines: [
        "resource MacvlanLink",
        "object link lab pt0",
        "link lab pt0",
        "needs netns lab",
        "needs link lab veth0",
        "add lab link add index #index1# link veth0 name pt0 address #mac1# mtu 1400 txqueuelen 100 type macvlan mode passthru flag nopromisc bcqueuelen 50",
        "anew lab link add link veth0 name pt0 address #mac1# mtu 1400 txqueuelen 100 type macvlan mode passthru flag nopromisc bcqueuelen 50",
        "ip lab link set dev pt0 up",
      ],
    },
    {
      case: "a macvtap for an unprivileged QEMU: its node's owner, group and mode, at /dev/tap<ifindex>",
      spec: macvtapArgs,
      raw: { name: "vmtap0", ...lab, netns: "vm", tapOwner: "qemu", tapGroup: "kvm", tapMode: "0660" },
      kind: "macvtap" as const,
      file: "link:vm:vmtap0.part",
      lines: [
        "resource Macvtap",
        "object link vm vmtap0",
        "link vm vmtap0",
        "needs netns lab",
        "needs netns vm",
        "needs link lab veth0",
        "add lab link add index #index1# link veth0 name vmtap0 netns vm address #mac1# type macvtap mode bridge",
        "anew lab link add link veth0 name vmtap0 netns vm address #mac1# type macvtap mode bridge",
        "ip vm link set dev vmtap0 up",
        "tap vm vmtap0 - 0660 qemu:kvm",
      ],
    },
    {
      case: "a macvtap's node at a path of its own, owner left as the system makes it",
      spec: macvtapArgs,
      raw: { name: "vmtap1", parent: "eth0", tapDevicePath: "/run/vm/tap-a", tapGroup: "kvm" },
      kind: "macvtap" as const,
      file: "link:-:vmtap1.part",
      lines: [
        "resource Macvtap",
        "object link - vmtap1",
        "link - vmtap1",
        "needs link - eth0",
        "add - link add index #index1# link eth0 name vmtap1 address #mac1# type macvtap mode bridge",
        "anew - link add link eth0 name vmtap1 address #mac1# type macvtap mode bridge",
        "ip - link set dev vmtap1 up",
        "tap - vmtap1 /run/vm/tap-a 0600 :kvm",
      ],
    },
  ])("$case", ({ spec, raw, kind, file, lines }) => {
    const part = macvlanPart(validArgs(spec as typeof macvtapArgs, raw), kind);
    expect(part.file).toBe(file);
    expect(body(part.text)).toEqual(lines);
  });

  it("fills each marker with what the kernel gave its link", () => {
    const part = vethPairPart(validArgs(vethPairArgs, { name: "v0", peerName: "v1" }));
    const text = filledPart(part, [
      { ifindex: 12, macAddress: "02:00:00:00:00:0c" },
      { ifindex: 11, macAddress: "02:00:00:00:00:0b" },
    ]);
    expect(text).toContain("add - link add index 12 address 02:00:00:00:00:0c name v0 type veth peer index 11 address 02:00:00:00:00:0b name v1\n");
    expect(text).not.toMatch(/#(index|mac)\d#/);
  });
});

describe("planBootPart: each step undone by putting back what the host had", () => {
  const a = { file: "link:ns1:mac1.part", text: "old\n" };
  const wanted = { file: "link:ns1:mac1.part", text: "new\n" };
  const renamed = { file: "link:ns1:mac2.part", text: "new\n" };
  const shape = (steps: ReturnType<typeof planBootPart>): unknown[] =>
    steps.map((s) => ({
      what: s.describe.replace(/.*parts\//, s.describe.startsWith("write") ? "write " : "remove "),
      stdin: s.command.stdin,
      undo: (s.undo ?? []).map((u) => ("command" in u ? { what: u.describe.replace(/.*parts\//, u.describe.startsWith("write") ? "write " : "remove "), stdin: u.command.stdin } : u)),
    }));

  it.each([
    { case: "made: written, undone by its removal", written: undefined, wanted, unchanged: false, steps: [{ what: "write link:ns1:mac1.part", stdin: "new\n", undo: [{ what: "remove link:ns1:mac1.part", stdin: undefined }] }] },
    { case: "changed: written over, undone by the old text", written: a, wanted, unchanged: false, steps: [{ what: "write link:ns1:mac1.part", stdin: "new\n", undo: [{ what: "write link:ns1:mac1.part", stdin: "old\n" }] }] },
    { case: "the same once filled in: nothing", written: a, wanted, unchanged: true, steps: [] },
    {
      case: "renamed: the new written, the old removed, each undone",
      written: a,
      wanted: renamed,
      unchanged: false,
      steps: [
        { what: "write link:ns1:mac2.part", stdin: "new\n", undo: [{ what: "remove link:ns1:mac2.part", stdin: undefined }] },
        { what: "remove link:ns1:mac1.part", stdin: undefined, undo: [{ what: "write link:ns1:mac1.part", stdin: "old\n" }] },
      ],
    },
    { case: "persist turned off: removed, undone by the old text", written: a, wanted: undefined, unchanged: false, steps: [{ what: "remove link:ns1:mac1.part", stdin: undefined, undo: [{ what: "write link:ns1:mac1.part", stdin: "old\n" }] }] },
    { case: "never written, not wanted: nothing", written: undefined, wanted: undefined, unchanged: false, steps: [] },
  ])("$case", ({ written, wanted: want, unchanged, steps }) => {
    expect(shape(planBootPart(written, want, unchanged))).toEqual(steps);
  });
});

describe("a Macvtap's node path, which its part carries as a word", () => {
  const raw = { name: "vt0", parent: "eth0", tapDevicePath: "/dev/vm#1" };
  it("is refused with quotes, backslashes or # while persist is on, naming tapDevicePath", () => {
    expectFailure(macvtapArgs, { case: "#", raw, property: "tapDevicePath", reason: "must not contain quotes, backslashes or # while persist is on" });
  });
  it("is taken with persist off, and its resource's part file is named without rendering the part", () => {
    expect(validArgs(macvtapArgs, { ...raw, persist: false }).tapDevicePath).toBe("/dev/vm#1");
    expect(bootPartFile({ kind: "link", netns: undefined, name: "vt0" })).toBe("link:-:vt0.part");
  });
});

describe("owner marks in parts: replayed like any create step", () => {
  it("marks both ends of a pair and a macvlan child, each in its namespace, and quotes nothing a host could misread", () => {
    const owner = `p/s/VethPair/a "b" #c \\d`;
    const pair = body(vethPairPart(validArgs(vethPairArgs, { name: "x0", peerName: "x1", netns: "a", peerNetns: "b", up: false, owner })).text);
    const mark = "pulumi-iproute2:p/s/VethPair/a%20%22b%22%20%23c%20%5Cd";
    expect(pair.filter((l) => l.includes("alias"))).toEqual([`ip a link set dev x0 alias ${mark}`, `ip b link set dev x1 alias ${mark}`]);
    const child = body(macvlanPart(validArgs(macvlanLinkArgs, { name: "m", parent: "veth0", parentNetns: "lab", netns: "ns1", owner: "p/s/MacvlanLink/m" }), "macvlan").text);
    // Right after the add, before the rest of the create's steps.
    expect(child[child.findIndex((l) => l.startsWith("anew")) + 1]).toBe("ip ns1 link set dev m alias pulumi-iproute2:p/s/MacvlanLink/m");
  });
});

describe("a single link's part, from its kind's create plan", () => {
  const connection = { type: "local" as const, sudo: false, persist: true };
  const d = { name: "x0", netns: "ns1", addresses: ["10.0.0.1/24"], routes: [], up: true, announce: false, nodad: false, adopt: false, persist: true, connection };
  const create = (link: typeof d & { macAddress?: string }) =>
    planLinkCreate(link, { netns: link.netns, args: ["link", "add", "name", link.name, "address", link.macAddress ?? "", "type", "dummy"] }, [link]);

  it("pins its ifindex and MAC, and needs only its namespace when it is made on no other link", () => {
    expect(body(singleLinkPart("Dummy", d, create).text)).toEqual([
      "resource Dummy",
      "object link ns1 x0",
      "link ns1 x0",
      "needs netns ns1",
      "add ns1 link add index #index1# name x0 address #mac1# type dummy",
      "anew ns1 link add name x0 address #mac1# type dummy",
      "ip ns1 addr add 10.0.0.1/24 dev x0",
      "ip ns1 link set dev x0 up",
    ]);
  });

  it("needs the link it is made on, after the namespaces", () => {
    const lines = body(singleLinkPart("Dummy", d, create, { netns: "ns0", name: "eth1" }).text);
    expect(lines.filter((l) => l.startsWith("needs"))).toEqual(["needs netns ns0", "needs netns ns1", "needs link ns0 eth1"]);
  });
});

describe("DHCP clients in parts", () => {
  it("replays a MacvlanLink's client last (`dhcp NETNS LINK`), and not the check for udhcpc before the add", () => {
    const part = body(macvlanPart(validArgs(macvlanLinkArgs, { name: "m", parent: "veth0", parentNetns: "lab", netns: "ns1", announce: false, dhcp: true }), "macvlan").text);
    expect(part.find((l) => l.startsWith("add "))).toMatch(/^add lab link add index #index1# link veth0 name m netns ns1/);
    expect(part.at(-1)).toBe("dhcp ns1 m");
  });
  it("replays each end's client of a pair, after both ends are set up", () => {
    const part = body(vethPairPart(validArgs(vethPairArgs, { name: "x0", peerName: "x1", peerNetns: "b", dhcp: true, peerDhcp: true })).text);
    expect(part.slice(-2)).toEqual(["dhcp - x0", "dhcp b x1"]);
  });
});
