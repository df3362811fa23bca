// Runs commands on this machine in long-lived local shells (shellPool.ts), with the request framing
// the SSH runner uses (shellScript.ts): a command costs the shell a fork and an exec, not Node a spawn
// (about 14 ms each, more than the `ip` it runs, thousands per deployment). Each shell is a `sh -s`
// with a minimal environment, leading a process group of its own (a request that times out has its
// group signalled); it ends when its input does, so a provider that is killed never cuts a request
// half-way.
import { execa } from "execa";
import { hostLabel } from "../labels";
import type { LocalConnection } from "../model";
import { Iproute2Error } from "./errors";
import { machineGatherings, type Gatherings } from "./gathered";
import { childEnvironment, runAs, type Command, type CommandResult, type Runner } from "./runner";
import { ShellFailure, ShellPool } from "./shellPool";

/** How long a local runner's waits are (tests make them short). */
export interface LocalWaits {
  /**
   * The longest one request may take before its operations fail as interrupted (they may have run in
   * part): far above what any of ours takes, so only a command that hangs (a wedged netlink) hits it.
   * A request carries the operations that waited together for a shell: all of them fail with it.
   */
  requestTimeoutMs: number;
  /** How long a shell with nothing to do stays; default 10 s. */
  shellIdleMs?: number;
}
const defaultWaits: LocalWaits = { requestTimeoutMs: 120_000 };
const defaultShellIdleMs = 10_000;

/**
 * Shells at once: operations arriving while all are busy go together in the next request (each in a
 * subshell of its own), so a few shells keep up with the engine's parallelism.
 */
const shellLimit = 4;
/** How long a local `sh` may take to start: only a machine out of processes or memory takes long. */
const shellOpenTimeoutMs = 10_000;

/** The process's shells, one pool per set of waits (tests run runners with short ones beside the default). */
const pools = new Map<string, ShellPool>();

function poolFor(waits: LocalWaits): ShellPool {
  const idleMs = waits.shellIdleMs ?? defaultShellIdleMs;
  const key = `${waits.requestTimeoutMs}/${idleMs}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new ShellPool({
      prepare: async () => undefined,
      spawn: () =>
        execa("sh", ["-s"], {
          env: childEnvironment(),
          extendEnv: false,
          reject: false,
          buffer: false,
          stdin: "pipe",
          detached: true, // its own process group: the one a request that timed out has signalled
          // A shell given up gets a TERM, which it defers to the end of what it is running, then exits
          // removing its folder: never a KILL that would leave the folder (with outputs) behind.
          forceKillAfterDelay: false,
        }),
      limit: shellLimit,
      idleMs,
      requestTimeoutMs: waits.requestTimeoutMs,
      openTimeoutMs: shellOpenTimeoutMs,
      failed: (failure) => failure, // named with the operation's commands in LocalRunner.run
    });
    pools.set(key, pool);
  }
  return pool;
}

/** Ends this process's local shells (they would end at their idle timeout, or with this process). */
export function closeLocalShells(): void {
  for (const pool of pools.values()) pool.close();
  pools.clear();
}

/** Runs commands on this machine, as the provider's user or, with `sudo`, each through `sudo -n`. */
export class LocalRunner implements Runner {
  readonly host: string;
  readonly machine: string;

  readonly gatherings: Gatherings;

  constructor(
    private readonly connection: LocalConnection,
    private readonly waits: LocalWaits = defaultWaits,
    /** Default: this machine's, which every local runner with the same sudo shares. */
    gatherings?: Gatherings,
  ) {
    this.host = hostLabel(connection);
    this.machine = `local:${connection.sudo ? "sudo" : "user"}`;
    this.gatherings = gatherings ?? machineGatherings(this.machine);
  }

  async run(commands: Command[]): Promise<CommandResult[]> {
    if (commands.length === 0) return [];
    try {
      return await runAs(this.connection.sudo, commands, (sent) => poolFor(this.waits).run(sent));
    } catch (error) {
      if (!(error instanceof ShellFailure)) throw error;
      throw this.failure(error, commands);
    }
  }

  /** The error an operation gets when its shell fails: whether anything ran decides its kind. */
  private failure(failure: ShellFailure, commands: Command[]): Iproute2Error {
    const object = `"${commands.map((c) => c.argv.join(" ")).join("; ")}"`;
    if (failure.stage === "open") {
      return new Iproute2Error("failed", { verb: "start a shell to run", object, host: this.host }, `sh could not start: ${failure.detail}`);
    }
    return new Iproute2Error(
      "interrupted",
      { verb: "run", object, host: this.host },
      failure.timedOut
        ? `its request did not finish within ${this.waits.requestTimeoutMs / 1000} s and was stopped; it may have run in part`
        : `its shell ended during the operation (${failure.detail}); it may have run in part`,
      "Run `pulumi refresh` to see what the host has, then `pulumi up`",
    );
  }
}
