import { execa } from "execa";
import type { LocalConnection } from "../model";
import type { Command, CommandResult, Runner } from "./runner";
import { childEnvironment } from "./runner";

/** Runs commands on this machine: execa with argv, no shell, a minimal environment. */
export class LocalRunner implements Runner {
  readonly host = "localhost";

  constructor(private readonly connection: LocalConnection) {}

  async run(commands: Command[]): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    for (const command of commands) {
      const argv = this.connection.sudo ? ["sudo", "-n", "--", ...command.argv] : command.argv;
      const [file = "", ...args] = argv;
      const result = await execa(file, args, {
        input: command.stdin ?? "",
        reject: false,
        env: childEnvironment(),
        extendEnv: false,
        stripFinalNewline: false,
      });
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
