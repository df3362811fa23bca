// Benchmark (not a test): `pulumi up`, `refresh` and `destroy` of N MacvlanLinks on this machine, side
// by side with
//   (a) the engine floor: N no-op dynamic resources (Echo) through the same CLI, and
//   (b) the kernel floor: one `ip -batch` creating (and one deleting) the same N links,
// and prints the ratios, the dynamic-provider plugin's peak RSS and the state's size per resource. It
// also counts the host commands an unchanged-stack preview runs (target: 0) by putting a counting
// wrapper in front of `ip` on the provider's PATH for that preview only (first rep of each N).
// The stacks are inline programs driven through the Automation API (the CLI's path: bench/cli.ts).
// Each time is the median of REPS runs (interleaved, so drift in machine load hits both sides).
// Usage: REPS=3 node dist/bench/lifecycle.js [N ...]   (default 10 100 300 1000). Needs root; all in
// namespaces it makes.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type * as echo from "../provider/echo";
import type * as iproute2 from "../provider/index";
import { claimProjects, ensureEngine, prepareApp, repoRoot } from "../test/support/engine";
import { World } from "../test/support/netns";
import { failureLines, lifecycleHeader, lifecycleRows, machineLine, median, runStack, seconds, stateHeader, stateRow, timed, type StackRun } from "./support";

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
  const { MacvlanLink } = app.require("pulumi-iproute2") as typeof iproute2;
  const { Echo } = app.require("pulumi-iproute2/echo") as typeof echo;
  const wrapperDir = path.join(repoRoot, ".work", "bench-bin");
  const countLog = path.join(repoRoot, ".work", "bench-ip-calls.log");
  countingIp(wrapperDir, countLog);

  const world = new World();
  try {
    const lab = await world.netns("bench");
    await world.vethParent(lab);
    console.log(`${await machineLine(binDir)}; medians of ${reps}`);
    const table = lifecycleHeader(["kernel floor: ip -batch (s)"]);
    const states: string[] = [];
    const previews: string[] = [];
    const failures: string[] = [];
    for (const n of sizes.length > 0 ? sizes : [10, 100, 300, 1000]) {
      const links: StackRun[] = [];
      const floor: StackRun[] = [];
      const kernel: { up: number; destroy: number }[] = [];
      for (let rep = 0; rep < reps; rep++) {
        links.push(await runStack(app, binDir, `links-${n}-${process.pid}-${rep}`, async () => {
          for (let i = 0; i < n; i++) new MacvlanLink(`mv${i}`, { name: `mv${i}`, parent: "veth0", parentNetns: lab });
        }, base, rep === 0 ? { countIp: { dir: wrapperDir, log: countLog } } : {}));
        floor.push(await runStack(app, binDir, `echo-${n}-${process.pid}-${rep}`, async () => {
          for (let i = 0; i < n; i++) new Echo(`e${i}`, { value: `mv${i}` });
        }, base));
        kernel.push(await kernelFloor(lab, n));
      }
      table.push(...lifecycleRows(n, links, floor, (op) => {
        if (op === "refresh") return ["-"];
        const k = median(kernel.map((r) => r[op]));
        return [`${seconds(k)} (ours ${(median(links.map((r) => r.ms[op])) / k).toFixed(0)}x)`];
      }));
      states.push(stateRow(n, "MacvlanLink", links[0]!.state), stateRow(n, "Echo", floor[0]!.state));
      const counts = links[0]!.previewHostCommands;
      previews.push(`| ${n} | ${counts?.plain ?? "-"} | ${counts?.refreshing ?? "-"} |`);
      failures.push(...failureLines(`N=${n} MacvlanLink`, links), ...failureLines(`N=${n} Echo`, floor));
    }
    console.log(`\nLocal: N MacvlanLinks on one veth parent against N Echo resources (Automation API, default --parallel).`);
    console.log(table.join("\n"));
    console.log(`\nState after up (file backend), per resource; "one object" is the average of that resource type's objects.`);
    console.log([...stateHeader, ...states].join("\n"));
    console.log(`\nAn unchanged preview's host commands (target 0), and a refreshing preview's (the counter's control: must be > 0).`);
    console.log(["| N | unchanged preview | refreshing preview |", "|---|---|---|", ...previews].join("\n"));
    console.log(failures.length === 0 ? "\nfailures: none" : `\nfailures:\n${failures.join("\n")}`);
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
