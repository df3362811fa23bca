import type { Gatherings } from "./gathered";

// The one interface every host operation goes through. A command is an argv array, with maybe text for
// its standard input (an `ip -batch` script, exec/ipBatch.ts; a boot part), until a runner executes it:
// both runners send it to a long-lived `sh` of their pool (shellPool.ts), its words single-quoted by
// shellScript.ts, the one place argv becomes shell text.

export interface Command {
  argv: string[];
  /** Fed to the command's standard input (an `ip -batch -` script, a boot part's text). */
  stdin?: string;
}

export interface CommandResult {
  command: Command;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Runner {
  /** The host as people name it, for messages. */
  readonly host: string;
  /**
   * Which machine answers and how: everything that decides it (for SSH: the target, the jump host,
   * the host keys and the credentials) and sudo. The label alone may name two machines (one behind
   * each of two jump hosts).
   */
  readonly machine: string;
  /**
   * The calls to its machine waiting to share a command (exec/gathered.ts): the machine's, shared by
   * every runner of that `machine` and by no other.
   */
  readonly gatherings: Gatherings;
  /**
   * Runs `commands` in order and stops after the first that exits non-zero, whose result is the last
   * one returned. All of them make one round trip to the host.
   */
  run(commands: Command[]): Promise<CommandResult[]>;
}

/**
 * `commands` run by `run` as they are or each through `sudo -n` (per command: a shell serves every
 * connection to its machine, with or without sudo), with each result naming the command as given.
 */
export async function runAs(sudo: boolean, commands: Command[], run: (commands: Command[]) => Promise<CommandResult[]>): Promise<CommandResult[]> {
  const results = await run(sudo ? commands.map((command) => ({ ...command, argv: ["sudo", "-n", "--", ...command.argv] })) : commands);
  return results.map((result, i) => ({ ...result, command: commands[i] ?? result.command }));
}

/** The environment children get: nothing of ours (Pulumi's passphrase and secrets stay out). */
export function childEnvironment(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    LC_ALL: "C", // iproute2's and the kernel's messages in the words errors.ts reads
  };
}
