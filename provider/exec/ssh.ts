// Runs commands on another machine with the OpenSSH client, so the user's ~/.ssh/config, agent,
// ProxyJump and known_hosts work as they do for them. One multiplexed master connection per
// (user, host, port) is shared by every resource of a deployment (this module is loaded once in the
// provider process); operations run in long-lived shells on it (shellPool.ts), as the scripts of
// shellScript.ts, the only place where argv becomes text (local.ts runs the same shells here).
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { hostLabel } from "../labels";
import { jumpHost, type SshConnection } from "../model";
import { Iproute2Error } from "./errors";
import { startKeyAgent, type KeyAgent } from "./keyAgent";
import { choosePrivateFolder } from "./privateFolder";
import { pinnedKeyOptions } from "./openssh";
import { processExists } from "./processes";
import { ShellPool, type ShellFailure } from "./shellPool";
import { claimLock, LockBusy } from "./socketLock";
import { shellQuote } from "./shellScript";
import { machineGatherings, type Gatherings } from "./gathered";
import { runAs, type Command, type CommandResult, type Runner } from "./runner";

/**
 * Sessions per master: below sshd's default MaxSessions of 10, leaving room for others sharing the
 * master (the next command's provider, the user's own ssh). A lower MaxSessions is learnt when sshd
 * refuses a session (shellPool.ts).
 */
const sessionsPerMaster = 8;
/**
 * Keepalives on the master, so a host that went away without closing the connection (a crash, a
 * network cut, a ProxyCommand that does not pass the close on) fails the operations waiting on it
 * within about 3 x 3 seconds, instead of leaving them waiting forever.
 */
const keepalive = ["-o", "ServerAliveInterval=3", "-o", "ServerAliveCountMax=3"];

/** How long `ssh -O check` and `ssh -O exit` may take: they only talk to a local socket. */
const controlTimeoutMs = 5_000;

/**
 * The private folder of control sockets and the masters' setup (privateFolder.ts), chosen at first
 * use; a folder left there by a master's setup killed midway is removed then.
 */
let privateDirPath: string | undefined;
export function privateDir(): string {
  if (privateDirPath !== undefined) return privateDirPath;
  const dir = choosePrivateFolder({
    uid: process.getuid?.() ?? 0,
    runDir: "/run",
    runtimeDir: process.env.XDG_RUNTIME_DIR,
    tmpDir: tmpdir(),
    warn: (line) => console.error(line),
  });
  privateDirPath = dir;
  sweepSetupLeftovers(dir);
  return dir;
}

/**
 * A master's setup folder (`k-<pid>-...`) holds nothing secret, but one whose process was killed mid-
 * setup is left behind: the first use in a process removes those of processes that are gone.
 */
function sweepSetupLeftovers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(/^k-(\d+)-/.exec(name)?.[1]);
    if (pid > 0 && !processExists(pid)) rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}


/** A master connection and the shells on it. */
interface Master {
  shells: ShellPool;
  /** The check (and, if need be, start) of the master under way: one at a time per master. */
  ensuring?: Promise<void>;
}

const masters = new Map<string, Master>();

/** How long an SshRunner's waits on its sessions are (tests make them short). */
export interface SshWaits {
  /**
   * The longest one request may take before its operation fails as interrupted (it may have run): by
   * default far above what any of ours takes (seconds), so only a host or connection that stopped
   * answering hits it.
   */
  requestTimeoutMs: number;
  /** How long a session may take to open (a login that hangs on the host); default connectTimeoutSeconds + 10 s. */
  sessionOpenTimeoutMs?: number;
  /** How long a shell with nothing to do stays open (the master then stays persistSeconds longer); default 10 s. */
  shellIdleMs?: number;
  /**
   * How long an idle master stays after its last session (ControlPersist); default 30 s, so the steps
   * of one deployment share it and a pause (a VM booting, an approval) starts a verified one again.
   */
  persistSeconds?: number;
}
const defaultWaits: SshWaits = { requestTimeoutMs: 120_000 };
const defaultShellIdleMs = 10_000;
const defaultPersistSeconds = 30;

