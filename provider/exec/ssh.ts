// Runs commands on another machine with the OpenSSH client, so the user's ~/.ssh/config, agent,
// ProxyJump and known_hosts work as they do for them. One multiplexed master connection per
// (user, host, port) is shared by every resource of a deployment (this module is loaded once in the
// provider process); operations run in long-lived shells on it (remoteShells.ts), as the scripts of
// sshScript.ts, the only place where argv becomes text.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { SshConnection } from "../model";
import { Iproute2Error } from "./errors";
import { ShellPool, type ShellFailure } from "./remoteShells";
import type { Command, CommandResult, Runner } from "./runner";
import { shellQuote } from "./sshScript";

/**
 * Sessions per master: below sshd's default MaxSessions of 10, leaving room for others sharing the
 * master (the next command's provider, the user's own ssh). A lower MaxSessions is learnt when sshd
 * refuses a session (remoteShells.ts).
 */
const sessionsPerMaster = 8;
/** How long an idle master stays after the last session (ControlPersist). */
const persistSeconds = 30;
/**
 * Keepalives on the master, so a host that went away without closing the connection (a crash, a
 * network cut, a ProxyCommand that does not pass the close on) fails the operations waiting on it
 * within about 3 x 3 seconds, instead of leaving them waiting forever.
 */
const keepalive = ["-o", "ServerAliveInterval=3", "-o", "ServerAliveCountMax=3"];

/** A private folder for control sockets and key files; short, for the 108-byte socket path limit. */
let privateDirPath: string | undefined;
function privateDir(): string {
  if (privateDirPath === undefined) {
    privateDirPath = path.join(tmpdir(), `pi2ssh-${process.getuid?.() ?? 0}`);
    mkdirSync(privateDirPath, { recursive: true, mode: 0o700 }); // once per process, not per operation
  }
  return privateDirPath;
}

/** A master connection and the shells on it. */
interface Master {
  ready: Promise<void>;
  shells: ShellPool;
}

const masters = new Map<string, Master>();

/** How long a shell with nothing to do stays open (the master then stays ControlPersist longer). */
const shellIdleMs = 10_000;

/** Asks every master this process started to exit (`ssh -O exit`), e.g. before the process ends. */
export async function closeSshMasters(): Promise<void> {
  const paths = [...masters.keys()];
  for (const master of masters.values()) master.shells.close();
  masters.clear();
  await Promise.all(paths.map((controlPath) => execa("ssh", ["-O", "exit", "-o", `ControlPath=${controlPath}`, "unused"], { reject: false })));
}

export class SshRunner implements Runner {
  readonly host: string;
  private readonly controlPath: string;

  constructor(private readonly connection: SshConnection) {
    const { user, host, port } = connection;
    this.host = `${user ? `${user}@` : ""}${host}${port !== 22 ? `:${port}` : ""}`;
    // Everything that decides which machine answers and how it is verified: a master is shared only
    // by connections that would reach the same one (and lives ControlPersist seconds past its use).
    const { proxyJump, sshConfigFile, hostKey, knownHostsFile } = connection;
    const id = createHash("sha256")
      .update(JSON.stringify([user, host, port, proxyJump, sshConfigFile, hostKey, knownHostsFile]))
      .digest("hex")
      .slice(0, 16);
    this.controlPath = path.join(privateDir(), `${id}.sock`);
  }

