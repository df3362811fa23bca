// A Vxlan's refresh reads its flood list with `bridge` every time (entries added by hand are drift): when
// that program is missing or sudo will not run it, the error names `bridge` and the cause, as any
// command of ours does, and never takes the tunnel for gone.
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { Gatherings } from "../../../provider/exec/gathered";
import type { Command, CommandResult, Runner } from "../../../provider/exec/runner";
import { vxlanLifecycle } from "../../../provider/resources/vxlan";
import { vxlanArgs } from "../../../provider/schema/vxlan";
import { asRunnerReturns, linkFixtureOf } from "../fixtures";
import { validArgs } from "../schema/expectations";

// The recorded link (a veth end), told as a vxlan with nothing beyond a Vxlan's fields.
const fixture = linkFixtureOf("veth-end");
const linkRead = asRunnerReturns(
  fixture.results.map((r) => ({
    ...r,
    stdout: r.stdout.replace('"linkinfo":{"info_kind":"veth"}', '"linkinfo":{"info_kind":"vxlan","info_data":{"id":42,"port":4789,"learning":true,"ttl":0}}'),
  })) as CommandResult[],
);

/** A runner that answers the link's read as recorded, then the flood list's with `fdb` (or throws it). */
const runnerWith = (fdb: (command: Command) => CommandResult | Error): Runner => ({
  host: "host1",
  machine: "host1",
  gatherings: new Gatherings(),
  run: async (commands) => {
    if (commands[0]?.argv[0] !== "bridge") return linkRead;
    const answer = fdb(commands[0]);
    if (answer instanceof Error) throw answer;
    return [answer];
  },
});

const d = validArgs(vxlanArgs, { name: fixture.name, netns: fixture.netns, vni: 42, persist: false });
const context = { verb: "read", object: `Vxlan "${fixture.name}"`, netns: fixture.netns, host: "host1" };
const refresh = (runner: Runner) => vxlanLifecycle.read(runner, d, { batched: false, context });

describe("a Vxlan's refresh when its flood list cannot be read", () => {
  it("names bridge when sudo refuses it, with sudoers' hint", async () => {
    const refused = runnerWith((command) => ({ command, exitCode: 1, stdout: "", stderr: "sudo: a password is required\n" }));
    await expect(refresh(refused)).rejects.toMatchObject({ kind: "permission", message: expect.stringContaining("sudo refused to run bridge (sudo: a password is required)") });
  });

  it("names bridge when the host's shell or sudo cannot find it", async () => {
    const missing = runnerWith((command) => ({ command, exitCode: 1, stdout: "", stderr: "sudo: bridge: command not found\n" }));
    await expect(refresh(missing)).rejects.toMatchObject({ kind: "failed", message: expect.stringContaining("the bridge command was not found. Install iproute2") });
  });

  it("names bridge when it cannot be started here (ENOENT)", async () => {
    const spawnFailure = await execa("bridge", ["-V"], { env: { PATH: "/nonexistent" }, extendEnv: false, reject: false });
    await expect(refresh(runnerWith(() => spawnFailure as unknown as Error))).rejects.toMatchObject({ message: expect.stringContaining("the bridge command was not found. Install iproute2") });
  });

  it("says what bridge said when it fails otherwise", async () => {
    const failing = runnerWith((command) => ({ command, exitCode: 255, stdout: "", stderr: "RTNETLINK answers: Invalid argument\n" }));
    await expect(refresh(failing)).rejects.toMatchObject({ message: expect.stringContaining(`bridge -j -n ${fixture.netns} fdb show dev ${fixture.name} failed: RTNETLINK answers: Invalid argument`) });
  });
});
