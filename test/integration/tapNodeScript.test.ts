// The node program on a real file system, as root: it changes a node only while the node is still what
// the provider saw and has no other names, follows no link, leaves the old node as it was when a change
// fails, removes only this package's node, and reads the host in the same words whatever its language.
// (Which folders it refuses is shown with Macvtap itself, in macvtap.test.ts.)
import { linkSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Command } from "../../provider/exec/runner";
import { nodeOwnerIds, nodeStatFormat } from "../../provider/model";
import { makeNodeCommand, ownNodeCommand, removeNodeCommand } from "../../provider/plan/tapNodeScript";
import { nodeStatCommand, parseNodeStat } from "../../provider/state/tapNode";
import { runId } from "../support/netns";

const folder = `/run/${runId}-${process.pid}-nodeprogram`;
const path = `${folder}/tap`;

/** The program as a host whose language is German runs it (as a login over SSH may). */
async function run({ argv }: Command) {
  const [file = "", ...args] = argv;
  return execa(file, args, { reject: false, env: { PATH: process.env.PATH ?? "", LANG: "C.UTF-8", LANGUAGE: "de" }, extendEnv: false });
}

/** What the provider would have seen at `path` just now. */
async function seen() {
  const { argv } = nodeStatCommand(path);
  const result = await execa(argv[0] ?? "", argv.slice(1), { reject: false, env: { LC_ALL: "C" } });
  return parseNodeStat({ command: { argv }, exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr }, path);
}

describe("the device node program", () => {
  beforeEach(() => mkdirSync(folder, { mode: 0o755 }));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("makes a node, owned and moded as asked, in one go", async () => {
    expect((await run(makeNodeCommand(path, "absent", "0640", "250:7", "nobody:65534"))).exitCode).toBe(0);
    expect(await seen()).toMatchObject({ devNumbers: "250:7", user: "nobody", gid: "65534", mode: "0640" });
  });

  it("changes nothing when the node is no longer what was seen", async () => {
    await run(makeNodeCommand(path, "absent", "0600", "250:7", ""));
    const before = await seen();
    // Made while the provider thought there was none; then owned by someone else since it looked.
    const late = await run(makeNodeCommand(path, "absent", "0666", "250:8", "nobody"));
    expect(late).toMatchObject({ exitCode: 3, stderr: expect.stringContaining(`${path} changed while it was being set up`) });
    await execa("chown", ["nobody", path]);
    const stale = await run(ownNodeCommand(path, before?.statLine ?? "", "root"));
    expect(stale.stderr).toContain("changed while it was being set up");
    expect(await seen()).toMatchObject({ devNumbers: "250:7", mode: "0600", user: "nobody" });
  });

  it("takes back the node it made when the owner cannot be given; a node it was to replace stays as it was", async () => {
    const result = await run(makeNodeCommand(path, "absent", "0600", "250:7", "no-such-user-pi2"));
    expect(result).toMatchObject({ exitCode: 3, stderr: expect.stringMatching(/^tapOwner\/tapGroup "no-such-user-pi2" of .*: chown: invalid user/) });
    expect(readdirSync(folder)).toEqual([]);

    await run(makeNodeCommand(path, "absent", "0600", "250:7", "nobody"));
    const before = await seen();
    const again = await run(makeNodeCommand(path, before?.statLine ?? "", "0660", "250:7", "no-such-user-pi2"));
    expect(again.exitCode).toBe(3);
    expect(await seen()).toEqual(before);
    expect(readdirSync(folder)).toEqual(["tap"]);
  });

  it("makes a node anew by renaming a new one over it: the same path, another file", async () => {
    await run(makeNodeCommand(path, "absent", "0600", "250:7", ""));
    const before = lstatSync(path);
    expect((await run(makeNodeCommand(path, (await seen())?.statLine ?? "", "0660", "250:7", "nobody"))).exitCode).toBe(0);
    expect(await seen()).toMatchObject({ mode: "0660", user: "nobody" });
    expect(lstatSync(path).ino).not.toBe(before.ino);
    expect(readdirSync(folder)).toEqual(["tap"]);
  });

  it("follows no link at the node: the file it points to keeps its owner and mode", async () => {
    const target = `${folder}/target`;
    writeFileSync(target, "root only\n", { mode: 0o600 });
    symlinkSync(target, path);
    const { stdout: linkLine } = await execa("stat", ["-c", nodeStatFormat, path], { env: { LC_ALL: "C" } });
    expect((await run(ownNodeCommand(path, linkLine, "nobody"))).exitCode).toBe(0);
    expect(statSync(target)).toMatchObject({ uid: 0, mode: 0o100600 });
    const { stdout: ownedLinkLine } = await execa("stat", ["-c", nodeStatFormat, path], { env: { LC_ALL: "C" } });
    expect((await run(makeNodeCommand(path, ownedLinkLine, "0666", "250:7", "nobody"))).exitCode).toBe(0);
    expect(statSync(target)).toMatchObject({ uid: 0, mode: 0o100600 });
    expect(lstatSync(path).isCharacterDevice()).toBe(true);
  });

  it("refuses a node with other names: whoever made them would keep access", async () => {
    await run(makeNodeCommand(path, "absent", "0600", "250:7", "nobody"));
    const kept = `${folder}/kept`;
    linkSync(path, kept);
    const statLine = (await seen())?.statLine ?? "";
    for (const command of [makeNodeCommand(path, statLine, "0600", "250:7", "root"), ownNodeCommand(path, statLine, "root")]) {
      const result = await run(command);
      expect(result).toMatchObject({ exitCode: 3, stderr: expect.stringContaining(`tapDevicePath ${path}: the node has 2 names (hard links)`) });
    }
    expect(await seen()).toMatchObject({ user: "nobody" });
    const removal = await run(removeNodeCommand(path, "250:7"));
    expect(removal.stderr).toContain("this one is removed, the others remain");
    expect(statSync(path, { throwIfNoEntry: false })).toBeUndefined();
  });

  it("removes, when it knows it, only a node with the owner it last saw: not one given away, or made for another, since", async () => {
    await run(makeNodeCommand(path, "absent", "0600", "250:7", "nobody"));
    const ownerIds = nodeOwnerIds((await seen())!);
    await execa("chown", ["root", path]);
    expect((await run(removeNodeCommand(path, "250:7", ownerIds))).exitCode).toBe(0);
    expect(await seen()).toMatchObject({ devNumbers: "250:7", user: "root" });

    await execa("chown", ["nobody", path]);
    expect((await run(removeNodeCommand(path, "250:7", ownerIds))).exitCode).toBe(0);
    expect(await seen()).toBeUndefined();
  });

  it("removes only a character device with this package's numbers, whatever the host's language; no node or no folder is nothing to do", async () => {
    await run(makeNodeCommand(path, "absent", "0600", "250:7", ""));
    expect((await run(removeNodeCommand(path, "250:8"))).exitCode).toBe(0);
    expect((await seen())?.devNumbers).toBe("250:7");
    expect((await run(removeNodeCommand(path, "250:7"))).exitCode).toBe(0);
    expect(await seen()).toBeUndefined();
    expect((await run(removeNodeCommand(path, "250:7"))).exitCode).toBe(0);
    expect((await run(removeNodeCommand(`${folder}/gone/tap`, "250:7"))).exitCode).toBe(0);
  });
});
