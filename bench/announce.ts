// Benchmark (not a test): what telling neighbours and waiting for IPv6 addresses cost `pulumi up`.
// N MacvlanLinks on one veth parent, each with an IPv4 and an IPv6 address, three ways, interleaved:
//   (a) baseline: announce: false, nodad: true: no settings written, no wait (what up did before)
//   (b) announce: true, nodad: true: the settings (one more command per create), and the kernel's
//       announcements as each link comes up
//   (c) the defaults: the settings, and the wait for DAD (1-2 s per link with the kernel's defaults;
//       the engine creates links in parallel, so waits overlap up to its parallelism)
// and prints each against (a). Usage: REPS=3 node dist/bench/announce.js [N ...] (default 10 100).
// Needs root; everything happens in a namespace it makes.
import path from "node:path";
import { execa } from "execa";
import type * as iproute2 from "../provider/index";
import { claimProjects, ensureEngine, prepareApp, repoRoot } from "../test/support/engine";
import { World } from "../test/support/netns";
import { median, runStack, seconds } from "./support";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const reps = Math.max(1, Number(process.env.REPS ?? 3));

const variants = {
  baseline: { label: "announce: false, nodad: true (baseline)", args: { announce: false, nodad: true } },
  announce: { label: "announce: true, nodad: true", args: { announce: true, nodad: true } },
  defaults: { label: "the defaults: announce, and the wait for DAD", args: {} },
} as const;
type Variant = keyof typeof variants;

async function main() {
  const release = claimProjects();
  const { binDir, env } = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "bench"));
  const { MacvlanLink } = app.require("pulumi-iproute2") as typeof iproute2;
  const world = new World();
  try {
    const lab = await world.netns("bench");
    await world.vethParent(lab);
    console.log(`node ${process.version}; pulumi ${(await execa(path.join(binDir, "pulumi"), ["version"])).stdout}; medians of ${reps}`);
    console.log("| N | links | up (s) | against the baseline |");
    console.log("|---|-------|--------|----------------------|");
    for (const n of sizes.length > 0 ? sizes : [10, 100]) {
      const ups: Record<Variant, number[]> = { baseline: [], announce: [], defaults: [] };
      for (let rep = 0; rep < reps; rep++) {
        for (const key of Object.keys(variants) as Variant[]) {
          const { args } = variants[key];
          const timings = await runStack(app, binDir, `announce-${key}-${n}-${process.pid}-${rep}`, async () => {
            for (let i = 0; i < n; i++) {
              const addresses = [`10.70.${i >> 8}.${(i & 255) + 1}/16`, `fd70::${(i + 1).toString(16)}/64`];
              new MacvlanLink(`an${i}`, { name: `an${i}`, parent: "veth0", parentNetns: lab, addresses, ...args });
            }
          }, env);
          ups[key].push(timings.ms.up);
        }
      }
      const base = median(ups.baseline);
      for (const key of Object.keys(variants) as Variant[]) {
        const up = median(ups[key]);
        console.log(`| ${n} | ${variants[key].label} | ${seconds(up)} | ${(up / base).toFixed(2)}x |`);
      }
    }
  } finally {
    await world.cleanup();
    release();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
