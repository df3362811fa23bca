// Macvtap's handlers against the real kernel: the link, and the character device node QEMU opens.
import { mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { execa, type ResultPromise } from "execa";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { macvtapHandlers as handlers } from "../../provider/resources/macvtap";
import { asTheEngine } from "../support/engineCalls";
import { ip, ipJson, orIfGone, runId, World } from "../support/netns";
import { holdDefaultTapNodes } from "../support/tapNodes";

type Props = Record<string, unknown>;

const engine = asTheEngine(handlers);
const create = engine.create;

/** An update that must happen in place. */
async function update(olds: Props, news: Props): Promise<Props> {
  const { diff, outs } = await engine.update(olds, news);
  expect(diff.replaces).toEqual([]);
  return outs ?? {};
}

/** The device numbers sysfs gives for a macvtap (read inside its namespace). */
async function sysfsDev(netns: string, name: string, ifindex: number): Promise<string> {
  return (await execa("ip", ["netns", "exec", netns, "cat", `/sys/class/net/${name}/macvtap/tap${ifindex}/dev`])).stdout.trim();
}

function node(path: string) {
  const s = statSync(path, { throwIfNoEntry: false });
  return s && { dev: `${Math.floor(s.rdev / 256) & 0xfff}:${(s.rdev & 0xff) | ((s.rdev >> 12) & 0xfff00)}`, uid: s.uid, gid: s.gid, mode: (s.mode & 0o7777).toString(8).padStart(4, "0"), char: s.isCharacterDevice() };
}

/** Character device nodes under /dev and /run with `numbers` ("major:minor"), owned by `uid`. */
async function nodesOf(numbers: string, uid: number): Promise<string[]> {
  const { stdout } = await execa("find", ["/dev", "/run", "-xdev", "-type", "c", "-uid", String(uid), "-exec", "stat", "-c", "%t:%T %n", "{}", "+"], { reject: false });
  const decimal = (hex: string) => hex.split(":").map((n) => parseInt(n, 16)).join(":");
  return stdout.split("\n").filter((line) => line !== "" && decimal(line.split(" ")[0] ?? "") === numbers).map((line) => line.slice(line.indexOf(" ") + 1));
}

// Most of these macvtaps take the default node, /dev/tap<ifindex>: the file holds the run's lock on them.
let letGo: (() => Promise<void>) | undefined;
beforeAll(async () => {
  letGo = await holdDefaultTapNodes();
});
afterAll(async () => letGo?.());

describe("Macvtap on the real kernel", () => {
  let world: World;
  let lab: string;
  const paths: string[] = [];
  const customPath = (label: string) => {
    const path = `/dev/${runId}-${process.pid}-${label}`;
    paths.push(path);
    return path;
  };
  beforeEach(async () => {
    world = new World();
    lab = await world.netns("lab");
    await world.vethParent(lab);
  });
  afterEach(async () => {
    await world.cleanup();
    for (const path of paths.splice(0)) await execa("rm", ["-f", path]);
  });

  it.each(["bridge", "private", "vepa", "source"] as const)("creates mode %s with its device node, and reads it back", async (mode) => {
    const { id, outs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, mode, ...(mode === "source" && { sourceMacs: ["02:00:00:00:00:01"] }) });
    const dev = await sysfsDev(lab, "tap0", outs.ifindex as number);
    expect(outs).toMatchObject({ mode, tapDevice: `/dev/tap${outs.ifindex}`, tapDevNumbers: dev, tapMode: "0600", txQueueLength: 500 });
    expect(node(outs.tapDevice as string)).toMatchObject({ dev, char: true, mode: "0600" });
    expect((await handlers.read(id, outs)).props).toEqual(outs);
  });

  it("creates passthru on a parent of its own", async () => {
    await world.vethParent(lab, "vp0", "vp1");
    const { outs } = await create({ name: "pt", parent: "vp0", parentNetns: lab, mode: "passthru" });
    const [link] = await ipJson<{ linkinfo: { info_kind: string; info_data: { mode: string } } }[]>("-d", "-n", lab, "link", "show", "dev", "pt");
    expect(link?.linkinfo).toMatchObject({ info_kind: "macvtap", info_data: { mode: "passthru" } });
    expect(node(outs.tapDevice as string)?.dev).toBe(outs.tapDevNumbers);
  });

  it("makes a missing node with the owner, group and mode asked for, and removes it on delete", async () => {
    const path = customPath("tap");
    const { id, outs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: path, tapOwner: "nobody", tapGroup: 65534, tapMode: "0660" });
    expect(outs).toMatchObject({ tapDevice: path, tapOwner: "nobody", tapGroup: "65534", tapMode: "0660", tapNodeCreated: true });
    expect(node(path)).toMatchObject({ dev: outs.tapDevNumbers, uid: 65534, gid: 65534, mode: "0660", char: true });

    await handlers.delete(id, outs);
    expect(node(path)).toBeUndefined();
  });

  it("replaces a stale node, and refuses a path that is another live device's", async () => {
    const stale = customPath("stale");
    await execa("mknod", [stale, "c", "250", "250"]); // numbers no device has
    const { outs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: stale });
    expect(node(stale)?.dev).toBe(outs.tapDevNumbers);

    const taken = customPath("taken");
    await execa("mknod", [taken, "c", "1", "3"]); // /dev/null's numbers: a live device
    const clash = create({ name: "tap1", parent: "veth0", parentNetns: lab, tapDevicePath: taken });
    await expect(clash).rejects.toThrow(/is the node of another live device \(1:3.*Set tapDevicePath/);
    expect(node(taken)?.dev).toBe("1:3");
    expect(await orIfGone(ipJson("-n", lab, "link", "show", "dev", "tap1"), "gone")).toBe("gone"); // the link was taken back
  });

  // The bug this guards against: a node left behind owned by tapOwner opens whichever macvtap next gets
  // its numbers (the kernel hands out the lowest free minor) to that user.
  it("removes the node it made when refresh finds the link gone: the next macvtap with its numbers is open to no one else", async () => {
    const path = customPath("gone");
    const { id, outs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: path, tapOwner: "nobody", tapMode: "0600" });
    expect(node(path)).toMatchObject({ dev: outs.tapDevNumbers, uid: 65534, char: true });
    await ip("-n", lab, "link", "del", "dev", "tap0");

    expect(await handlers.read(id, outs)).toEqual({ id: "", props: {} });
    expect(node(path)).toBeUndefined();

    const ifindex = outs.ifindex as number;
    await ip("-n", lab, "link", "add", "link", "veth0", "name", "tap1", "index", String(ifindex), "type", "macvtap");
    const numbers = await sysfsDev(lab, "tap1", ifindex);
    expect(numbers).toBe(outs.tapDevNumbers); // the same numbers again: what made the leftover node dangerous
    expect(await nodesOf(numbers, 65534)).toEqual([]);
  });

  // Ours is the node this package made, with its device's numbers and the owner it last saw there.
  // Anything else at the path was put or changed by someone else, and stays.
  it.each([
    { case: "the same numbers, made anew by someone else for root", make: (path: string, dev: string) => [["rm", path], ["mknod", path, "c", ...dev.split(":")]] },
    { case: "the same numbers, given to another owner since", make: (path: string) => [["chown", "root", path]] },
    { case: "other numbers", make: (path: string) => [["rm", path], ["mknod", path, "c", "250", "250"]] },
    { case: "a regular file", make: (path: string) => [["rm", path], ["touch", path]] },
  ])("leaves a node that is not its own at the path alone, on refresh and on delete: $case", async ({ make }) => {
    const path = customPath("theirs");
    const { id, outs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: path, tapOwner: "nobody" });
    for (const [command = "", ...args] of make(path, outs.tapDevNumbers as string)) await execa(command, args);
    const theirs = statSync(path);

    await ip("-n", lab, "link", "del", "dev", "tap0");
    expect((await handlers.read(id, outs)).id).toBe("");
    expect(statSync(path, { throwIfNoEntry: false })).toMatchObject({ ino: theirs.ino, uid: theirs.uid, rdev: theirs.rdev });

    await handlers.delete(id, outs); // destroy after a refresh that did not run, or failed
    expect(statSync(path, { throwIfNoEntry: false })).toMatchObject({ ino: theirs.ino, uid: theirs.uid, rdev: theirs.rdev });
  });

  it("keeps a live link's node when refresh finds the link on another parent (renamed out of band): only its state goes", async () => {
    const path = customPath("renamed");
    const { id, outs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: path, tapOwner: "nobody" });
    await ip("-n", lab, "link", "set", "dev", "veth0", "name", "lan0");

    expect((await handlers.read(id, outs)).id).toBe("");
    expect(node(path)).toMatchObject({ dev: outs.tapDevNumbers, uid: 65534, char: true }); // the VM still opens it
    expect((await ipJson<{ ifname: string }[]>("-n", lab, "link", "show", "dev", "tap0"))[0]?.ifname).toBe("tap0");
  });

  it.each([
    { case: "a veth", add: (lab: string) => ["-n", lab, "link", "add", "tap0", "type", "veth", "peer", "name", "tap0p"] },
    { case: "a macvtap on another parent", add: (lab: string) => ["-n", lab, "link", "add", "link", "other0", "name", "tap0", "type", "macvtap"] },
  ])("removes the node it made when its link went and $case took the name: the device with its numbers next is open to no one else", async ({ add }) => {
    const path = customPath("taken");
    const { id, outs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: path, tapOwner: "nobody" });
    await ip("-n", lab, "link", "add", "other0", "type", "veth", "peer", "name", "other1");
    await ip("-n", lab, "link", "del", "dev", "tap0");
    await ip(...add(lab));

    expect((await handlers.read(id, outs)).id).toBe("");
    expect(node(path)).toBeUndefined();
    expect(await nodesOf(outs.tapDevNumbers as string, 65534)).toEqual([]);
  });

  it("takes over a macvtap whose node step then fails: the link and the node it had stay as they were", async () => {
    const path = customPath("adopted");
    await ip("-n", lab, "link", "add", "link", "veth0", "name", "vt0", "type", "macvtap", "mode", "bridge");
    const [link] = await ipJson<{ ifindex: number }[]>("-n", lab, "link", "show", "dev", "vt0");
    const numbers = await sysfsDev(lab, "vt0", link?.ifindex ?? 0);
    await execa("mknod", ["-m", "0600", path, "c", ...numbers.split(":")]);
    await execa("chown", ["1234:1234", path]);

    await expect(create({ name: "vt0", parent: "veth0", parentNetns: lab, adopt: true, tapDevicePath: path, tapOwner: `${runId}-no-such-user` })).rejects.toThrow(/tapOwner/);
    expect((await ipJson<{ ifindex: number }[]>("-n", lab, "link", "show", "dev", "vt0"))[0]?.ifindex).toBe(link?.ifindex);
    expect(node(path)).toMatchObject({ dev: numbers, uid: 1234, gid: 1234, char: true });
  });

  it("moves to another namespace in place; the ifindex and so tapDevice change", async () => {
    // The kernel keeps a moved link's ifindex when it is free in the new namespace: take it there.
    const other = await world.netns("other");
    for (const i of [0, 1, 2, 3]) await ip("-n", other, "link", "add", `pad${i}a`, "type", "veth", "peer", "name", `pad${i}b`);
    const { outs, inputs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab });
    const moved = await update(outs, { ...inputs, netns: other });
    expect(moved.ifindex).not.toBe(outs.ifindex);
    expect(moved.tapDevice).toBe(`/dev/tap${moved.ifindex}`);
    expect(node(moved.tapDevice as string)?.dev).toBe(await sysfsDev(other, "tap0", moved.ifindex as number));
  });

  it("sees owner and mode changed out of band on refresh, and puts them back on update", async () => {
    const path = customPath("drift");
    const { id, outs, inputs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: path, tapOwner: "nobody", tapMode: "0660" });
    await execa("chown", ["root", path]);
    await execa("chmod", ["0644", path]);
    const read = await handlers.read(id, outs);
    expect(read.props).toMatchObject({ tapOwner: "root", tapMode: "0644" });
    const repaired = await update(read.props as Props, inputs);
    expect(repaired).toMatchObject({ tapOwner: "nobody", tapMode: "0660" });
    expect(node(path)).toMatchObject({ uid: 65534, mode: "0660" });
  });
});

