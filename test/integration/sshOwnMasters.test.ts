// A process ends only the SSH masters it started, and those without cutting off anyone on them: `scan`
// (the CLI ends with closeSshMasters) running beside a deployment must not break its operations. The
// other process is a real one (the built package, dist/), sharing the private folder as providers do.
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSshMasters, SshRunner } from "../../provider/exec/ssh";
import { repoRoot } from "../support/engine";
import { mastersTo, parsedSshConnection as parsed, startSshHosts, type SshHosts } from "../support/sshHosts";

let lab: SshHosts;

beforeAll(async () => {
  lab = await startSshHosts(2, path.join(repoRoot, ".work"));
}, 60_000);
afterAll(async () => {
  await closeSshMasters();
  await lab?.stop();
});

const connectionTo = (index: number) => ({ type: "ssh", host: lab.hosts[index]!.address, privateKey: lab.clientKey, sshConfigFile: lab.sshConfigFile });

/** Another provider process running `argv` on host `index` over SSH; it prints the command's output. */
function otherProcess(index: number, argv: string[]) {
  const script = `
    const { SshRunner } = require(${JSON.stringify(path.join(repoRoot, "dist", "provider", "exec", "ssh.js"))});
    const { sshConnection } = require(${JSON.stringify(path.join(repoRoot, "dist", "provider", "schema", "connection.js"))});
    new SshRunner(sshConnection.parse(JSON.parse(process.env.CONNECTION))).run([{ argv: JSON.parse(process.env.ARGV) }])
      .then(([r]) => { process.stdout.write(r.stdout); process.exit(r.exitCode); }, (e) => { console.error(e.message); process.exit(1); });`;
  return execa("node", ["-e", script], {
    env: { CONNECTION: JSON.stringify(connectionTo(index)), ARGV: JSON.stringify(argv), PATH: process.env.PATH ?? "" },
    extendEnv: false,
    reject: false,
  });
}

/** The pid of the master to host `index`, or undefined. */
async function masterPid(index: number): Promise<number | undefined> {
  return (await mastersTo(lab.hosts[index]!.address, lab.sshConfigFile))[0]?.pid;
}

describe("closeSshMasters", () => {
  it("leaves a master another process started, though this one used it", async () => {
    expect((await otherProcess(0, ["true"])).exitCode).toBe(0); // it started the master, which outlives it
    const theirs = await masterPid(0);
    expect(theirs).toBeGreaterThan(0);
    const [result] = await new SshRunner(parsed(connectionTo(0))).run([{ argv: ["echo", "used"] }]);
    expect(result?.stdout).toBe("used\n");
    await closeSshMasters();
    expect(await masterPid(0)).toBe(theirs);
  });

  it("does not cut off another process's request on a master this one started", async () => {
    const runner = new SshRunner(parsed(connectionTo(1)));
    await runner.run([{ argv: ["true"] }]); // this process starts the master
    const ours = await masterPid(1);
    expect(ours).toBeGreaterThan(0);
    const marker = path.join("/tmp", `pi2-own-masters-${process.pid}`);
    const other = otherProcess(1, ["sh", "-c", `touch ${marker}; sleep 2; rm ${marker}; echo finished`]);
    for (let waited = 0; (await lab.hosts[1]!.run("test", "-e", marker)).exitCode !== 0; waited += 50) {
      if (waited > 20_000) throw new Error("the other process's request did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await closeSshMasters();
    const result = await other;
    expect(result).toMatchObject({ exitCode: 0, stdout: "finished" });
  });
});
