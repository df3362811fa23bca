// Benchmark (not a test): what `pulumi-iproute2 scan` costs on a host of N namespaces, each holding a
// veth pair and two macvlan children (one addressed, with a route), against the floor: the same
// namespaces' `ip -j` reads run one after another by a shell, with nothing parsed or written. Both are
// run interleaved, REPS times; medians are printed, with the scan against the floor. Usage:
//   REPS=3 node dist/bench/scan.js [N ...] (default 10 100). Needs root; it makes its own namespaces.
import path from "node:path";
import { execa } from "execa";
import { repoRoot } from "../test/support/engine";
import { ip, World } from "../test/support/netns";
import { median, seconds, timed } from "./support";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const reps = Math.max(1, Number(process.env.REPS ?? 3));
const cli = path.join(repoRoot, "dist/provider/cli.js");

async function main() {
  console.log(`node ${process.version}; medians of ${reps}`);
  console.log("| N namespaces | links | ip reads alone (s) | scan (s) | scan against the reads |");
  console.log("|---|---|---|---|---|");
  for (const n of sizes.length > 0 ? sizes : [10, 100]) {
    const world = new World();
    try {
      const namespaces: string[] = [];
      for (let i = 0; i < n; i++) {
        const ns = await world.netns(`scan${i}`);
        namespaces.push(ns);
        await world.vethParent(ns);
        await ip("-n", ns, "link", "add", "link", "veth0", "name", "m1", "type", "macvlan", "mode", "bridge");
        await ip("-n", ns, "link", "add", "link", "veth0", "name", "m2", "type", "macvlan", "mode", "private");
        await ip("-n", ns, "addr", "add", "10.71.0.1/24", "dev", "m1");
        await ip("-n", ns, "link", "set", "m1", "up");
        await ip("-n", ns, "route", "add", "10.72.0.0/16", "via", "10.71.0.254", "dev", "m1");
      }
      const floorScript = namespaces
        .map((ns) => `ip -j -n '${ns}' -d addr show; ip -j -n '${ns}' route show; ip -j -6 -n '${ns}' route show; ip -j -n '${ns}' netns list-id`)
        .join("\n");
      const flags = namespaces.flatMap((ns) => ["--netns", ns]);
      const floor: number[] = [];
      const scan: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        floor.push(await timed(() => execa("sh", ["-c", floorScript], { stdout: "ignore" })));
        scan.push(await timed(() => execa(process.execPath, [cli, "scan", ...flags], { stdout: "ignore", stderr: "ignore" })));
      }
      const [f, s] = [median(floor), median(scan)];
      console.log(`| ${n} | ${n * 4} | ${seconds(f)} | ${seconds(s)} | ${(s / f).toFixed(2)}x |`);
    } finally {
      await world.cleanup();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
