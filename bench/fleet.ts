// Benchmark (not a test): the fleet example's shape (examples/fleet, inline here) on HOSTS simulated
// hosts (real sshd each, test/support/sshHosts.ts) x LINKS links: per host a NetNamespace, a VethPair and
// LINKS MacvlanLinks with an address, over SSH, with the example's defaults. Its up, refresh and destroy
// at --parallel PARALLEL, side by side with the same fleet shape of Echo resources (one per resource,
// chained the same way), and for each: failures (0 required; each is printed), the most TCP connections
// any host's sshd held at once (target: at most 2), the dynamic-provider plugin's peak RSS, and the
// state's size per resource. Each time is the median of REPS runs (default 1: a run is minutes).
// Usage: HOSTS=50 LINKS=20 PARALLEL=64 REPS=1 node dist/bench/fleet.js   (root)
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as echo from "../provider/echo";
import type * as iproute2 from "../provider/index";
import { claimProjects, ensureEngine, prepareApp, repoRoot } from "../test/support/engine";
import { startSshHosts } from "../test/support/sshHosts";
import { sshdConnections } from "./measures";
import { failureLines, lifecycleHeader, lifecycleRows, machineLine, runStack, seconds, stateHeader, stateRow, timed, type StackRun } from "./support";

const hostCount = Number(process.env.HOSTS ?? 50);
const linksPerHost = Number(process.env.LINKS ?? 20);
const parallel = Number(process.env.PARALLEL ?? 64);
const reps = Math.max(1, Number(process.env.REPS ?? 1));

async function main() {
  const release = claimProjects();
  const { binDir, env } = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "bench"));
  const { MacvlanLink, NetNamespace, VethPair } = app.require("pulumi-iproute2") as typeof iproute2;
  const { Echo } = app.require("pulumi-iproute2/echo") as typeof echo;
  const { secret } = app.require("@pulumi/pulumi") as typeof pulumi;
  const work = path.join(repoRoot, ".work", `bench-fleet-${process.pid}`);
  mkdirSync(work, { recursive: true });
  let hosts: Awaited<ReturnType<typeof startSshHosts>> | undefined;
  const startMs = await timed(async () => (hosts = await startSshHosts(hostCount, work)));
  const fleet = hosts!;
  try {
    console.log(`${await machineLine(binDir)}; ${hostCount} simulated hosts (started in ${seconds(startMs)} s) x ${linksPerHost} links, --parallel ${parallel}; medians of ${reps}`);
    const privateKey = secret(fleet.clientKey);
    const links: StackRun[] = [];
    const floor: StackRun[] = [];
    let connections: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const sampler = await sshdConnections(fleet.hosts.map((host) => host.netns));
      links.push(await runStack(app, binDir, `fleet-links-${process.pid}-${rep}`, async () => {
        fleet.hosts.forEach((host, h) => {
          const connection = { type: "ssh" as const, host: host.address, privateKey, sshConfigFile: fleet.sshConfigFile };
          const netns = new NetNamespace(`h${h}-fleet`, { name: "fleet", connection });
          const parent = new VethPair(`h${h}-uplink`, { name: "veth0", peerName: "veth1", netns: netns.name, connection });
          for (let i = 0; i < linksPerHost; i++) {
            const address = `10.91.${h}.${i + 1}/16`;
            new MacvlanLink(`h${h}-mv${i}`, { name: `mv${i}`, parent: parent.name, parentNetns: netns.name, mode: "bridge", addresses: [address], connection });
          }
        });
      }, env, { parallel, countFailures: true }));
      const seen = sampler.stop();
      connections = seen.map((most, h) => Math.max(most, connections[h] ?? 0));
      floor.push(await runStack(app, binDir, `fleet-echo-${process.pid}-${rep}`, async () => {
        fleet.hosts.forEach((_host, h) => {
          const netns = new Echo(`h${h}-fleet`, { value: "fleet" });
          const parent = new Echo(`h${h}-uplink`, { value: netns.value.apply((name) => `${name}/veth0`) });
          for (let i = 0; i < linksPerHost; i++) new Echo(`h${h}-mv${i}`, { value: parent.value.apply((name) => `${name}/mv${i}`) });
        });
      }, env, { parallel, countFailures: true }));
    }
    const resources = hostCount * (linksPerHost + 2);
    console.log(`\nThe fleet: ${hostCount} hosts x (NetNamespace, VethPair, ${linksPerHost} MacvlanLinks) = ${resources} resources, against ${resources} Echo resources; --parallel ${parallel}.`);
    console.log(lifecycleHeader().join("\n"));
    console.log(lifecycleRows(`${hostCount}x${linksPerHost}`, links, floor).join("\n"));
    const busiest = Math.max(...connections);
    console.log(`\nMost TCP connections to one host's sshd at once, up to destroy: ${busiest} (target at most 2; per host: ${[...new Set(connections)].sort((a, b) => a - b).map((c) => `${connections.filter((x) => x === c).length} hosts saw ${c}`).join(", ")})`);
    console.log(`\nState after up (file backend), per resource; "one object" is the average of that resource type's objects.`);
    console.log([...stateHeader, ...["NetNamespace", "VethPair", "MacvlanLink"].map((type) => stateRow(resources, type, links[0]!.state)), stateRow(resources, "Echo", floor[0]!.state)].join("\n"));
    console.log(`(state files after up: ${(links[0]!.state.fileBytes / 1e6).toFixed(1)} MB with the links, ${(floor[0]!.state.fileBytes / 1e6).toFixed(1)} MB with Echo)`);
    const failures = [...failureLines("fleet", links), ...failureLines("Echo fleet", floor)];
    console.log(failures.length === 0 ? "\nfailures: none" : `\nfailures (${failures.length}):\n${failures.join("\n")}`);
  } finally {
    await fleet.stop();
    rmSync(work, { recursive: true, force: true });
    release();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
