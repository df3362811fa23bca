// Benchmark (not a test): `pulumi up`, `refresh` and `destroy` of N MacvlanLinks on one simulated host
// over SSH (a real sshd in a namespace, test/support/sshHosts.ts), side by side with the engine floor:
// the same N no-op Echo resources (they touch no host, so they are the local floor too). Prints the
// ratios, the dynamic-provider plugin's peak RSS, the most TCP connections the host's sshd held at once,
// and the state's size per resource (the SSH connection, its key a secret, is part of each link's).
// Each time is the median of REPS runs, interleaved. (Against Ansible, one ip -batch, one connection per
// command: bench/sshAlternatives.ts.)
// Usage: REPS=3 node dist/bench/ssh.js [N ...]   (default 10 100 300 1000; root).
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as echo from "../provider/echo";
import type * as iproute2 from "../provider/index";
import { claimProjects, ensureEngine, prepareApp, repoRoot } from "../test/support/engine";
import { startSshHosts } from "../test/support/sshHosts";
import { sshdConnections } from "./measures";
import { failureLines, lifecycleHeader, lifecycleRows, machineLine, runStack, stateHeader, stateRow, type StackRun } from "./support";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const reps = Math.max(1, Number(process.env.REPS ?? 3));

async function main() {
  const release = claimProjects();
  const { binDir, env } = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "bench"));
  const { MacvlanLink } = app.require("pulumi-iproute2") as typeof iproute2;
  const { Echo } = app.require("pulumi-iproute2/echo") as typeof echo;
  const { secret } = app.require("@pulumi/pulumi") as typeof pulumi;
  const work = path.join(repoRoot, ".work", `bench-ssh-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const hosts = await startSshHosts(1, work);
  const host = hosts.hosts[0]!;
  // A fresh parent inside the host (run there directly: setting up is not what is measured).
  const clean = () =>
    host.exec("sh", "-c", "ip netns del bench 2>/dev/null; ip netns add bench && ip -n bench link add veth0 type veth peer name veth1 && ip -n bench link set veth0 up");
  try {
    console.log(`${await machineLine(binDir)}; medians of ${reps}`);
    const table = lifecycleHeader(["most TCP connections to sshd at once (up to destroy)"]);
    const states: string[] = [];
    const failures: string[] = [];
    for (const n of sizes.length > 0 ? sizes : [10, 100, 300, 1000]) {
      const links: StackRun[] = [];
      const floor: StackRun[] = [];
      let connections = 0;
      for (let rep = 0; rep < reps; rep++) {
        await clean();
        const connection = { type: "ssh" as const, host: host.address, privateKey: secret(hosts.clientKey), sshConfigFile: hosts.sshConfigFile };
        const sampler = await sshdConnections([host.netns]);
        links.push(await runStack(app, binDir, `ssh-links-${n}-${process.pid}-${rep}`, async () => {
          for (let i = 0; i < n; i++) new MacvlanLink(`b${i}`, { name: `b${i}`, parent: "veth0", parentNetns: "bench", connection });
        }, env));
        connections = Math.max(connections, ...sampler.stop());
        floor.push(await runStack(app, binDir, `ssh-echo-${n}-${process.pid}-${rep}`, async () => {
          for (let i = 0; i < n; i++) new Echo(`e${i}`, { value: `b${i}` });
        }, env));
      }
      table.push(...lifecycleRows(n, links, floor, (op) => [op === "up" ? String(connections) : ""]));
      states.push(stateRow(n, "MacvlanLink", links[0]!.state), stateRow(n, "Echo", floor[0]!.state));
      failures.push(...failureLines(`N=${n} MacvlanLink`, links), ...failureLines(`N=${n} Echo`, floor));
    }
    console.log(`\nOver SSH to one simulated host: N MacvlanLinks against N Echo resources (Automation API, default --parallel).`);
    console.log(table.join("\n"));
    console.log(`\nState after up (file backend), per resource; "one object" is the average of that resource type's objects.`);
    console.log([...stateHeader, ...states].join("\n"));
    console.log(failures.length === 0 ? "\nfailures: none" : `\nfailures:\n${failures.join("\n")}`);
  } finally {
    await hosts.stop();
    rmSync(work, { recursive: true, force: true });
    release();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
