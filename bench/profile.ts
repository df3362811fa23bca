// Profile (not a benchmark of record): where the provider's time goes at N resources. For N
// MacvlanLinks on this machine (`local`: the parent veth0 in a namespace made here) or on one simulated
// host over SSH (`ssh`, as bench/ssh.ts makes it), it runs up, refresh and destroy, and for each:
//   - a CPU profile of the dynamic-provider plugin's process only (bench/providerHook.ts, loaded into
//     it through NODE_OPTIONS): sampled time, idle vs busy, top functions by self and total time, the
//     time by file and by kind of code (ours, @pulumi/pulumi, @grpc/grpc-js, execa, node)
//   - the processes it started (by kind), its runner calls and the requests written to its
//     shells (round trips, local or over SSH), per resource
//   - the operation's wall time beside the same operation on N Echo resources (the engine floor),
//     both profiled the same way, so the share we add is known
// and the state's size per resource after up. It prints a markdown summary.
// Usage: node dist/bench/profile.js local|ssh N   (root). With PROFILE_KEEP=<dir> the .cpuprofile
// files are copied there (open them in Chrome DevTools); everything else it makes is removed.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import type * as automation from "@pulumi/pulumi/automation";
import type * as echo from "../provider/echo";
import type * as iproute2 from "../provider/index";
import { ensureEngine, openStack, prepareApp, repoRoot, type App } from "../test/support/engine";
import { World } from "../test/support/netns";
import { startSshHosts, type SshHosts } from "../test/support/sshHosts";
import { summarize, type CpuProfile, type ProfileSummary, type Share } from "./cpuProfile";
import type { ProviderCounts } from "./providerHook";
import { seconds, timed } from "./support";

const transport = process.argv[2];
const n = Number(process.argv[3] ?? 300);
const operations = ["up", "refresh", "destroy"] as const;
type Operation = (typeof operations)[number];

interface Measured {
  wallMs: number;
  /** One per provider process the operation started (normally one). */
  providers: { counts: ProviderCounts; profile?: ProfileSummary }[];
}

interface StackRun {
  ops: Record<Operation, Measured>;
  stateBytes: number;
}

const hook = path.join(__dirname, "providerHook.js");

/** up, refresh, destroy of one stack, each with the provider profiled into a folder of its own. */
async function profiledStack(app: App, binDir: string, name: string, program: automation.PulumiFn, env: Record<string, string>, out: string): Promise<StackRun> {
  const stack = await openStack(app, binDir, { projectName: "iproute2-profile", stackName: name, program, envVars: env, workDir: path.join(app.dir, "stacks", name) });
  const quiet = { onOutput: () => undefined };
  const ops = {} as Record<Operation, Measured>;
  let stateBytes = NaN;
  let destroyed = false;
  try {
    for (const op of operations) {
      const dir = path.join(out, name, op);
      mkdirSync(dir, { recursive: true });
      Object.assign(stack.workspace.envVars, { NODE_OPTIONS: `${env.NODE_OPTIONS ?? ""} --require ${hook}`.trim(), PI2_PROFILE_DIR: dir });
      const wallMs = await timed(() => (op === "up" ? stack.up(quiet) : op === "refresh" ? stack.refresh(quiet) : stack.destroy(quiet)));
      if (op === "destroy") destroyed = true;
      delete stack.workspace.envVars.NODE_OPTIONS;
      delete stack.workspace.envVars.PI2_PROFILE_DIR;
      if (op === "up") stateBytes = JSON.stringify(await stack.exportStack()).length;
      ops[op] = { wallMs, providers: readProviders(dir) };
    }
    return { ops, stateBytes };
  } finally {
    delete stack.workspace.envVars.NODE_OPTIONS;
    if (!destroyed) await stack.destroy(quiet).catch(() => undefined);
    await stack.workspace.removeStack(name, { force: true }).catch(() => undefined);
  }
}

function readProviders(dir: string): Measured["providers"] {
  const files = readdirSync(dir);
  const found = files.filter((f) => f.endsWith(".counts.json"));
  if (found.length === 0) throw new Error(`no provider process wrote its counts in ${dir}: was the hook loaded (NODE_OPTIONS)?`);
  return found.map((file) => {
    const counts = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as ProviderCounts;
    const profileFile = path.join(dir, `provider-${counts.pid}.cpuprofile`);
    const profile = files.includes(path.basename(profileFile)) ? summarize(JSON.parse(readFileSync(profileFile, "utf8")) as CpuProfile) : undefined;
    return { counts, profile };
  });
}

const ms = (value: number) => `${Math.round(value)}`;
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
const perResource = (count: number) => (count / n).toFixed(2);

