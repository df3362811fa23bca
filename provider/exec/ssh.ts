// Runs commands on another machine with the OpenSSH client, so the user's ~/.ssh/config, agent,
// ProxyJump and known_hosts work as they do for them. One multiplexed master connection per
// (user, host, port) is shared by every resource of a deployment (this module is loaded once in the
// provider process); each operation is one session on it, running one POSIX sh script read from
// standard input. This is the only place where argv becomes text: single-quoted, for any sh.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { SshConnection } from "../model";
import { Iproute2Error } from "./errors";
import type { Command, CommandResult, Runner } from "./runner";

/** POSIX single quotes: the one quoting every sh (and csh, fish) reads the same way. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const marker = "@@pi2";

/**
 * The script one session runs: several operations' commands (each operation a group, run in a subshell
 * of its own), each command with its stdin, stdout and stderr kept apart (through files, so any bytes
 * survive), reported as `@@pi2 GROUP INDEX EXIT OUTBYTES ERRBYTES` then the two outputs. A group stops
 * after its first command that fails, as every runner does; the other groups go on.
 */
export function sessionScript(groups: Command[][], sudo: boolean): string {
  // One compound command: sh reads all of it before running any, so a script cut short in transit runs
  // nothing; and once it runs, a client that goes away (HUP, a closed pipe) does not stop it half-way.
  const lines = ["{", "trap '' HUP PIPE", 'd=$(mktemp -d) || exit 97', 'trap \'rm -rf "$d"\' EXIT'];
  groups.forEach((commands, group) => {
    lines.push("(");
    commands.forEach((command, index) => {
      const argv = (sudo ? ["sudo", "-n", "--", ...command.argv] : command.argv).map(shellQuote).join(" ");
      lines.push(
        `printf '%s' ${shellQuote(command.stdin ?? "")} | ${argv} >"$d/o" 2>"$d/e"; rc=$?`,
        `printf '${marker} ${group} ${index} %s %s %s\n' "$rc" "$(wc -c <"$d/o")" "$(wc -c <"$d/e")"; cat "$d/o" "$d/e"`,
        '[ "$rc" -eq 0 ] || exit 0',
      );
    });
    lines.push(")");
  });
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Each group's results in a session's output (bytes counted exactly, as the script wrote them). */
export function parseSessionOutput(output: Buffer, groups: Command[][]): CommandResult[][] {
  const results: CommandResult[][] = groups.map(() => []);
  let at = 0;
  while (at < output.length) {
    const newline = output.indexOf(10, at);
    const header = newline < 0 ? null : /^@@pi2 (\d+) (\d+) (\d+) +(\d+) +(\d+)$/.exec(output.subarray(at, newline).toString());
    const command = header ? groups[Number(header[1])]?.[Number(header[2])] : undefined;
    if (!header || !command) throw new Error(`unexpected output from the remote script: ${output.subarray(at, at + 200).toString()}`);
    const [outBytes, errBytes] = [Number(header[4]), Number(header[5])];
    const stdout = output.subarray(newline + 1, newline + 1 + outBytes).toString();
    const stderr = output.subarray(newline + 1 + outBytes, newline + 1 + outBytes + errBytes).toString();
    results[Number(header[1])]?.push({ command, exitCode: Number(header[3]), stdout, stderr });
    at = newline + 1 + outBytes + errBytes;
  }
  return results;
}

/** A counting semaphore: at most `limit` sessions at once on one master (sshd's MaxSessions is 10). */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(limit: number) {
    this.free = limit;
  }
  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

/** Sessions per master; below sshd's default MaxSessions of 10, leaving room for the master's own. */
const sessionsPerMaster = 8;
/** How long an idle master stays after the last session (ControlPersist). */
const persistSeconds = 30;

/** A private folder for control sockets and key files; short, for the 108-byte socket path limit. */
function privateDir(): string {
  const dir = path.join(tmpdir(), `pi2ssh-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

interface Pending {
  commands: Command[];
  resolve: (results: CommandResult[]) => void;
  reject: (error: unknown) => void;
}

/** A master, its session slots, and the operations waiting to share the next session. */
interface Master {
  ready: Promise<void>;
  slots: Slots;
  pending: Pending[];
}

const masters = new Map<string, Master>();

/**
 * How long an operation waits for others to share its session. A session costs far more than that
 * (sshd forks and runs a shell for each: about 100 ms on our test hosts), and a deployment's
 * operations on one host arrive together.
 */
const gatherMs = 5;

/** Asks every master this process started to exit (`ssh -O exit`), e.g. before the process ends. */
export async function closeSshMasters(): Promise<void> {
  const paths = [...masters.keys()];
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
          ["-M", "-N", "-f", "-o", `ControlPersist=${persistSeconds}`, ...options, "--", c.host],
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
      master = { ready: this.startMaster(), slots: new Slots(sessionsPerMaster), pending: [] };
      masters.set(this.controlPath, master);
      master.ready.catch(() => masters.delete(this.controlPath));
    }
    return master;
  }

  /** Runs `commands` in a session, with the other operations on this host that are waiting for one. */
  async run(commands: Command[]): Promise<CommandResult[]> {
    if (commands.length === 0) return [];
    const master = this.master();
    await master.ready;
    return new Promise((resolve, reject) => {
      master.pending.push({ commands, resolve, reject });
      if (master.pending.length === 1) setTimeout(() => void this.session(master), gatherMs);
    });
  }

  /** One session for every operation waiting now. */
  private async session(master: Master): Promise<void> {
    const batch = master.pending.splice(0);
    const groups = batch.map((p) => p.commands);
    try {
      const result = await master.slots.use(() =>
        execa("ssh", ["-o", "ControlMaster=no", ...this.options(), "--", this.connection.host, "sh -s"], {
          input: sessionScript(groups, this.connection.sudo),
          env: this.environment(),
          extendEnv: false,
          reject: false,
          encoding: "buffer",
          stripFinalNewline: false, // byte counts must match what the script wrote
        }),
      );
      if (result.exitCode !== 0) {
        // The master went away (sshd restarted, network gone): the next operation starts a new one.
        masters.delete(this.controlPath);
        throw new Iproute2Error(
          "interrupted",
          this.context("run commands over"),
          `the connection broke during the operation (ssh exited with ${result.exitCode}: ${Buffer.from(result.stderr).toString().trim()}); it may have run on the host in part or in full`,
          "Run `pulumi refresh` to see what the host has, then `pulumi up`",
        );
      }
      const results = parseSessionOutput(Buffer.from(result.stdout), groups);
      batch.forEach((pending, i) => pending.resolve(results[i] ?? []));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
