// Benchmark (not a test): `pulumi up`, `refresh` and `destroy` of N MacvlanLinks, side by side with
//   (a) the engine floor: N no-op dynamic resources (Echo) through the same CLI, and
//   (b) the kernel floor: one `ip -batch` creating (and one deleting) the same N links,
// and prints the ratios. It also counts the host commands an unchanged-stack preview runs (target: 0)
// by putting a counting wrapper in front of `ip` on the provider's PATH for that preview only.
// Those runs drive inline programs through the Automation API. A second table times the user's path,
// `pulumi up --yes` (a preview, then the update) of a TypeScript project (test/projects/many) with the
// plain CLI, its program compiled by ts-node or ahead of time (`main: bin/index.js`), against the
// same path's Echo floor, next to the Automation API's `up`.
// Each number is the median of REPS runs (interleaved, so drift in machine load hits both sides).
// Usage: REPS=3 node dist/bench/lifecycle.js [N ...]   (default 10 100 300). Needs root; all in namespaces.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type * as echo from "../provider/echo";
import type * as iproute2 from "../provider/index";
import { claimProjects, ensureEngine, installProject, prepareApp, repoRoot } from "../test/support/engine";
import { World } from "../test/support/netns";
import { median, precompiledCopy, runStack, seconds, timeCliUp, timed, type Timings } from "./support";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const reps = Math.max(1, Number(process.env.REPS ?? 3));

/** A PATH entry whose `ip` logs each call to `log` and runs the real one. */
function countingIp(dir: string, log: string): void {
  mkdirSync(dir, { recursive: true });
  const realIp = "/usr/sbin/ip";
  writeFileSync(path.join(dir, "ip"), `#!/bin/sh\necho "$*" >> '${log}'\nexec ${realIp} "$@"\n`);
  chmodSync(path.join(dir, "ip"), 0o755);
}

async function kernelFloor(lab: string, n: number): Promise<{ up: number; destroy: number }> {
  const add = Array.from({ length: n }, (_, i) => `link add link veth0 name kf${i} type macvlan mode bridge\nlink set dev kf${i} up`).join("\n");
  const del = Array.from({ length: n }, (_, i) => `link del dev kf${i}`).join("\n");
  const up = await timed(() => execa("ip", ["-n", lab, "-batch", "-"], { input: add + "\n" }));
  const destroy = await timed(() => execa("ip", ["-n", lab, "-batch", "-"], { input: del + "\n" }));
  return { up, destroy };
}

async function main() {
  const release = claimProjects();
  const { binDir, env: base } = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "bench"));
  const project = path.join(repoRoot, "test", "projects", "many");
  await installProject(project);
  const cliProjects = { "ts-node": project, precompiled: await precompiledCopy(project, path.join(repoRoot, ".work", "bench-precompiled")) };
  const { MacvlanLink } = app.require("pulumi-iproute2") as typeof iproute2;
  const { Echo } = app.require("pulumi-iproute2/echo") as typeof echo;
  const wrapperDir = path.join(repoRoot, ".work", "bench-bin");
  const countLog = path.join(repoRoot, ".work", "bench-ip-calls.log");
  countingIp(wrapperDir, countLog);

  const world = new World();
  try {
    const lab = await world.netns("bench");
    await world.vethParent(lab);
    const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
    console.log(`machine: ${cpu}, ${(await execa("nproc")).stdout} cores; pulumi ${(await execa(path.join(binDir, "pulumi"), ["version"])).stdout}; node ${process.version}`);
    console.log("| N | op | MacvlanLink (s) | engine floor: Echo (s) | ratio to engine | kernel floor: ip -batch (s) |");
    console.log("|---|----|-----------------|------------------------|-----------------|-----------------------------|");
    const userPath: string[] = [];
    for (const n of sizes.length > 0 ? sizes : [10, 100, 300]) {
      const runs: { links: Timings; floor: Timings; kernel: { up: number; destroy: number }; cli: Record<keyof typeof cliProjects, { links: number; floor: number }> }[] = [];
      for (let rep = 0; rep < reps; rep++) {
        const links = await runStack(app, binDir, `links-${n}-${process.pid}-${rep}`, async () => {
          for (let i = 0; i < n; i++) new MacvlanLink(`mv${i}`, { name: `mv${i}`, parent: "veth0", parentNetns: lab });
        }, base, { countIp: { dir: wrapperDir, log: countLog } });
        const floor = await runStack(app, binDir, `echo-${n}-${process.pid}-${rep}`, async () => {
          for (let i = 0; i < n; i++) new Echo(`e${i}`, { value: `mv${i}` });
        }, base);
        const cli = {} as (typeof runs)[number]["cli"];
        for (const [how, dir] of Object.entries(cliProjects) as [keyof typeof cliProjects, string][]) {
          const stack = `cli-${how}-${n}-${process.pid}-${rep}`;
          cli[how] = {
            links: await timeCliUp(dir, `${stack}-links`, { kind: "macvlan", count: String(n), parentNetns: lab }, base),
            floor: await timeCliUp(dir, `${stack}-echo`, { kind: "echo", count: String(n) }, base),
          };
        }
        runs.push({ links, floor, kernel: await kernelFloor(lab, n), cli });
      }
      for (const op of ["up", "refresh", "destroy"] as const) {
        const ours = median(runs.map((r) => r.links[op]));
        const floor = median(runs.map((r) => r.floor[op]));
        const k = op === "refresh" ? undefined : median(runs.map((r) => r.kernel[op]));
        console.log(`| ${n} | ${op} | ${seconds(ours)} | ${seconds(floor)} | ${(ours / floor).toFixed(2)}x | ${k === undefined ? "-" : `${seconds(k)} (${(ours / k).toFixed(0)}x)`} |`);
      }
      const counts = runs.map((r) => r.links.previewHostCommands ?? { plain: NaN, refreshing: NaN });
      const most = (key: "plain" | "refreshing") => Math.max(...counts.map((c) => c[key]));
      console.log(`| ${n} | unchanged preview | host commands run: ${most("plain")} (a refreshing preview, the counter's control: ${most("refreshing")}) | | | |`);

      const row = (what: string, ours: number, floor: number) => `| ${n} | ${what} | ${seconds(ours)} | ${seconds(floor)} | ${(ours / floor).toFixed(2)}x |`;
      userPath.push(row("Automation API: stack.up() of an inline program", median(runs.map((r) => r.links.up)), median(runs.map((r) => r.floor.up))));
      userPath.push(row("CLI: pulumi up --yes, index.ts by ts-node", median(runs.map((r) => r.cli["ts-node"].links)), median(runs.map((r) => r.cli["ts-node"].floor))));
      userPath.push(row("CLI: pulumi up --yes, precompiled main", median(runs.map((r) => r.cli.precompiled.links)), median(runs.map((r) => r.cli.precompiled.floor))));
    }
    console.log("\nThe user's path: up of N MacvlanLinks against N Echo resources run the same way.");
    console.log("| N | how | MacvlanLink (s) | engine floor: Echo (s) | ratio |");
    console.log("|---|-----|-----------------|------------------------|-------|");
    for (const line of userPath) console.log(line);
  } finally {
    await world.cleanup();
    rmSync(countLog, { force: true });
    release();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
