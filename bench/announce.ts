// Benchmark (not a test): what IPv6 addresses, and the wait for their DAD, cost `pulumi up` as the
// engine's --parallel grows. N MacvlanLinks on one veth parent, each with one IPv4 address, four ways:
//   IPv4 only                  the defaults (announce), no IPv6: the row the others are compared with
//   + IPv6, nodad              an IPv6 address too, nodad: true: no wait
//   + IPv6 (defaults)          the wait for DAD (1-2 s per link with the kernel's defaults), holding one
//                              of the engine's parallel slots: waits overlap up to --parallel
//   + IPv6, no announce/nodad  announce: false, nodad: true: no settings written, no wait (up as it was
//                              before announcing)
// each at the CLI's default --parallel (4 x GOMAXPROCS: pkg/cmd/pulumi/operations/up.go's
// defaultParallel, or PULUMI_PARALLEL; 8 on 2 cores) and at 64 and 256 (PARALLEL lists them; "default"
// passes none). Up only: each run's namespace is then deleted with its links. Medians of REPS, interleaved.
// Usage: REPS=3 PARALLEL=default,64,256 node dist/bench/announce.js [N ...]   (default 100; root; all in
// namespaces it makes).
import os from "node:os";
import path from "node:path";
import type * as iproute2 from "../provider/index";
import { claimProjects, ensureEngine, prepareApp, repoRoot } from "../test/support/engine";
import { World } from "../test/support/netns";
import { bytes, failureLines, machineLine, median, runStack, seconds, type StackRun } from "./support";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const reps = Math.max(1, Number(process.env.REPS ?? 3));
const parallels = (process.env.PARALLEL ?? "default,64,256").split(",").map((p) => (p === "default" ? undefined : Number(p)));

const variants = {
  v4: { label: "IPv4 only", v6: false, args: {} },
  nodad: { label: "IPv4 + IPv6, nodad: true (no wait)", v6: true, args: { nodad: true } },
  dad: { label: "IPv4 + IPv6, the defaults (wait for DAD)", v6: true, args: {} },
  bare: { label: "IPv4 + IPv6, announce: false, nodad: true", v6: true, args: { announce: false, nodad: true } },
} as const;
type Variant = keyof typeof variants;

async function main() {
  const release = claimProjects();
  const { binDir, env } = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "bench"));
  const { MacvlanLink } = app.require("pulumi-iproute2") as typeof iproute2;
  try {
    console.log(`${await machineLine(binDir)}; medians of ${reps}; the default --parallel here is ${4 * os.availableParallelism()} (4 x GOMAXPROCS) unless PULUMI_PARALLEL is set`);
    const rows: string[] = [];
    const failures: string[] = [];
    for (const n of sizes.length > 0 ? sizes : [100]) {
      for (const parallel of parallels) {
        const runs: Record<Variant, StackRun[]> = { v4: [], nodad: [], dad: [], bare: [] };
        for (let rep = 0; rep < reps; rep++) {
          // Each rep starts with another variant, so a slow first run does not always fall on the same one.
          const keys = Object.keys(variants) as Variant[];
          for (const key of [...keys.slice(rep % keys.length), ...keys.slice(0, rep % keys.length)]) {
            const { v6, args } = variants[key];
            // A namespace of its own per run, deleted with its links (and their boot parts) after up.
            const world = new World();
            try {
              const lab = await world.netns("dad");
              await world.vethParent(lab);
              runs[key].push(await runStack(app, binDir, `dad-${key}-${n}-${parallel ?? "d"}-${process.pid}-${rep}`, async () => {
                for (let i = 0; i < n; i++) {
                  // Host i + 1 of 10.70.0.0/16 (up to 65534 links; N above 255 crosses into 10.70.1.x).
                  const addresses = [`10.70.${(i + 1) >> 8}.${(i + 1) & 255}/16`, ...(v6 ? [`fd70::${(i + 1).toString(16)}/64`] : [])];
                  new MacvlanLink(`an${i}`, { name: `an${i}`, parent: "veth0", parentNetns: lab, addresses, ...args });
                }
              }, env, { upOnly: true, parallel }));
            } finally {
              await world.cleanup();
            }
          }
        }
        const base = median(runs.v4.map((r) => r.ms.up));
        for (const key of Object.keys(variants) as Variant[]) {
          const up = median(runs[key].map((r) => r.ms.up));
          const rss = bytes(median(runs[key].map((r) => r.peakRss.up)));
          rows.push(`| ${n} | ${parallel ?? "default"} | ${variants[key].label} | ${seconds(up)} | ${(up / base).toFixed(2)}x | ${rss} |`);
          failures.push(...failureLines(`N=${n} --parallel ${parallel ?? "default"} ${key}`, runs[key]));
        }
      }
    }
    console.log("\nup of N MacvlanLinks with addresses, against the same N with IPv4 only at the same --parallel.");
    console.log("| N | --parallel | links | up (s) | against IPv4 only | provider peak RSS |");
    console.log("|---|------------|-------|--------|-------------------|-------------------|");
    console.log(rows.join("\n"));
    console.log(failures.length === 0 ? "\nfailures: none" : `\nfailures:\n${failures.join("\n")}`);
  } finally {
    release();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