/** The sum of several provider processes' counts (normally there is one). */
function merged(providers: Measured["providers"]): ProviderCounts {
  const sum: ProviderCounts = {
    pid: 0,
    spawns: {},
    callShapes: {},
    maxCallsInFlight: 0,
    runnerCalls: { local: 0, ssh: 0, commands: 0 },
    shellRequests: { requests: 0, groups: 0, commands: 0, ms: 0 },
    hostWaitMs: 0,
    lifetimeMs: 0,
    maxRssKb: 0,
  };
  for (const { counts } of providers) {
    for (const [kind, t] of Object.entries(counts.spawns)) {
      const into = (sum.spawns[kind] ??= { count: 0, ms: 0, blockingMs: 0 });
      into.count += t.count;
      into.ms += t.ms;
      into.blockingMs += t.blockingMs;
    }
    for (const [shape, t] of Object.entries(counts.callShapes)) {
      const into = (sum.callShapes[shape] ??= { count: 0, ms: 0 });
      into.count += t.count;
      into.ms += t.ms;
    }
    sum.maxCallsInFlight = Math.max(sum.maxCallsInFlight, counts.maxCallsInFlight);
    for (const key of ["local", "ssh", "commands"] as const) sum.runnerCalls[key] += counts.runnerCalls[key];
    for (const key of ["requests", "groups", "commands", "ms"] as const) sum.shellRequests[key] += counts.shellRequests[key];
    sum.hostWaitMs += counts.hostWaitMs;
    sum.lifetimeMs += counts.lifetimeMs;
    sum.maxRssKb = Math.max(sum.maxRssKb, counts.maxRssKb);
  }
  return sum;
}

const busyMs = (p: ProfileSummary) => p.totalMs - p.idleMs;
const spawnCount = (c: ProviderCounts) => Object.values(c.spawns).reduce((sum, t) => sum + t.count, 0);

function printOperation(op: Operation, links: Measured, floor: Measured): void {
  const counts = merged(links.providers);
  const spawned = spawnCount(counts);
  console.log(`\n### ${op}: ${seconds(links.wallMs)} s for ${n} MacvlanLinks, ${seconds(floor.wallMs)} s for ${n} Echo (${(links.wallMs / floor.wallMs).toFixed(2)}x the floor)\n`);
  console.log(`provider processes: ${links.providers.length} (Echo: ${floor.providers.length}); peak RSS ${Math.round(counts.maxRssKb / 1024)} MB (Echo: ${Math.round(merged(floor.providers).maxRssKb / 1024)} MB)`);
  const blocking = Object.values(counts.spawns).reduce((sum, t) => sum + t.blockingMs, 0);
  console.log(`processes started by the provider: ${spawned} (${perResource(spawned)} per resource); the spawn calls blocked its event loop for ${seconds(blocking)} s in all`);
  if (spawned > 0) {
    console.log(`\n| process | count | per resource | blocking in spawn, mean ms | spawn to exit, mean ms |\n|---|---|---|---|---|`);
    for (const [kind, t] of Object.entries(counts.spawns).sort((a, b) => b[1].count - a[1].count)) {
      console.log(`| \`${kind}\` | ${t.count} | ${perResource(t.count)} | ${(t.blockingMs / t.count).toFixed(1)} | ${(t.ms / t.count).toFixed(1)} |`);
    }
    console.log("");
  }
  const calls = counts.runnerCalls.local + counts.runnerCalls.ssh;
  console.log(`runner calls: ${calls} (${perResource(calls)} per resource), ${counts.runnerCalls.commands} commands (${perResource(counts.runnerCalls.commands)} per resource), at most ${counts.maxCallsInFlight} at once; time with a host call in flight: ${seconds(counts.hostWaitMs)} s of the provider's ${seconds(counts.lifetimeMs)} s`);
  console.log(`runner calls by their commands (count, mean ms to answer): ${Object.entries(counts.callShapes).sort((a, b) => b[1].count - a[1].count).map(([shape, t]) => `[${shape}] ${t.count}, ${(t.ms / t.count).toFixed(0)} ms`).join("; ")}`);
  if (counts.shellRequests.requests > 0) {
    const r = counts.shellRequests;
    console.log(`requests written to shells (round trips): ${r.requests} (${perResource(r.requests)} per resource), carrying ${r.groups} runner calls and ${r.commands} commands (${(r.groups / r.requests).toFixed(2)} calls per request), ${(r.ms / r.requests).toFixed(0)} ms each on average`);
  }
  for (const [label, measured] of [["MacvlanLink", links], ["Echo (floor)", floor]] as const) {
    for (const { profile } of measured.providers) {
      if (!profile) continue;
      console.log(`\n${label} provider CPU: sampled ${ms(profile.totalMs)} ms, idle ${ms(profile.idleMs)} ms, busy ${ms(busyMs(profile))} ms (${pct(busyMs(profile), profile.totalMs)}; GC ${ms(profile.gcMs)} ms, unattributed native "(program)" ${ms(profile.programMs)} ms; loading modules ${ms(profile.loadingMs)} ms)`);
      if (label === "Echo (floor)") {
        console.log(`busy with: ${Object.entries(profile.byActivity).sort((x, y) => y[1] - x[1]).filter(([, spent]) => spent > 0).map(([activity, spent]) => `${activity} ${ms(spent)} ms`).join("; ")}`);
        continue;
      }
      const busy = busyMs(profile);
      console.log(`\n| what the provider was busy with | ms | share of busy |\n|---|---|---|`);
      for (const [activity, spent] of Object.entries(profile.byActivity).sort((x, y) => y[1] - x[1])) console.log(`| ${activity} | ${ms(spent)} | ${pct(spent, busy)} |`);
      const table = (title: string, shares: Share[], key: "self" | "total", rows: number) => {
        console.log(`\n| ${title} | kind | self ms | total ms | share of busy (${key}) |\n|---|---|---|---|---|`);
        for (const s of [...shares].sort((a, b) => b[key] - a[key]).slice(0, rows)) {
          console.log(`| \`${s.name}\` | ${s.kind} | ${ms(s.self)} | ${ms(s.total)} | ${pct(s[key], busy)} |`);
        }
      };
      table("kind of code", profile.byKind, "self", 12);
      table("function (top by self)", profile.byFunction, "self", 15);
      table("function (top by total)", profile.byFunction.filter((s) => !s.name.startsWith("(")), "total", 10);
      table("file (top by total)", profile.byFile.filter((s) => !s.name.startsWith("(")), "total", 10);
    }
  }
}

