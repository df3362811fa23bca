// A resource's part of its host's boot description: what the restore program (plan/bootFiles.ts)
// replays at boot, rendered from the resource's own create plan, so the host comes back the way `pulumi
// up` made it. Pure: text and steps, no host.
//
// A part, line by line (words without spaces; "-" is the host's namespace):
//   format 1                          the restore program refuses a part of a newer format
//   resource MacvlanLink              for its messages
//   object link ns1 mac1              skipped at boot when it exists already (made by something else)
//   link ns1 mac1                     a link it makes, whose ifindex and MAC it pins (#index1#, #mac1#)
//   needs netns ns1 | needs link - eth0   waited for; a NIC it needs also orders the unit after it
//   add lab link add index #index1# link veth0 name mac1 netns ns1 address #mac1# type macvlan ...
//   anew lab link add link veth0 name mac1 ...   the same without the ifindex, when that one is taken
//   announce ns1 mac1                 arp_notify and ndisc_notify to 1
//   ip ns1 addr add 10.77.0.1/24 dev mac1   the create plan's other ip steps, in order
//   tap ns1 mac1 - 0660 qemu:kvm      a macvtap's node (path, "-" for /dev/tap<ifindex>; mode; owner)
//   fdb ns1 vx0 10.0.0.3              a vxlan's flood list entry (`bridge fdb append 00:..:00 dev vx0 dst IP`)
//   dhcp ns1 mac1                     the link's DHCP client, started by /etc/pulumi-iproute2/dhcp
// The MAC goes into `link add` itself, never after: udev's MACAddressPolicy would race a later set.
// The ifindex too, so a macvtap's /dev/tap<ifindex> (what QEMU opens) and the state stay as they were.
import { classOfLink } from "../kinds";
import { bootFolder, bootPartFile, type MacvlanLinkDesired, type MacvtapDesired, type NetNamespaceDesired, type PortDesired, type SingleLinkDesired, type VethPairDesired } from "../model";
import { removePartCommand, writePartCommand } from "./bootFiles";
import { planMacvlanCreate, type MacvlanKind } from "./macvlanLink";
import { planNetNamespaceCreate } from "./netNamespace";
import { isCommandStep, type CommandStep, type Step } from "./steps";
import { chownSpec } from "./tapNodeScript";
import { planVethCreate, vethPeerArgsAt } from "./vethPair";

export interface BootPart {
  /** Its file in /etc/pulumi-iproute2/parts. */
  file: string;
  /** Its text, with markers (`#index1#`, `#mac1#`...) for what the kernel picks at create. */
  text: string;
}

/** What the kernel gave a link a part makes: the values its markers stand for. */
export interface PinnedLink {
  ifindex: number;
  macAddress: string;
}

export const indexMarker = (link: number) => `#index${link}#`;
export const macMarker = (link: number) => `#mac${link}#`;

const host = (netns: string | undefined) => netns ?? "-";