/** The masters this process started (their control paths): the others are not this process's to end. */
const startedHere = new Set<string>();

/**
 * Ends what this process has open, e.g. before it exits: its shells, and the masters it started. Those
 * are told to stop listening (`ssh -O stop`), not to exit: another process (a deployment running beside
 * `scan`) may have found the master and be running a request on it, which goes on to its end; the
 * master exits once its sessions have, and that process starts one of its own for its next session.
 * A master this process did not start is left alone (it ends ControlPersist seconds after its last use).
 */
export async function closeSshMasters(): Promise<void> {
  for (const master of masters.values()) master.shells.close();
  masters.clear();
  const ours = [...startedHere];
  startedHere.clear();
  await Promise.all(
    ours.map((controlPath) =>
      execa("ssh", ["-F", "/dev/null", "-O", "stop", "-o", `ControlPath=${controlPath}`, "unused"], {
        reject: false,
        stdin: "ignore",
        timeout: controlTimeoutMs,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" },
        extendEnv: false,
      }),
    ),
  );
}

export class SshRunner implements Runner {
  readonly host: string;
  readonly machine: string;
  readonly gatherings: Gatherings;
  private readonly controlPath: string;

  constructor(
    private readonly connection: SshConnection,
    /** The first runner of a master sets its sessions' waits. */
    private readonly waits: SshWaits = defaultWaits,
    /** Default: its machine's, which every runner of the same `machine` shares. */
    gatherings?: Gatherings,
  ) {
    const { user, host, port } = connection;
    this.host = hostLabel(connection);
    // Everything that decides which machine answers and how it is verified: a master is shared only
    // by connections that would reach the same one (and lives ControlPersist seconds past its use).
    // The credentials too: a master is authenticated, and another stack's key must not ride on it.
    const { proxyJump, proxyJumpHostKey, sshConfigFile, hostKey, knownHostsFile, privateKey, agentSocket } = connection;
    const id = createHash("sha256")
      .update(JSON.stringify([user, host, port, proxyJump, proxyJumpHostKey, sshConfigFile, hostKey, knownHostsFile, privateKey, agentSocket]))
      .digest("hex")
      .slice(0, 16);
    this.controlPath = path.join(privateDir(), `${id}.sock`);
    this.machine = `ssh:${id}:${connection.sudo ? "sudo" : "user"}`;
    this.gatherings = gatherings ?? machineGatherings(this.machine);
  }

