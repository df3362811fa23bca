// Loaded into every node the Pulumi CLI starts during a profiled operation (NODE_OPTIONS="--require
// this"), it acts only in the dynamic-provider plugin's process: it records a CPU profile of it, the
// processes it starts (argv of each spawn) and the requests it makes of hosts, measured from outside
// the provider's code (by wrapping what it calls), so the provider is profiled as it ships.
// It writes <PI2_PROFILE_DIR>/provider-<pid>.cpuprofile and .counts.json when the process ends, for
// bench/profile.ts to read. The engine ends its plugins with a signal: that becomes a normal exit here,
// which is what lets the profile be written at all.
import childProcess from "node:child_process";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import Module, { syncBuiltinESMExports } from "node:module";
import path from "node:path";

/** What one provider process did, as bench/profile.ts reads it. */
/** How many, and the time (ms) they took in all. */
export interface Timed {
  count: number;
  ms: number;
}

export interface ProviderCounts {
  pid: number;
  /**
   * Processes started, by what they are ("ip -batch", "ip link show", "ssh", ...): how many, the time
   * the spawn call blocked the event loop (fork and exec happen inside it), and from spawn to exit.
   */
  spawns: Record<string, Timed & { blockingMs: number }>;
  /** Runner.run calls (an operation's group of commands for one host) and the commands in them. */
  runnerCalls: { local: number; ssh: number; commands: number };
  /** Runner calls by the kinds of their commands, in order ("ip -batch + sh"), and their time to answer. */
  callShapes: Record<string, Timed>;
  /** Most runner calls waiting for hosts at once. */
  maxCallsInFlight: number;
  /** Requests written to shells, local or over SSH (each one round trip; several runner calls may share one). */
  shellRequests: { requests: number; groups: number; commands: number; ms: number };
  /** Time (ms) with at least one runner call waiting for its host. */
  hostWaitMs: number;
  /** From the hook's start to the process's end (ms). */
  lifetimeMs: number;
  maxRssKb: number;
}

const dir = process.env.PI2_PROFILE_DIR;
const isProvider = /@pulumi[\\/]pulumi[\\/]cmd[\\/]dynamic-provider/.test(process.argv[1] ?? "");

/** "ip -batch", "ip link add", "ssh", "sudo": enough of argv to tell kinds of commands apart. */
export function spawnKind(file: string, args: readonly string[]): string {
  const name = path.basename(file);
  if (name !== "ip") return name;
  if (args.includes("-batch")) return "ip -batch";
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const arg = args[i] ?? "";
    if (arg === "-n" || arg === "-netns") i++;
    else if (!arg.startsWith("-")) words.push(arg);
  }
  return ["ip", ...words].join(" ");
}

function install(outDir: string): void {
  const started = performance.now();
  const counts: ProviderCounts = {
    pid: process.pid,
    spawns: {},
    runnerCalls: { local: 0, ssh: 0, commands: 0 },
    callShapes: {},
    maxCallsInFlight: 0,
    shellRequests: { requests: 0, groups: 0, commands: 0, ms: 0 },
    hostWaitMs: 0,
    lifetimeMs: 0,
    maxRssKb: 0,
  };

  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");

  // execa (ESM) imports spawn from node:child_process: patched here before it loads, and synced to
  // the ESM view of the builtin.
  const spawn = childProcess.spawn;
  childProcess.spawn = function countedSpawn(this: unknown, ...spawnArgs: unknown[]) {
    const [file, args] = spawnArgs as [string, unknown];
    const kind = spawnKind(file, Array.isArray(args) ? (args as string[]) : []);
    const entry = (counts.spawns[kind] ??= { count: 0, ms: 0, blockingMs: 0 });
    entry.count += 1;
    const start = performance.now();
    const child = (spawn as (...a: unknown[]) => childProcess.ChildProcess).apply(this, spawnArgs);
    entry.blockingMs += performance.now() - start;
    child.once("exit", () => (entry.ms += performance.now() - start));
    return child;
  } as typeof childProcess.spawn;
  syncBuiltinESMExports();

  let inFlight = 0;
  let waitStart = 0;
  const waitOpen = () => {
    if (inFlight++ === 0) waitStart = performance.now();
    counts.maxCallsInFlight = Math.max(counts.maxCallsInFlight, inFlight);
  };
  const waitClose = () => {
    if (--inFlight === 0) counts.hostWaitMs += performance.now() - waitStart;
  };
  type Run = (this: unknown, commands: unknown[]) => Promise<unknown>;
  const wrapRunner = (proto: { run: Run }, kind: "local" | "ssh") => {
    const run = proto.run;
    proto.run = function countedRun(commands) {
      counts.runnerCalls[kind] += 1;
      counts.runnerCalls.commands += commands.length;
      const shape = (commands as { argv: string[] }[]).map(({ argv: [file = "", ...args] }) => spawnKind(file, args)).join(" + ");
      const entry = (counts.callShapes[shape] ??= { count: 0, ms: 0 });
      entry.count += 1;
      const start = performance.now();
      waitOpen();
      return run.call(this, commands).finally(() => {
        entry.ms += performance.now() - start;
        waitClose();
      });
    };
  };
  const wrapShell = (proto: { run: (this: unknown, groups: unknown[][], timeoutMs: number) => Promise<unknown> }) => {
    const run = proto.run;
    proto.run = function countedRequest(groups, timeoutMs) {
      counts.shellRequests.requests += 1;
      counts.shellRequests.groups += groups.length;
      counts.shellRequests.commands += groups.reduce((sum, group) => sum + group.length, 0);
      const start = performance.now();
      return run.call(this, groups, timeoutMs).finally(() => (counts.shellRequests.ms += performance.now() - start));
    };
  };
  // The package's runner classes, found by what their modules export as they load.
  const patched = new WeakSet<object>();
  const moduleInternals = Module as unknown as { _load: (...a: unknown[]) => unknown };
  const load = moduleInternals._load;
  moduleInternals._load = function countingLoad(this: unknown, ...loadArgs: unknown[]) {
    const exported = load.apply(this, loadArgs) as Record<string, { prototype?: { run?: Run } } | undefined> | undefined;
    if (exported && typeof exported === "object" && !patched.has(exported)) {
      patched.add(exported);
      if (exported.LocalRunner?.prototype?.run) wrapRunner(exported.LocalRunner.prototype as { run: Run }, "local");
      if (exported.SshRunner?.prototype?.run) wrapRunner(exported.SshRunner.prototype as { run: Run }, "ssh");
      // The pool's shell class (RemoteShell before the local runner shared it).
      const shell = exported.Shell ?? exported.RemoteShell;
      if (shell?.prototype?.run) wrapShell(shell.prototype as Parameters<typeof wrapShell>[0]);
    }
    return exported;
  };

  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    counts.lifetimeMs = performance.now() - started;
    counts.maxRssKb = process.resourceUsage().maxRSS;
    // An in-process inspector session answers synchronously: this works inside an exit handler.
    session.post("Profiler.stop", (error, result) => {
      if (!error) writeFileSync(path.join(outDir, `provider-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
    writeFileSync(path.join(outDir, `provider-${process.pid}.counts.json`), JSON.stringify(counts));
  };
  process.on("exit", write);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      write();
      process.exit(0);
    });
  }
}

if (dir !== undefined && isProvider) install(dir);
