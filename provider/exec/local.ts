import { execa } from "execa";
import type { LocalConnection } from "../model";
import { Iproute2Error } from "./errors";
import type { Command, CommandResult, Runner } from "./runner";
import { childEnvironment } from "./runner";

/**
 * The longest one command may take before it is stopped and its operation fails as interrupted: far
 * above what any of ours takes, so only a command that hangs (a wedged netlink, a sudo waiting for a
 * terminal) hits it.
 */
const defaultCommandTimeoutMs = 120_000;

/** Runs commands on this machine: execa with argv, no shell, a minimal environment. */
export class LocalRunner implements Runner {
  readonly host = "localhost";

  constructor(
    private readonly connection: LocalConnection,
    private readonly commandTimeoutMs = defaultCommandTimeoutMs,
  ) {}

  async run(commands: Command[]): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    for (const command of commands) {
      const argv = this.connection.sudo ? ["sudo", "-n", "--", ...command.argv] : command.argv;
      const [file = "", ...args] = argv;
      const child = execa(file, args, {
        input: command.stdin ?? "",
        reject: false,
        env: childEnvironment(),
        extendEnv: false,
        stripFinalNewline: false,
      });
      // Our own timer, not execa's `timeout`: that one kills the command, then still waits for it to
      // exit, which an `ip` stuck in the kernel (D state) never does.
      let timer: NodeJS.Timeout | undefined;
      const stopped = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(
            new Iproute2Error(
              "interrupted",
              { verb: "run", object: `"${argv.join(" ")}"`, host: this.host },
              `it did not finish within ${this.commandTimeoutMs / 1000} s and was stopped; it may have run in part`,
              "Run `pulumi refresh` to see what the host has, then `pulumi up`",
            ),
          );
        }, this.commandTimeoutMs);
      });
      const result = await Promise.race([child, stopped]).finally(() => clearTimeout(timer));
      if (result.failed && result.exitCode === undefined) {
        // Not started at all (no such program): that is not a command failing on its own terms.
        throw result;
      }
      results.push({ command, exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr });
      if (result.exitCode !== 0) break;
    }
    return results;
  }
}