  /**
   * Options for every ssh of this connection: never an unverified host key, never a prompt (but for
   * the key's passphrase, answered by our askpass program, and then only for public-key auth).
   */
  private options(askpass = false): string[] {
    const c = this.connection;
    return [
      ...(askpass ? ["-o", "BatchMode=no", "-o", "PreferredAuthentications=publickey"] : ["-o", "BatchMode=yes"]),
      "-o", "StrictHostKeyChecking=yes",
      "-o", `ConnectTimeout=${c.connectTimeoutSeconds}`,
      "-o", `ControlPath=${this.controlPath}`,
      "-p", String(c.port),
      ...(c.user ? ["-l", c.user] : []),
      ...(c.proxyJump ? ["-J", c.proxyJump] : []),
      ...(c.sshConfigFile ? ["-F", c.sshConfigFile] : []),
      ...(c.knownHostsFile ? ["-o", `UserKnownHostsFile=${c.knownHostsFile}`] : []),
    ];
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
    // A master of an earlier operation (another provider process) may still be up: use it. Starting
    // another would fail to bind the socket and leave a plain background connection behind.
    const check = await execa("ssh", ["-O", "check", "-o", `ControlPath=${this.controlPath}`, c.host], {
      reject: false,
      stdin: "ignore",
      env: this.environment(),
      extendEnv: false,
    });
    if (check.exitCode === 0) return;
    const secrets = mkdtempSync(path.join(privateDir(), "k-"));
    try {
      const extra: string[] = [];
      const env = this.environment();
      if (c.privateKey !== undefined) {
        const keyFile = path.join(secrets, "id");
        writeFileSync(keyFile, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
        extra.push("-i", keyFile, "-o", "IdentitiesOnly=yes");
        if (c.privateKeyPassphrase !== undefined) {
          // ssh reads a passphrase only from a terminal or an askpass program: ours prints a file.
          const passFile = path.join(secrets, "pass");
          const askpass = path.join(secrets, "askpass");
          writeFileSync(passFile, c.privateKeyPassphrase, { mode: 0o600 });
          writeFileSync(askpass, `#!/bin/sh\nexec cat ${shellQuote(passFile)}\n`, { mode: 0o700 });
          Object.assign(env, { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: "none" });
        }
      }
      if (c.hostKey !== undefined) {
        const knownHosts = path.join(secrets, "known_hosts");
        const name = c.port === 22 ? c.host : `[${c.host}]:${c.port}`;
        writeFileSync(knownHosts, `${name} ${c.hostKey}\n`, { mode: 0o600 });
        extra.push("-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null");
      }
      // ssh takes the first value of an option: ours (a pinned host key) before the general ones.
      const options = [...extra, ...this.options(c.privateKeyPassphrase !== undefined && c.privateKey !== undefined)];
      for (let attempt = 0; ; attempt++) {
        const result = await execa(
          "ssh",
          ["-M", "-N", "-f", "-o", `ControlPersist=${persistSeconds}`, ...keepalive, ...options, "--", c.host],
          { env, extendEnv: false, reject: false, stdin: "ignore", timeout: (c.connectTimeoutSeconds + 5) * 1000 },
        );
        if (result.exitCode === 0) return;
        const message = String(result.stderr).trim() || (result.message ?? `exit code ${result.exitCode}`);
        const hostKeyProblem = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(message);
        if (hostKeyProblem) {
          throw new Iproute2Error(
            "unreachable",
            this.context("connect to"),
            `the host key of ${c.host} could not be verified: ${message}`,
            `Pin it with connection.hostKey (the line from "ssh-keyscan -p ${c.port} ${c.host}", checked out of band), or add it to your known_hosts`,
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
      rmSync(secrets, { recursive: true, force: true });
    }
  }

  /** The shared master of this target: started once, by the first operation to need it. */
  private master(): Master {
    let master = masters.get(this.controlPath);
    if (!master) {
      const spawn = () =>
        execa("ssh", ["-o", "ControlMaster=no", ...this.options(), "--", this.connection.host, "sh -s"], {
          env: this.environment(),
          extendEnv: false,
          reject: false,
          buffer: false,
          stdin: "pipe",
        });
      const shells = new ShellPool(spawn, sessionsPerMaster, shellIdleMs, (failure) => this.failure(failure));
      master = { ready: this.startMaster(), shells };
      masters.set(this.controlPath, master);
      master.ready.catch(() => masters.delete(this.controlPath));
    }
    return master;
  }

  /** The error an operation gets when its shell fails: whether anything ran decides its kind. */
  private failure(failure: ShellFailure): Iproute2Error {
    // The master may have gone (sshd restarted, network gone): the next operation starts a new one.
    masters.delete(this.controlPath);
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
    await master.ready;
    // A master serves every connection to its machine, with or without sudo: that is per command.
    const sudo = (argv: string[]) => (this.connection.sudo ? ["sudo", "-n", "--", ...argv] : argv);
    const results = await master.shells.run(commands.map((command) => ({ ...command, argv: sudo(command.argv) })));
    return results.map((result, i) => ({ ...result, command: commands[i] ?? result.command }));
  }
}
