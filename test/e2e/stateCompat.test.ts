// State compatibility across a package upgrade, as a user lives it: a stack made with the package as it
// was before the provider's layering refactor (BEFORE_REFACTOR, packed from git) is then refreshed,
// previewed, updated and destroyed with this checkout's package installed in its place. The kernel
// must not change (same ifindexes, MACs, addresses, routes, namespaces, tap node), nor the state (type
// tokens, ids, inputs, outputs, the serialized `__provider` that loads `pulumi-iproute2/impl`), with one
// exception the upgrade brings on purpose: links made before `announce` existed were made without it,
// nothing made before `persist` existed is replayed at boot, and nothing made before `owner` existed
// carries its owner's mark. Refresh records that (announce: false,
// and nodad: false as they were; persist: false; and the owner of the Macvtap's node, an output only, by
// which it knows that node as its own), preview shows exactly `announce: false => true` on each
// link, `persist: false => true` and a new `owner` on each resource of this package, and up sets them in
// place (writing the settings of the links that have addresses, each resource's part of the boot
// description, and the owner's mark as each link's alias and each namespace's lo's: nothing else).
// Every resource kind is in the stack (test/projects/compat).
// The project is a copy under .work/, not test/projects/compat itself: its package is swapped mid-test,
// and the shared project folders are installed once for the whole run (globalSetup.ts).
import { cpSync, existsSync, lstatSync, mkdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { installPackage, packAtRef } from "../support/baseline";
import { CliStack, previewSummary } from "../support/cliStack";
import { packPackage, repoRoot } from "../support/engine";
import { ownerMark } from "../../provider/ownerMark";
import { bootPartFiles, ip, ipJson, listNamespaces } from "../support/netns";

/** main before the layering refactor of provider/: the package whose stacks must keep working. */
const BEFORE_REFACTOR = "f11a272";

/** What `pulumi stack history` counts: the Stack, 2 namespaces, the pair, 2 macvlans, the macvtap, the Echo. */
const RESOURCES = 8;
/** The links among them: what `announce` is new to. */
const LINKS = 4;
const isLink = (resource: Record<string, unknown>) => /:(VethPair|MacvlanLink|Macvtap)::/.test(String(resource.urn));
/** The namespaces: what `adopt` is new to (it was new to the pair too). */
const NAMESPACES = 2;
const tookNoAdopt = (resource: Record<string, unknown>) => /:(NetNamespace|VethPair)::/.test(String(resource.urn));

/** The resources of this package (not the Stack, not the Echo): what `persist` is new to. */
const ofThisPackage = (resource: Record<string, unknown>) => isLink(resource) || /:NetNamespace::/.test(String(resource.urn));

/**
 * The state after a refresh by this package: each link's inputs and outputs say how it was made
 * (without announce, with DAD, without a DHCP client), the namespaces' and the pair's that they were made, not adopted, and
 * every resource's that nothing replays it at boot (its connection says the host's default, on); the
 * Macvtap's outputs add the owner of the node it made ("UID GID"), by which it knows the node as its own.
 */
function withAnnounceRecorded(state: Record<string, unknown>[], tapNode: { uid: number; gid: number }) {
  return state.map((resource) => {
    const made = {
      ...(isLink(resource) && { announce: false, nodad: false, dhcp: false }),
      ...(/:VethPair::/.test(String(resource.urn)) && { peerDhcp: false }), ...(tookNoAdopt(resource) && { adopt: false }), ...(ofThisPackage(resource) && { persist: false }) };
    const connection = (props: object) => ("connection" in props ? { connection: { ...(props.connection as object), persist: true } } : {});
    const outputs = resource.outputs as Record<string, unknown>;
    const ownerIds = outputs.tapNodeCreated === true ? { tapNodeOwnerIds: `${tapNode.uid} ${tapNode.gid}` } : {};
    return Object.keys(made).length > 0
      ? {
          ...resource,
          inputs: { ...made, ...(resource.inputs as object), ...connection(resource.inputs as object) },
          outputs: { ...made, ...outputs, ...connection(outputs), ...ownerIds },
        }
      : resource;
  });
}

/** arp_notify of each link the stack made, where each is. */
async function arpNotify(left: string, right: string) {
  const read = async (netns: string, dev: string) => (await execa("ip", ["netns", "exec", netns, "cat", `/proc/sys/net/ipv4/conf/${dev}/arp_notify`])).stdout;
  return { veth0: await read(left, "veth0"), veth1: await read(right, "veth1"), svc0: await read(right, "svc0"), src0: await read(right, "src0"), tap0: await read(left, "tap0") };
}

interface DumpedLink {
  ifname: string;
  ifindex: number;
  address?: string;
  mtu: number;
  flags: string[];
  link?: string;
  link_index?: number;
  linkinfo?: { info_kind?: string; info_data?: unknown };
}
interface DumpedAddresses {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}
interface DumpedRoute {
  dst: string;
  gateway?: string;
  dev: string;
  protocol?: string;
  metric?: number;
}

/** The alias of each link in the two namespaces (lo's is a namespace's mark), by name: none where it has none. */
async function aliases(left: string, right: string) {
  const read = async (netns: string) =>
    Object.fromEntries((await ipJson<{ ifname: string; ifalias?: string }[]>("-d", "-n", netns, "link", "show")).map((l) => [l.ifname, l.ifalias]));
  return { left: await read(left), right: await read(right) };
}

/** What a user would check on the host to see that nothing was remade or changed. */
async function kernelFacts(namespaces: string[], tapPath: string) {
  const perNamespace = [];
  for (const netns of namespaces) {
    const links = await ipJson<DumpedLink[]>("-d", "-n", netns, "link", "show");
    const addresses = await ipJson<DumpedAddresses[]>("-n", netns, "addr", "show");
    const routes = [...(await ipJson<DumpedRoute[]>("-n", netns, "-4", "route", "show")), ...(await ipJson<DumpedRoute[]>("-n", netns, "-6", "route", "show"))];
    perNamespace.push({
      netns,
      // A namespace made anew under the same name is another nsfs inode.
      inode: statSync(`/run/netns/${netns}`).ino,
      links: links.map((l) => ({
        ifname: l.ifname,
        ifindex: l.ifindex,
        address: l.address,
        mtu: l.mtu,
        up: l.flags.includes("UP"),
        parentIndex: l.link_index,
        kind: l.linkinfo?.info_kind,
        data: l.linkinfo?.info_data,
      })),
      addresses: addresses.flatMap((a) => a.addr_info.filter((i) => i.scope === "global").map((i) => `${a.ifname} ${i.local}/${i.prefixlen}`)).sort(),
      routes: routes.map((r) => `${r.dev} ${r.dst} via ${r.gateway ?? "-"} proto ${r.protocol ?? "-"} metric ${r.metric ?? "-"}`).sort(),
    });
  }
  const node = lstatSync(tapPath);
  return { namespaces: perNamespace, tapNode: { inode: node.ino, rdev: node.rdev, uid: node.uid, gid: node.gid, mode: node.mode } };
}

type Facts = Awaited<ReturnType<typeof kernelFacts>>;

function linkNamed(facts: Facts, netns: string, ifname: string) {
  const link = facts.namespaces.find((n) => n.netns === netns)?.links.find((l) => l.ifname === ifname);
  if (!link) throw new Error(`no link ${ifname} in ${netns}: ${JSON.stringify(facts)}`);
  return link;
}

/** The lines of a `preview --diff` that show a property change (`~ announce: false => true`). */
const changedLines = (stdout: string) => stdout.split("\n").filter((line) => line.includes("=>"));

/** The host's own links, which the stack must never touch. */
async function hostLinks() {
  return (await ipJson<DumpedLink[]>("link", "show")).map(({ ifname, ifindex, address, mtu }) => ({ ifname, ifindex, address, mtu }));
}

/**
 * The state as `pulumi stack export` has it, without what the engine rewrites whichever package runs:
 * the times of the last write, and the empty `propertyDependencies` lists that `up` records and a
 * refresh leaves out.
 */
async function stateOf(s: CliStack) {
  const exported = JSON.parse((await s.ok("stack", "export")).stdout) as {
    deployment: { resources: ({ propertyDependencies?: Record<string, string[]> } & Record<string, unknown>)[] };
  };
  return exported.deployment.resources.map(({ created: _created, modified: _modified, propertyDependencies, ...resource }) => {
    const dependencies = Object.entries(propertyDependencies ?? {}).filter(([, urns]) => urns.length > 0);
    return dependencies.length > 0 ? { ...resource, propertyDependencies: Object.fromEntries(dependencies) } : resource;
  });
}

describe(`a stack made with the package at ${BEFORE_REFACTOR}, kept by this checkout's package`, () => {
  const runId = inject("runId");
  const prefix = `${runId}-compat-`;
  const namespaces = [`${prefix}left`, `${prefix}right`];
  const tapPath = `/dev/${prefix}tap`;
  const work = path.join(repoRoot, ".work", `compat-${runId}`);
  const projectDir = path.join(work, "project");
  let baselineTarball: string;
  let currentTarball: string;
  let s: CliStack | undefined;
  let hostBefore: Awaited<ReturnType<typeof hostLinks>>;
  let factsAfterUp: Facts;
  let stateAfterUp: Awaited<ReturnType<typeof stateOf>>;
  /** The owner each resource of this package gets by default: project/stack/Kind/name. */
  const owners = () => {
    const of = (kind: string, name: string) => `iproute2-compat/${runId}-compat/${kind}/${name}`;
    return { left: of("NetNamespace", "left"), right: of("NetNamespace", "right"), pair: of("VethPair", "pair"), service: of("MacvlanLink", "service"), sniffer: of("MacvlanLink", "sniffer"), "vm-nic": of("Macvtap", "vm-nic") };
  };

  beforeAll(async () => {
    rmSync(work, { recursive: true, force: true });
    baselineTarball = await packAtRef(BEFORE_REFACTOR, path.join(work, "baseline"));
    currentTarball = path.join(work, "current", await packPackage(path.join(work, "current"), repoRoot, { built: true }));
    mkdirSync(projectDir, { recursive: true });
    for (const file of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", ".npmrc"]) {
      cpSync(path.join(repoRoot, "test", "projects", "compat", file), path.join(projectDir, file));
    }
    await installPackage(projectDir, baselineTarball);
    hostBefore = await hostLinks();
    s = await CliStack.init(projectDir, `${runId}-compat`, inject("engineEnv"), { namePrefix: prefix });
  });

  afterAll(async () => {
    try {
      await s?.dispose();
    } finally {
      // Whatever destroy left (it failed, or never ran): this run's names only.
      if (existsSync(tapPath) && lstatSync(tapPath).isCharacterDevice()) rmSync(tapPath);
      for (const name of await listNamespaces()) if (name.startsWith(prefix)) await ip("netns", "del", name);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it(`comes up with the package at ${BEFORE_REFACTOR}, its outputs what the kernel has`, async () => {
    expect(await s!.changes("up", "--yes")).toEqual({ create: RESOURCES });
    factsAfterUp = await kernelFacts(namespaces, tapPath);
    stateAfterUp = await stateOf(s!);

    const [left, right] = namespaces as [string, string];
    const outputs = (await s!.outputs()) as Record<string, Record<string, unknown>> & { echoValue: string };
    expect(outputs.namespaces).toEqual({ left, leftPath: `/run/netns/${left}`, right, rightLoopbackUp: false });
    expect(outputs.veth).toMatchObject({
      ifindex: linkNamed(factsAfterUp, left, "veth0").ifindex,
      macAddress: linkNamed(factsAfterUp, left, "veth0").address,
      peerIfindex: linkNamed(factsAfterUp, right, "veth1").ifindex,
      peerMacAddress: linkNamed(factsAfterUp, right, "veth1").address,
    });
    expect(outputs.serviceLink).toMatchObject({
      ifindex: linkNamed(factsAfterUp, right, "svc0").ifindex,
      macAddress: linkNamed(factsAfterUp, right, "svc0").address,
      netns: right,
      mode: "private",
      addresses: ["10.93.1.1/24", "fd93:0:0:1::1/64"],
      routes: [{ to: "10.93.8.0/24", via: "10.93.1.254", metric: 0 }],
    });
    expect(outputs.snifferLink).toEqual({
      ifindex: linkNamed(factsAfterUp, right, "src0").ifindex,
      macAddress: "02:93:00:00:00:10",
      sourceMacs: ["02:93:00:00:00:01", "02:93:00:00:00:02"],
    });
    const nobody = Number((await execa("id", ["-u", "nobody"])).stdout);
    expect(outputs.tap).toMatchObject({ ifindex: linkNamed(factsAfterUp, left, "tap0").ifindex, macAddress: linkNamed(factsAfterUp, left, "tap0").address, tapDevice: tapPath, tapMode: "0660" });
    expect({ uid: factsAfterUp.tapNode.uid, mode: factsAfterUp.tapNode.mode & 0o7777 }).toEqual({ uid: nobody, mode: 0o660 });
    expect(outputs.echoValue).toBe(`${prefix}echo`);
    expect(factsAfterUp.namespaces.flatMap((n) => n.routes).filter((r) => r.startsWith("svc0 10.93.8.0/24 via 10.93.1.254 proto static"))).toHaveLength(1);
  });

  it("refreshes with this checkout's package: records only that the links were made without announce or a DHCP client, and nothing adopted", { timeout: 300_000 }, async () => {
    await installPackage(projectDir, currentTarball);
    expect(await s!.changes("refresh", "--yes")).toEqual({ update: LINKS + NAMESPACES, same: RESOURCES - LINKS - NAMESPACES });
    expect(await stateOf(s!)).toEqual(withAnnounceRecorded(stateAfterUp, factsAfterUp.tapNode));
    expect(await kernelFacts(namespaces, tapPath)).toEqual(factsAfterUp);
    const [left, right] = namespaces as [string, string];
    const none = { left: { lo: undefined, veth0: undefined, tap0: undefined }, right: { lo: undefined, veth1: undefined, svc0: undefined, src0: undefined } };
    expect(await aliases(left, right)).toEqual(none);
  });

  it("previews turning announce on for each link, and persist and a new owner for each resource, in place, and nothing else", async () => {
    const preview = await s!.ok("preview", "--diff");
    expect(previewSummary(preview.stdout)).toEqual({ update: LINKS + NAMESPACES, same: RESOURCES - LINKS - NAMESPACES });
    expect(changedLines(preview.stdout).map((line) => line.trim().replace(/\s+/g, " ").replace(" :", ":")).sort()).toEqual(
      [...Array(LINKS).fill("~ announce: false => true"), ...Array(LINKS + NAMESPACES).fill("~ persist: false => true")].sort(),
    );
    // Each resource of this package gets its owner, in place: what its objects' marks will say.
    const added = preview.stdout.split("\n").filter((line) => /^\s*\+ owner\s*:/.test(line));
    expect(added.map((line) => line.trim().replace(/\s+/g, " ").replace(" :", ":")).sort()).toEqual(
      Object.values(owners()).map((owner) => `+ owner: "${owner}"`).sort(),
    );
    expect(await kernelFacts(namespaces, tapPath)).toEqual(factsAfterUp);
  });

  it("turns announce and persist on and marks every object in place: the links as they were, each now announcing and marked, each resource with its part", async () => {
    const [left, right] = namespaces as [string, string];
    expect(Object.values(await arpNotify(left, right))).toEqual(Array(5).fill("0"));
    expect(await s!.changes("up", "--yes")).toEqual({ update: LINKS + NAMESPACES, same: RESOURCES - LINKS - NAMESPACES });
    expect(await kernelFacts(namespaces, tapPath)).toEqual(factsAfterUp);
    const parts = bootPartFiles().filter((file) => file.includes(prefix));
    expect(parts.sort()).toEqual([`link:${left}:tap0.part`, `link:${left}:veth0.part`, `link:${right}:src0.part`, `link:${right}:svc0.part`, `netns:${left}.part`, `netns:${right}.part`]);
    // Written where a link has addresses to announce: not on the sniffer's src0 nor the VM's tap0.
    expect(await arpNotify(left, right)).toEqual({ veth0: "1", veth1: "1", svc0: "1", src0: "0", tap0: "0" });
    // Each object now carries its owner's mark: both ends of the pair, each namespace's lo.
    const mark = (resource: keyof ReturnType<typeof owners>) => ownerMark(owners()[resource]);
    expect(await aliases(left, right)).toEqual({
      left: { lo: mark("left"), veth0: mark("pair"), tap0: mark("vm-nic") },
      right: { lo: mark("right"), veth1: mark("pair"), svc0: mark("service"), src0: mark("sniffer") },
    });
    const again = await s!.pulumi(["preview", "--expect-no-changes"]);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
  });

  it("destroys everything with this checkout's package: no namespace, no node, the host's links as they were", async () => {
    expect(await s!.changes("destroy", "--yes")).toEqual({ delete: RESOURCES });
    expect((await listNamespaces()).filter((name) => name.startsWith(prefix))).toEqual([]);
    expect(existsSync(tapPath)).toBe(false);
    expect(await hostLinks()).toEqual(hostBefore);
    expect(bootPartFiles().filter((file) => file.includes(prefix))).toEqual([]);
  });
});