// A user who can change a folder on the way to the node (here the QEMU user the node is made for, the
// real `nobody`) could swap the node for a link between root's check and root's change, and root would
// hand them the file the link points to. Such folders are refused; root's own links are followed once,
// to check and act on where they point.
describe("Macvtap's device node and the folders on its way", () => {
  let world: World;
  let lab: string;
  let base: string;
  const attackers: ResultPromise[] = [];
  /** A folder under `base`, owned by `owner` with `mode`. */
  const folder = async (name: string, owner: string, mode: number) => {
    const path = `${base}/${name}`;
    mkdirSync(path, { mode });
    await execa("chown", [owner, path]);
    await execa("chmod", [mode.toString(8), path]);
    return path;
  };
  const noTap = async () => expect((await ipJson<unknown[]>("-n", lab, "link", "show")).map((l) => (l as { ifname: string }).ifname)).not.toContain("tap0");

  beforeEach(async () => {
    world = new World();
    lab = await world.netns("lab");
    await world.vethParent(lab);
    base = `/run/${runId}-${process.pid}-nodes`; // /run: root's, 0755
    mkdirSync(base, { mode: 0o755 });
  });
  afterEach(async () => {
    for (const attacker of attackers.splice(0)) attacker.kill("SIGKILL");
    await world.cleanup();
    rmSync(base, { recursive: true, force: true });
  });

  it("refuses a folder the QEMU user owns while that user swaps the node for a link to a root-only file", async () => {
    const qemuFolder = await folder("qemu", "nobody", 0o755);
    const secret = `${base}/secret`;
    writeFileSync(secret, "root only\n", { mode: 0o600 });
    // As nobody: each time something appears at the node's path, put a link to the secret there.
    const swap = `
      const fs = require("node:fs"); const [node, target] = process.argv.slice(1);
      const swap = () => { try { if (!fs.lstatSync(node).isSymbolicLink()) { fs.rmSync(node); fs.symlinkSync(target, node); } } catch {} };
      fs.watch(require("node:path").dirname(node), swap); setInterval(swap, 1); setTimeout(() => process.exit(), 60000);
      process.stdout.write("watching\\n");`;
    // setpriv execs node itself (runuser would fork it), so the kill after the test reaches it.
    const asNobody = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"];
    const attacker = execa("setpriv", [...asNobody, process.execPath, "-e", swap, `${qemuFolder}/tap`, secret], { cwd: "/", reject: false });
    attackers.push(attacker);
    await new Promise((resolve) => attacker.stdout?.once("data", resolve));

    const attempt = create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: `${qemuFolder}/tap`, tapOwner: "nobody", tapMode: "0660" });
    await expect(attempt).rejects.toThrow(new RegExp(`tapDevicePath ${qemuFolder}/tap: ${qemuFolder} is owned by uid 65534, not root`));
    expect(statSync(secret)).toMatchObject({ uid: 0, gid: 0, mode: 0o100600 });
    await noTap(); // the link was taken back
  });

  it("refuses folders writable by group or others, the sticky /tmp too", async () => {
    const shared = await folder("shared", "root", 0o775);
    await expect(create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: `${shared}/tap` })).rejects.toThrow(
      new RegExp(`tapDevicePath ${shared}/tap: ${shared} is writable by group or others \\(mode 775\\)`),
    );
    const inTmp = `/tmp/${runId}-${process.pid}-tap`;
    await expect(create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: inTmp })).rejects.toThrow(
      /tapDevicePath \/tmp\/\S+: \/tmp is writable by group or others \(mode 1777\)/,
    );
    expect(statSync(`${shared}/tap`, { throwIfNoEntry: false })).toBeUndefined();
    expect(statSync(inTmp, { throwIfNoEntry: false })).toBeUndefined();
    await noTap();
  });

  it("refuses a path through a link in another user's folder; follows root's own link to where it points", async () => {
    const real = await folder("real", "root", 0o755);
    const theirs = await folder("theirs", "nobody", 0o755);
    symlinkSync(real, `${theirs}/to`);
    await expect(create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: `${theirs}/to/tap` })).rejects.toThrow(
      new RegExp(`tapDevicePath ${theirs}/to/tap: ${theirs} is owned by uid 65534`),
    );
    await noTap();

    // A link of root's, in root's folder, into theirs: refused too (where it points is checked).
    const rootLinks = await folder("rootlinks", "root", 0o755);
    symlinkSync(theirs, `${rootLinks}/to`);
    await expect(create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: `${rootLinks}/to/tap` })).rejects.toThrow(
      new RegExp(`tapDevicePath ${rootLinks}/to/tap: ${theirs} is owned by uid 65534`),
    );
    await noTap();

    const ours = await folder("ours", "root", 0o755);
    symlinkSync(real, `${ours}/to`);
    const { id, outs } = await create({ name: "tap0", parent: "veth0", parentNetns: lab, tapDevicePath: `${ours}/to/tap`, tapMode: "0660" });
    expect(outs).toMatchObject({ tapDevice: `${ours}/to/tap`, tapNodeCreated: true, tapMode: "0660" });
    expect(node(`${real}/tap`)).toMatchObject({ dev: outs.tapDevNumbers, char: true, mode: "0660" });
    await handlers.delete(id, outs);
    expect(node(`${real}/tap`)).toBeUndefined();
  });
});
