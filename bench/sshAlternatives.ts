// Benchmark (not a test): N links on one simulated host over SSH (a real sshd in a namespace, see
// test/support/sshHosts.ts), side by side in one run:
//   ours      this package's `pulumi up` of N MacvlanLinks (connection: ssh)
//   (a)       the engine floor: N no-op Echo resources through the same CLI
//   (b)       one SSH session running one `ip -batch` of the N links
//   (c)       Ansible (Debian's ansible-core): a playbook making the same links on the same host
//   (d)       one SSH connection per command (link add, link set up), no multiplexing
//   (e)       with BASELINE=<git ref>: the same `pulumi up` with the package as it was at that ref
// Each is the median of REPS runs. Usage: [BASELINE=ref] REPS=3 node dist/bench/sshAlternatives.js [N]   (default
// 100; root).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type * as echo from "../provider/echo";
import type * as iproute2 from "../provider/index";
import { ensureEngine, prepareApp, repoRoot } from "../test/support/engine";
import { startSshHosts, type SshHosts } from "../test/support/sshHosts";
import { prepareBaselineApp } from "../test/support/baseline";
import { median, runStack, seconds, timed } from "./support";

const n = Number(process.argv[2] ?? 100);
const reps = Math.max(1, Number(process.env.REPS ?? 3));
const baselineRef = process.env.BASELINE;

async function main() {
  if ((await execa("sh", ["-c", "command -v ansible-playbook"], { reject: false })).exitCode !== 0) {
    await execa("apt-get", ["update", "-qq"], { stdio: "inherit" });
    await execa("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "ansible-core"], { stdio: "inherit", env: { DEBIAN_FRONTEND: "noninteractive" } });
  }
  const { binDir, env } = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "bench"));
  const { MacvlanLink } = app.require("pulumi-iproute2") as typeof iproute2;
  const { Echo } = app.require("pulumi-iproute2/echo") as typeof echo;
  const baseline = baselineRef !== undefined ? await prepareBaselineApp(baselineRef, path.join(repoRoot, ".work", "bench-baseline")) : undefined;
  const work = path.join(repoRoot, ".work", `bench-ssh-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const hosts: SshHosts = await startSshHosts(1, work);
  const host = hosts.hosts[0]!;
  const keyFile = path.join(work, "key");
  writeFileSync(keyFile, hosts.clientKey, { mode: 0o600 });
  const sshArgs = ["-F", hosts.sshConfigFile, "-i", keyFile, "-o", "BatchMode=yes"];
  // A fresh parent inside the host (run there directly: setting up is not what is measured).
  const clean = () =>
    host.exec("sh", "-c", "ip netns del bench 2>/dev/null; ip netns add bench && ip -n bench link add veth0 type veth peer name veth1 && ip -n bench link set veth0 up");
  const linkAdd = (i: number) => `link add link veth0 name b${i} type macvlan mode bridge`;

  const times: Record<string, number[]> = { ours: [], engine: [], batch: [], ansible: [], perCommand: [], baseline: [] };
  try {
    for (let rep = 0; rep < reps; rep++) {
      await clean();
      const connection = { type: "ssh" as const, host: host.address, privateKey: hosts.clientKey, sshConfigFile: hosts.sshConfigFile };
      const ours = await runStack(app, binDir, `ssh-links-${process.pid}-${rep}`, async () => {
        for (let i = 0; i < n; i++) new MacvlanLink(`b${i}`, { name: `b${i}`, parent: "veth0", parentNetns: "bench", connection });
      }, env, { upOnly: true }); // clean() removes the links with their namespace
      times.ours!.push(ours.ms.up);
      times.engine!.push((await runStack(app, binDir, `ssh-echo-${process.pid}-${rep}`, async () => {
        for (let i = 0; i < n; i++) new Echo(`e${i}`, { value: `b${i}` });
      }, env, { upOnly: true })).ms.up);
      if (baseline) {
        await clean();
        const { MacvlanLink: BaselineLink } = baseline.require("pulumi-iproute2") as typeof iproute2;
        times.baseline!.push((await runStack(baseline, binDir, `ssh-baseline-${process.pid}-${rep}`, async () => {
          for (let i = 0; i < n; i++) new BaselineLink(`b${i}`, { name: `b${i}`, parent: "veth0", parentNetns: "bench", connection });
        }, env, { upOnly: true })).ms.up);
      }

      await clean();
      const batch = Array.from({ length: n }, (_, i) => `${linkAdd(i)}\nlink set dev b${i} up`).join("\n");
      times.batch!.push(await timed(() => execa("ssh", [...sshArgs, host.address, "ip", "-n", "bench", "-batch", "-"], { input: `${batch}\n` })));

      await clean();
      const inventory = path.join(work, "inventory.ini");
      writeFileSync(inventory, `[hosts]\n${host.address} ansible_user=root ansible_ssh_private_key_file=${keyFile} ansible_ssh_common_args='-F ${hosts.sshConfigFile}'\n`);
      const playbook = path.join(work, "links.yml");
      writeFileSync(
        playbook,
        [
          "- hosts: all",
          "  gather_facts: false",
          "  tasks:",
          // The same links as ours: made and brought up, one task run per link (Ansible's defaults).
          "    - name: macvlan links",
          "      ansible.builtin.shell: ip -n bench link add link veth0 name a{{ item }} type macvlan mode bridge && ip -n bench link set dev a{{ item }} up",
          `      loop: "{{ range(${n}) | list }}"`,
          "",
        ].join("\n"),
      );
      times.ansible!.push(await timed(() => execa("ansible-playbook", ["-i", inventory, playbook], { env: { ...process.env, ANSIBLE_HOST_KEY_CHECKING: "True" } })));

      await clean();
      times.perCommand!.push(await timed(async () => {
        for (let i = 0; i < n; i++) {
          for (const command of [linkAdd(i), `link set dev b${i} up`]) {
            await execa("ssh", [...sshArgs, "-o", "ControlPath=none", host.address, "ip", "-n", "bench", ...command.split(" ")]);
          }
        }
      }));
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    console.log(`over SSH to one simulated host, N = ${n}, median of ${reps}; ${(await execa("nproc")).stdout} cores`);
    console.log("| what | time (s) | this package's up is |");
    console.log("|---|---|---|");
    console.log(`| this package: pulumi up of ${n} MacvlanLinks | ${seconds(m.ours!)} | - |`);
    console.log(`| (a) engine floor: ${n} no-op Echo resources | ${seconds(m.engine!)} | ${(m.ours! / m.engine!).toFixed(2)}x of it |`);
    console.log(`| (b) one SSH session, one ip -batch | ${seconds(m.batch!)} | ${(m.ours! / m.batch!).toFixed(0)}x of it |`);
    console.log(`| (c) Ansible playbook (ansible-core), same links | ${seconds(m.ansible!)} | ${(m.ansible! / m.ours!).toFixed(1)}x faster |`);
    console.log(`| (d) one SSH connection per command | ${seconds(m.perCommand!)} | ${(m.perCommand! / m.ours!).toFixed(1)}x faster |`);
    if (baseline) {
      console.log(`| (e) the same up, package at ${baselineRef} | ${seconds(m.baseline!)} | ${(m.ours! / m.baseline!).toFixed(2)}x of it (it is ${(m.baseline! / m.engine!).toFixed(2)}x the engine floor) |`);
    }
    // No provider can beat the engine it runs in: this bounds the Ansible ratio on this machine.
    console.log(`(the engine floor alone is ${(m.ansible! / m.engine!).toFixed(1)}x faster than Ansible)`);
  } finally {
    await hosts.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