// A word of a part is read by the restore program split at spaces, then by ip's batch parser: names
// and values are checked by the schema already; this makes sure no line can ever say more than it means.
const word = /^[\x21-\x7e]+$/;
const batchSpecial = /["'\\]/;
function line(...words: string[]): string {
  for (const w of words) {
    if (!word.test(w) || batchSpecial.test(w) || (w.includes("#") && !/^(.*#(index|mac)\d+#.*)$/.test(w))) {
      throw new Error(`boot description: "${w}" cannot be a word of a part`);
    }
  }
  return words.join(" ");
}

interface PartSpec {
  label: string;
  object: { kind: "netns"; name: string } | { kind: "link"; netns?: string; name: string };
  /** The links it makes, in marker order. */
  links: { netns?: string; name: string }[];
  needs: ({ kind: "netns"; name: string } | { kind: "link"; netns?: string; name: string })[];
  /** The create plan; its first step makes the object. */
  create: Step[];
  /** The first step's arguments without the ifindex, when it pins one. */
  anew?: string[];
  tap?: string;
}

function render(spec: PartSpec): BootPart {
  const [first, ...rest] = spec.create;
  if (!first || isCommandStep(first)) throw new Error(`boot description of ${spec.label}: the create plan does not start with ip`);
  const object = spec.object.kind === "netns" ? line("object", "netns", spec.object.name) : line("object", "link", host(spec.object.netns), spec.object.name);
  const needs = spec.needs.map((n) => (n.kind === "netns" ? line("needs", "netns", n.name) : line("needs", "link", host(n.netns), n.name)));
  const steps = rest.flatMap((step) => (isCommandStep(step) ? (step.replay ? [line(...step.replay)] : []) : [line("ip", host(step.netns), ...step.args)]));
  const lines = [
    `# pulumi-iproute2: ${spec.label}. Replayed at boot by ${bootFolder}/restore; written and removed by`,
    "# the resource itself (an edit shows as drift on pulumi refresh).",
    line("format", "1"),
    line("resource", spec.label.split(" ")[0] ?? "part"),
    object,
    ...spec.links.map((l) => line("link", host(l.netns), l.name)),
    ...needs,
    line("add", host(first.netns), ...first.args),
    ...(spec.anew ? [line("anew", host(first.netns), ...spec.anew)] : []),
    ...steps,
    ...(spec.tap !== undefined ? [spec.tap] : []),
  ];
  return { file: bootPartFile(spec.object), text: `${lines.join("\n")}\n` };
}

const namespaces = (...names: (string | undefined)[]) =>
  [...new Set(names.filter((n): n is string => n !== undefined))].map((name) => ({ kind: "netns" as const, name }));

/** The bridge a port joins, which its part waits for (a part made by another resource comes first). */
const bridgeOf = (netns: string | undefined, master: string | undefined) => (master !== undefined ? [{ kind: "link" as const, netns, name: master }] : []);

/** A create plan from its `ip link add` on: a check before it (that udhcpc is installed) is not replayed. */
const fromLinkAdd = (steps: Step[]): Step[] => steps.slice(Math.max(0, steps.findIndex((step) => !isCommandStep(step))));

/** `ip netns add NAME` and its `lo`. */
export function netNamespacePart(d: NetNamespaceDesired): BootPart {
  return render({ label: `NetNamespace ${d.name}`, object: { kind: "netns", name: d.name }, links: [], needs: [], create: planNetNamespaceCreate(d) });
}

/** Both ends made in one `ip link add`, each with its ifindex and MAC, then set up as at create. */
export function vethPairPart(d: VethPairDesired): BootPart {
  const [add, ...rest] = fromLinkAdd(planVethCreate(d));
  if (!add || isCommandStep(add)) throw new Error("a veth create plan starts with ip link add");
  // ip link add name NAME ... type veth peer name PEER ...: each end's pins go right after "add" and
  // right after "type veth peer".
  const peerAt = vethPeerArgsAt(add.args);
  if (peerAt === -1) throw new Error("a veth create plan says type veth peer");
  const pin = (index: string, mac: string) => ["index", index, "address", mac];
  const pinned = (withIndex: boolean) => [
    ...add.args.slice(0, 2),
    ...(withIndex ? ["index", indexMarker(1)] : []), "address", macMarker(1),
    ...add.args.slice(2, peerAt),
    ...(withIndex ? pin(indexMarker(2), macMarker(2)) : ["address", macMarker(2)]),
    ...add.args.slice(peerAt),
  ];
  return render({
    label: `VethPair ${d.name}${d.netns !== undefined ? ` in netns ${d.netns}` : ""}`,
    object: { kind: "link", netns: d.netns, name: d.name },
    links: [{ netns: d.netns, name: d.name }, { netns: d.peerNetns, name: d.peerName }],
    needs: [...namespaces(d.netns, d.peerNetns), ...bridgeOf(d.netns, d.master), ...bridgeOf(d.peerNetns, d.peerMaster)],
    create: [{ ...add, args: pinned(true) }, ...rest],
    anew: pinned(false),
  });
}

/**
 * A single link made with its ifindex and MAC pinned (the MAC the user pinned, else the kernel's: a
 * marker; both go in the same `link add`), from its kind's create plan: after its namespaces, the
 * link it is made on (`parent`), if any, and the bridge it is a port of (`master`), if any. `label`:
 * its kind, for messages.
 */
export function singleLinkPart<D extends SingleLinkDesired & PortDesired>(
  label: string,
  d: D,
  create: (d: D) => Step[],
  parent?: { netns?: string; name: string },
  tap?: string,
): BootPart {
  const [add, ...rest] = fromLinkAdd(create({ ...d, macAddress: d.macAddress ?? macMarker(1) }));
  if (!add || isCommandStep(add)) throw new Error(`a ${label} create plan starts with ip link add`);
  return render({
    label: `${label} ${d.name}${d.netns !== undefined ? ` in netns ${d.netns}` : ""}`,
    object: { kind: "link", netns: d.netns, name: d.name },
    links: [{ netns: d.netns, name: d.name }],
    needs: [
      ...namespaces(...(parent ? [parent.netns] : []), d.netns),
      ...(parent ? [{ kind: "link" as const, netns: parent.netns, name: parent.name }] : []),
      ...bridgeOf(d.netns, d.master),
    ],
    create: [{ ...add, args: [...add.args.slice(0, 2), "index", indexMarker(1), ...add.args.slice(2)] }, ...rest],
    anew: add.args,
    ...(tap !== undefined && { tap }),
  });
}

/** A macvlan or macvtap child made on its parent with its ifindex and MAC, and a macvtap's node. */
export function macvlanPart(d: MacvlanLinkDesired | MacvtapDesired, kind: MacvlanKind): BootPart {
  const tap = "tapMode" in d ? line("tap", host(d.netns), d.name, d.tapDevicePath ?? "-", d.tapMode, chownSpec(d.tapOwner, d.tapGroup) || "-") : undefined;
  const create = (link: MacvlanLinkDesired) => planMacvlanCreate(link, kind);
  return singleLinkPart(classOfLink(kind), d, create, { netns: d.parentNetns, name: d.parent }, tap);
}

/** The part's text as the host has it once written: each marker replaced by what the kernel gave. */
export function filledPart(part: BootPart, pinned: PinnedLink[]): string {
  return pinned.reduce(
    (text, link, i) => text.replaceAll(indexMarker(i + 1), String(link.ifindex)).replaceAll(macMarker(i + 1), link.macAddress),
    part.text,
  );
}

/** A part as written on the host: its file and its whole text. */
export interface WrittenPart {
  file: string;
  text: string;
}

const writeStep = (file: string, text: string, undo: CommandStep[]): CommandStep => ({
  command: writePartCommand(file, text),
  part: { op: "write", file, text },
  describe: `write the boot description's part ${bootFolder}/parts/${file}`,
  undo,
});

/** Equivalent to: `rm -f /etc/pulumi-iproute2/parts/FILE` (and the unit, with the host's last part). */
export function removePartStep(file: string, undo?: CommandStep[]): CommandStep {
  return { command: removePartCommand(file), part: { op: "remove", file }, describe: `remove the boot description's part ${bootFolder}/parts/${file}`, ...(undo && { undo }) };
}

/**
 * The steps from the part the host has (`written`, as the state says; undefined for none) to `wanted`
 * (undefined for none), each undone by putting back what was there. `unchanged`: `wanted` would write
 * `written` again. They go after every ip step of a plan, so the kernel's values are there to pin.
 */
export function planBootPart(written: WrittenPart | undefined, wanted: BootPart | undefined, unchanged: boolean): CommandStep[] {
  const putBack = written ? [writeStep(written.file, written.text, [])] : [];
  const steps: CommandStep[] = [];
  if (wanted && !unchanged) {
    steps.push(writeStep(wanted.file, wanted.text, written?.file === wanted.file ? putBack : [removePartStep(wanted.file)]));
  }
  if (written && written.file !== wanted?.file) steps.push(removePartStep(written.file, putBack));
  return steps;
}