  /**
   * The hop through proxyJump, hardened like the target. ssh's own -J starts the jump's ssh with none
   * of our options: the user's agent and keys, no StrictHostKeyChecking=yes, no BatchMode (and it
   * inherits ssh's askpass). OpenSSH runs a ProxyCommand through the shell after expanding %-tokens:
   * every word here is a checked host name, number or plain path (none has a %), single-quoted.
   */
  private jumpCommand(agent: KeyAgent | undefined, jumpKnownHosts: string | undefined, jumpPinned: string[], jumpLog: string): string {
    const c = this.connection;
    const [, user, host = "", port] = jumpHost.exec(c.proxyJump ?? "") ?? [];
    const argv = [
      "ssh",
      ...(c.sshConfigFile ? ["-F", c.sshConfigFile] : []),
      "-o", "BatchMode=yes",
      "-o", "StrictHostKeyChecking=yes",
      "-o", `ConnectTimeout=${c.connectTimeoutSeconds}`,
      "-o", "ControlMaster=no",
      "-o", "ControlPath=none",
      ...(agent ? ["-o", `IdentityAgent=${agent.socket}`, "-i", agent.publicKeyFile, "-o", "IdentitiesOnly=yes"] : []),
      ...(jumpKnownHosts ? ["-o", `UserKnownHostsFile=${jumpKnownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null", ...jumpPinned] : []),
      ...(!jumpKnownHosts && c.knownHostsFile ? ["-o", `UserKnownHostsFile=${c.knownHostsFile}`] : []),
      ...(user ? ["-l", user] : []),
      ...(port ? ["-p", port] : []),
      "-W", "[%h]:%p",
      "--", host.replace(/^\[|\]$/g, ""),
    ];
    // With ControlPersist, ssh sends a ProxyCommand's stderr to /dev/null: keep it, to say why a hop failed.
    return `${argv.map(shellQuote).join(" ")} 2>>${shellQuote(jumpLog)}`;
  }

  /** How long one attempt at the master may take: a handshake and a login, two with a jump host. */
  private setupSeconds(): number {
    return (this.connection.connectTimeoutSeconds + 5) * (this.connection.proxyJump ? 2 : 1);
  }

  /** Options of the master: never an unverified host key, never a prompt. */
  private options(jump?: string): string[] {
    const c = this.connection;
    return [
      "-o", "BatchMode=yes",
      "-o", "StrictHostKeyChecking=yes",
      "-o", `ConnectTimeout=${c.connectTimeoutSeconds}`,
      "-o", `ControlPath=${this.controlPath}`,
      "-p", String(c.port),
      ...(c.user ? ["-l", c.user] : []),
      ...(jump ? ["-o", `ProxyCommand=${jump}`] : []),
      ...(c.sshConfigFile ? ["-F", c.sshConfigFile] : []),
      ...(c.knownHostsFile ? ["-o", `UserKnownHostsFile=${c.knownHostsFile}`] : []),
    ];
  }

  /**
   * Options for an ssh that only talks to our master (a session, a control command): it reads no
   * config, and if the master is not there it cannot connect by itself, which it would otherwise do
   * quietly, without the stack's key, pinned host key or known_hosts. Its "own connection" is a
   * ProxyCommand that fails at once, so nothing leaves this machine, and it has no key, agent or known
   * host to use anyway.
   */
  private throughMasterOnly(): string[] {
    return [
      "-F", "/dev/null",
      "-o", "ControlMaster=no",
      "-o", `ControlPath=${this.controlPath}`,
      "-o", "ProxyCommand=false",
      "-o", "BatchMode=yes",
      "-o", "StrictHostKeyChecking=yes",
      "-o", "UserKnownHostsFile=/dev/null",
      "-o", "GlobalKnownHostsFile=/dev/null",
      "-o", "IdentityAgent=none",
      "-o", "IdentitiesOnly=yes",
      "-o", "ConnectTimeout=1",
    ];
  }

  /** Whether our master answers on its control socket (bounded: a socket that never answers is dead). */
  private async masterAnswers(): Promise<boolean> {
    const check = await execa("ssh", [...this.throughMasterOnly(), "-O", "check", "--", this.connection.host], {
      reject: false,
      stdin: "ignore",
      env: this.environment(),
      extendEnv: false,
      timeout: controlTimeoutMs,
    });
    return check.exitCode === 0;
  }

  /**
   * Makes sure the master is up before a session is opened on it: a pause in a deployment (a VM
   * booting, an approval) outlasts ControlPersist, and a master can be killed. One that is gone is
   * started again, with the same verification; its socket, left behind by a master killed with -9,
   * is removed first (ssh would otherwise start no master on it, only a plain connection).
   */
  private ensureMaster(master: Master): Promise<void> {
    master.ensuring ??= (async () => {
      try {
        if (await this.masterAnswers()) return;
        // Another provider process (a second stack, the next command) may be starting the same master:
        // one at a time, or one would remove the other's socket, or start a master ssh cannot bind.
        const release = await this.claimSocket();
        try {
          if (await this.masterAnswers()) return;
          rmSync(this.controlPath, { force: true });
          await this.startMaster();
        } finally {
          release();
        }
        if (!(await this.masterAnswers())) {
          throw new Iproute2Error("unreachable", this.context("connect to"), "ssh connected, but no master answers on its control socket");
        }
      } finally {
        master.ensuring = undefined;
      }
    })();
    return master.ensuring;
  }

  /** A lock file beside the socket (in the private folder), held while the master is (re)started. */
  private async claimSocket(): Promise<() => void> {
    const deadline = Date.now() + this.setupSeconds() * (this.connection.connectRetries + 1) * 1000;
    try {
      return await claimLock(`${this.controlPath}.lock`, { deadline });
    } catch (error) {
      if (!(error instanceof LockBusy)) throw error;
      throw new Iproute2Error("unreachable", this.context("connect to"), `another process (${error.holder}) has been starting this connection for too long`);
    }
  }

  /** The child environment: ours minimal, plus what ssh needs to find config and agent. */
  private environment(): Record<string, string> {
    const agent = this.connection.agentSocket ?? process.env.SSH_AUTH_SOCK;
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      LC_ALL: "C",
      ...(process.env.HOME !== undefined && { HOME: process.env.HOME }),
      ...(agent !== undefined && { SSH_AUTH_SOCK: agent }),
    };
  }

  private context(verb: string) {
    return { verb, object: "the SSH connection", host: this.host };
  }

  /**
   * Starts the master connection, retrying only this (a command never runs twice), with a log line per
   * retry. The key and the pinned host key go to private files that live only until it is up.
   */
  private async startMaster(): Promise<void> {
    const c = this.connection;
    // The master's own files: the agent's socket, the key's public half, a pinned host key. Nothing
    // secret is written: the key lives in a private agent (keyAgent.ts) only while this runs.
    const setup = mkdtempSync(path.join(privateDir(), `k-${process.pid}-`));
    let agent: KeyAgent | undefined;
    try {
      const extra: string[] = [];
      const env = this.environment();
      if (c.privateKey !== undefined) {
        agent = await startKeyAgent({
          dir: setup,
          privateKey: c.privateKey,
          passphrase: c.privateKeyPassphrase,
          env,
          context: this.context("connect to"),
          lifetimeSeconds: this.setupSeconds() * (c.connectRetries + 1) + 60,
        });
        extra.push("-o", `IdentityAgent=${agent.socket}`, "-i", agent.publicKeyFile, "-o", "IdentitiesOnly=yes");
      }
      if (c.hostKey !== undefined) {
        const knownHosts = path.join(setup, "known_hosts");
        const name = c.port === 22 ? c.host : `[${c.host}]:${c.port}`;
        writeFileSync(knownHosts, `${name} ${c.hostKey}\n`, { mode: 0o600, flag: "wx" });
        extra.push("-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null", ...(await pinnedKeyOptions(env)));
      }
      let jumpKnownHosts: string | undefined;
      if (c.proxyJump !== undefined && c.proxyJumpHostKey !== undefined) {
        jumpKnownHosts = path.join(setup, "jump_known_hosts");
        const [, , host = "", port] = jumpHost.exec(c.proxyJump) ?? [];
        writeFileSync(jumpKnownHosts, `${port && port !== "22" ? `[${host.replace(/^\[|\]$/g, "")}]:${port}` : host.replace(/^\[|\]$/g, "")} ${c.proxyJumpHostKey}\n`, { mode: 0o600, flag: "wx" });
      }
      const jumpLog = path.join(setup, "jump.log");
      const jumpPinned = jumpKnownHosts !== undefined ? await pinnedKeyOptions(env) : [];
      const jump = c.proxyJump !== undefined ? this.jumpCommand(agent, jumpKnownHosts, jumpPinned, jumpLog) : undefined;
      // ssh takes the first value of an option: ours (a pinned host key) before the general ones.
      const options = [...extra, ...this.options(jump)];
      for (let attempt = 0; ; attempt++) {
        const result = await execa(
          "ssh",
          ["-M", "-N", "-f", "-o", `ControlPersist=${this.waits.persistSeconds ?? defaultPersistSeconds}`, ...keepalive, ...options, "--", c.host],
          { env, extendEnv: false, reject: false, stdin: "ignore", timeout: this.setupSeconds() * 1000 },
        );
        if (result.exitCode === 0) {
          startedHere.add(this.controlPath);
          return;
        }
        const jumpSaid = jump !== undefined ? readFileSync(jumpLog, { encoding: "utf8", flag: "a+" }).trim() : "";
        if (jump !== undefined) writeFileSync(jumpLog, ""); // each attempt says its own
        const message = [jumpSaid && `jump host ${c.proxyJump}: ${jumpSaid}`, String(result.stderr).trim()].filter(Boolean).join("; ") || (result.message ?? `exit code ${result.exitCode}`);
        const hostKeyProblem = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(message);
        if (hostKeyProblem) {
          throw new Iproute2Error(
            "unreachable",
            this.context("connect to"),
            `the host key of ${c.host}${c.proxyJump ? ` or of the jump host ${c.proxyJump}` : ""} could not be verified: ${message}`,
            `Pin it with connection.hostKey (the line from "ssh-keyscan -p ${c.port} ${c.host}", checked out of band)${c.proxyJump ? ", the jump host's with connection.proxyJumpHostKey," : ""} or add it to your known_hosts`,
          );
        }
        const refused = /Permission denied|a password is required/i.test(message);
        if (refused || attempt >= c.connectRetries) {
          throw new Iproute2Error(
            refused ? "permission" : "unreachable",
            this.context("connect to"),
            `ssh failed${attempt > 0 ? ` after ${attempt + 1} attempts` : ""}: ${message}`,
            refused ? "Check connection.user and the key (privateKey, agent)" : undefined,
          );
        }
        console.error(`pulumi-iproute2: connecting to ${this.host} failed (${message}); retry ${attempt + 1} of ${c.connectRetries}`);
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    } finally {
      agent?.stop();
      rmSync(setup, { recursive: true, force: true });
    }
  }

  /** The shared master of this target and its shells; the master is (re)started when a shell opens. */
  private master(): Master {
    let master = masters.get(this.controlPath);
    if (!master) {
      const spawn = () =>
        execa("ssh", [...this.throughMasterOnly(), "--", this.connection.host, "sh -s"], {
          env: this.environment(),
          extendEnv: false,
          reject: false,
          buffer: false,
          stdin: "pipe",
        });
      const created: Master = {
        shells: new ShellPool({
          prepare: () => this.ensureMaster(created),
          spawn,
          limit: sessionsPerMaster,
          idleMs: this.waits.shellIdleMs ?? defaultShellIdleMs,
          requestTimeoutMs: this.waits.requestTimeoutMs,
          // A login that hangs on the host (a stuck home, a profile script) must not hang the deployment.
          openTimeoutMs: this.waits.sessionOpenTimeoutMs ?? (this.connection.connectTimeoutSeconds + 10) * 1000,
          failed: (failure) => this.failure(failure),
        }),
      };
      master = created;
      masters.set(this.controlPath, master);
    }
    return master;
  }

  /** The error an operation gets when its shell fails: whether anything ran decides its kind. */
  private failure(failure: ShellFailure): Iproute2Error {
    if (failure.stage === "open") {
      return new Iproute2Error("unreachable", this.context("open a session on"), `ssh could not open a session: ${failure.detail}`);
    }
    return new Iproute2Error(
      "interrupted",
      this.context("run commands over"),
      `the connection broke during the operation (${failure.detail}); it may have run on the host in part or in full`,
      "Run `pulumi refresh` to see what the host has, then `pulumi up`",
    );
  }

  /** Runs `commands` in one of the master's shells, with whatever else waits for one. */
  async run(commands: Command[]): Promise<CommandResult[]> {
    if (commands.length === 0) return [];
    const master = this.master();
    return runAs(this.connection.sudo, commands, (sent) => master.shells.run(sent));
  }
}
