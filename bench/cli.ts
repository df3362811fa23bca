// Benchmark (not a test): the user's path against the Automation API's, at N = 1000 by default, each with
// and without PULUMI_SKIP_CHECKPOINTS=true (the file backend then writes the state once, at the end,
// instead of at every step), each beside its own Echo floor:
//   CLI             `pulumi up --yes` (a preview, then the update) of test/projects/many, index.ts run by
//                   ts-node as a user's project is (PRECOMPILED=1 adds the same with `main: bin/index.js`)
//   Automation API  stack.up(), refresh(), destroy() of an inline program (bench/support.ts)
// with the dynamic-provider plugin's peak RSS. Medians of REPS runs, interleaved.
// Usage: REPS=3 [PRECOMPILED=1] node dist/bench/cli.js [N ...]   (default 1000; root; all in namespaces)
import path from "node:path";
import type * as echo from "../provider/echo";
import type * as iproute2 from "../provider/index";
import { claimProjects, ensureEngine, installProject, prepareApp, repoRoot } from "../test/support/engine";
import { World } from "../test/support/netns";
import { bytes, failureLines, machineLine, median, ops, precompiledCopy, runStack, seconds, timeCliUp, type StackRun } from "./support";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const reps = Math.max(1, Number(process.env.REPS ?? 3));
const checkpointModes = { "every step (default)": {}, "PULUMI_SKIP_CHECKPOINTS=true": { PULUMI_SKIP_CHECKPOINTS: "true" } } as const;
type CheckpointMode = keyof typeof checkpointModes;

async function main() {
  const release = claimProjects();
  const { binDir, env: base } = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "bench"));
  const project = path.join(repoRoot, "test", "projects", "many");
  await installProject(project);
  const cliProjects: Record<string, string> = { "ts-node": project };
  if (process.env.PRECOMPILED === "1") cliProjects.precompiled = await precompiledCopy(project, path.join(repoRoot, ".work", "bench-precompiled"));
  const { MacvlanLink } = app.require("pulumi-iproute2") as typeof iproute2;
  const { Echo } = app.require("pulumi-iproute2/echo") as typeof echo;
  const world = new World();
  try {
    const lab = await world.netns("bench");
    await world.vethParent(lab);
    console.log(`${await machineLine(binDir)}; medians of ${reps}`);
    const rows: string[] = [];
    const failures: string[] = [];
    for (const n of sizes.length > 0 ? sizes : [1000]) {
      type Side = { ms: number; peakRss: number }[];
      const cli: Record<string, { links: Side; floor: Side }> = {};
      const api: Record<string, { links: StackRun[]; floor: StackRun[] }> = {};
      for (let rep = 0; rep < reps; rep++) {
        for (const [mode, extra] of Object.entries(checkpointModes) as [CheckpointMode, Record<string, string>][]) {
          const env = { ...base, ...extra };
          const tag = `${n}-${mode === "every step (default)" ? "ckpt" : "skip"}-${process.pid}-${rep}`;
          const a = (api[mode] ??= { links: [], floor: [] });
          a.links.push(await runStack(app, binDir, `api-links-${tag}`, async () => {
            for (let i = 0; i < n; i++) new MacvlanLink(`mv${i}`, { name: `mv${i}`, parent: "veth0", parentNetns: lab });
          }, env));
          a.floor.push(await runStack(app, binDir, `api-echo-${tag}`, async () => {
            for (let i = 0; i < n; i++) new Echo(`e${i}`, { value: `mv${i}` });
          }, env));
          for (const [how, dir] of Object.entries(cliProjects)) {
            const c = (cli[`${how}|${mode}`] ??= { links: [], floor: [] });
            c.links.push(await timeCliUp(dir, `cli-${how}-${tag}-links`, { kind: "macvlan", count: String(n), parentNetns: lab }, env));
            c.floor.push(await timeCliUp(dir, `cli-${how}-${tag}-echo`, { kind: "echo", count: String(n) }, env));
          }
        }
      }
      const row = (what: string, mode: string, links: { ms: number; peakRss: number }[], floor: { ms: number; peakRss: number }[]) => {
        const ours = median(links.map((r) => r.ms));
        const engine = median(floor.map((r) => r.ms));
        const rss = `${bytes(median(links.map((r) => r.peakRss)))} / ${bytes(median(floor.map((r) => r.peakRss)))}`;
        return `| ${n} | ${what} | ${mode} | ${seconds(ours)} | ${seconds(engine)} | ${(ours / engine).toFixed(2)}x | ${rss} |`;
      };
      for (const mode of Object.keys(checkpointModes) as CheckpointMode[]) {
        for (const how of Object.keys(cliProjects)) {
          const c = cli[`${how}|${mode}`]!;
          rows.push(row(`CLI: pulumi up --yes (${how})`, mode, c.links, c.floor));
        }
        const a = api[mode]!;
        for (const op of ops) {
          rows.push(row(`Automation API: ${op}`, mode, a.links.map((r) => ({ ms: r.ms[op], peakRss: r.peakRss[op] })), a.floor.map((r) => ({ ms: r.ms[op], peakRss: r.peakRss[op] }))));
        }
        failures.push(...failureLines(`N=${n} ${mode} MacvlanLink`, a.links), ...failureLines(`N=${n} ${mode} Echo`, a.floor));
      }
    }
    console.log("\nN MacvlanLinks against N Echo resources run the same way, with and without checkpoints at every step (file backend).");
    console.log("| N | how | checkpoints | MacvlanLink (s) | engine floor: Echo (s) | ratio | provider peak RSS: MacvlanLink / Echo |");
    console.log("|---|-----|-------------|-----------------|------------------------|-------|----------------------------------------|");
    console.log(rows.join("\n"));
    console.log(failures.length === 0 ? "\nfailures: none" : `\nfailures:\n${failures.join("\n")}`);
  } finally {
    await world.cleanup();
    release();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