async function main() {
  if ((transport !== "local" && transport !== "ssh") || !(n > 0)) {
    console.error("usage: node dist/bench/profile.js local|ssh N");
    process.exit(2);
  }
  const { binDir, env } = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "bench-profile"));
  const { MacvlanLink } = app.require("pulumi-iproute2") as typeof iproute2;
  const { Echo } = app.require("pulumi-iproute2/echo") as typeof echo;
  const out = mkdtempSync(path.join(tmpdir(), "pi2-profile-"));
  const world = new World();
  let hosts: SshHosts | undefined;
  try {
    let connection: iproute2.MacvlanLinkArgs["connection"];
    let parentNetns: string;
    if (transport === "local") {
      parentNetns = await world.netns("prof");
      await world.vethParent(parentNetns);
    } else {
      const work = path.join(out, "ssh");
      mkdirSync(work);
      hosts = await startSshHosts(1, work);
      const host = hosts.hosts[0]!;
      parentNetns = "prof";
      // Inside the simulated host (its own /run/netns): removed with it.
      await host.exec("sh", "-c", "ip netns add prof && ip -n prof link add veth0 type veth peer name veth1 && ip -n prof link set veth0 up");
      connection = { type: "ssh", host: host.address, privateKey: hosts.clientKey, sshConfigFile: hosts.sshConfigFile };
    }
    const tag = `${transport}-${n}-${process.pid}`;
    const links = await profiledStack(app, binDir, `prof-links-${tag}`, async () => {
      for (let i = 0; i < n; i++) new MacvlanLink(`mv${i}`, { name: `mv${i}`, parent: "veth0", parentNetns, connection });
    }, env, out);
    const floor = await profiledStack(app, binDir, `prof-echo-${tag}`, async () => {
      for (let i = 0; i < n; i++) new Echo(`e${i}`, { value: `mv${i}` });
    }, env, out);

    const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
    console.log(`## ${transport}, N = ${n}\n`);
    console.log(`machine: ${cpu}, ${(await execa("nproc")).stdout} cores, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}; pulumi ${(await execa(path.join(binDir, "pulumi"), ["version"])).stdout}; node ${process.version}`);
    console.log(`state after up: ${Math.round(links.stateBytes / n)} bytes per MacvlanLink, ${Math.round(floor.stateBytes / n)} per Echo (whole deployment / N)\n`);
    console.log("| op | MacvlanLink (s) | Echo (s) | ratio | provider busy ms: links / Echo | processes per resource | runner calls per resource | round trips per resource |");
    console.log("|---|---|---|---|---|---|---|---|");
    for (const op of operations) {
      const l = links.ops[op];
      const f = floor.ops[op];
      const c = merged(l.providers);
      const busy = (m: Measured) => ms(m.providers.reduce((sum, p) => sum + (p.profile ? busyMs(p.profile) : 0), 0));
      const spawned = spawnCount(c);
      const trips = c.shellRequests.requests > 0 ? c.shellRequests.requests : c.runnerCalls.local;
      console.log(`| ${op} | ${seconds(l.wallMs)} | ${seconds(f.wallMs)} | ${(l.wallMs / f.wallMs).toFixed(2)}x | ${busy(l)} / ${busy(f)} | ${perResource(spawned)} | ${perResource(c.runnerCalls.local + c.runnerCalls.ssh)} | ${perResource(trips)} |`);
    }
    for (const op of operations) printOperation(op, links.ops[op], floor.ops[op]);
    if (process.env.PROFILE_KEEP) {
      const keep = path.resolve(process.env.PROFILE_KEEP);
      for (const stack of readdirSync(out).filter((d) => d.startsWith("prof-"))) {
        for (const op of operations) {
          for (const file of readdirSync(path.join(out, stack, op)).filter((f) => f.endsWith(".cpuprofile"))) {
            mkdirSync(keep, { recursive: true });
            cpSync(path.join(out, stack, op, file), path.join(keep, `${stack}-${op}-${file}`));
          }
        }
      }
      writeFileSync(path.join(keep, "README"), `CPU profiles of the dynamic-provider process, from bench/profile.ts ${transport} ${n}\n`);
    }
  } finally {
    await hosts?.stop();
    await world.cleanup();
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
