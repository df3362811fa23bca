// The node program on a real file system, as root: it changes a node only while the node is still what
// the provider saw, takes back a node it made when giving it away fails, and removes only this
// package's node. (Which folders it refuses is shown with Macvtap itself, in macvtap.test.ts.)
import { mkdirSync, rmSync, statSync } from "node:fs";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Command } from "../../provider/exec/runner";
import { makeNodeCommand, ownNodeCommand, removeNodeCommand } from "../../provider/plan/tapNodeScript";
import { nodeStatCommand, parseNodeStat } from "../../provider/state/tapNode";
import { runId } from "../support/netns";

const folder = `/run/${runId}-${process.pid}-nodeprogram`;
const path = `${folder}/tap`;

async function run({ argv }: Command) {
  const [file = "", ...args] = argv;
  return execa(file, args, { reject: false, env: { LC_ALL: "C" } });
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

  it("takes back the node it made when the owner cannot be given", async () => {
    const result = await run(makeNodeCommand(path, "absent", "0600", "250:7", "no-such-user-pi2"));
    expect(result).toMatchObject({ exitCode: 1, stderr: expect.stringContaining("invalid user") });
    expect(statSync(path, { throwIfNoEntry: false })).toBeUndefined();
  });

  it("removes only a character device with this package's numbers; no node or no folder is nothing to do", async () => {
    await run(makeNodeCommand(path, "absent", "0600", "250:7", ""));
    expect((await run(removeNodeCommand(path, "250:8"))).exitCode).toBe(0);
    expect((await seen())?.devNumbers).toBe("250:7");
    expect((await run(removeNodeCommand(path, "250:7"))).exitCode).toBe(0);
    expect(await seen()).toBeUndefined();
    expect((await run(removeNodeCommand(path, "250:7"))).exitCode).toBe(0);
    expect((await run(removeNodeCommand(`${folder}/gone/tap`, "250:7"))).exitCode).toBe(0);
  });
});
