// A Runner that plays a host from a script, for unit tests of the lifecycle (provider/resources/
// lifecycle.ts's HandlerContext): each command is answered by the first answer of the script that
// matches it, everything that ran is kept in order, and nothing reaches a host or a process. A command
// the script has no answer for fails the test's operation loudly rather than being guessed at.
import { Iproute2Error } from "../../provider/exec/errors";
import { Gatherings } from "../../provider/exec/gathered";
import type { Command, CommandResult, Runner } from "../../provider/exec/runner";

/** What the host answers to one command. */
export interface Reply {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

/**
 * Which commands an answer is for: a piece of their text (commandText), a pattern over it, or a test.
 */
export type Matcher = string | RegExp | ((command: Command) => boolean);

/** One line of a script. */
export interface Answer {
  when: Matcher;
  /** The reply; a function to reply from the command itself. */
  reply?: Reply | ((command: Command) => Reply);
  /** Instead of replying, the run throws this: the connection broke there (see `cutOff`). */
  throws?: unknown;
  /** How many commands it answers before it is used up; every one when unset. */
  times?: number;
}

/**
 * A command as one text to match and to read in a test's expectations: its argv, with the program a
 * `sh -c` runs shown as `<script>`, then its standard input (an `ip -batch -` script) on lines after it.
 */
export function commandText(command: Command): string {
  const argv = command.argv.map((arg, i, all) => (all[i - 1] === "-c" ? "<script>" : arg));
  return [argv.join(" "), ...(command.stdin !== undefined ? [command.stdin.trimEnd()] : [])].join("\n");
}

const matches = (when: Matcher, command: Command): boolean =>
  typeof when === "string" ? commandText(command).includes(when) : when instanceof RegExp ? when.test(commandText(command)) : when(command);

export class ScriptedRunner implements Runner {
  readonly host: string;
  readonly machine: string;
  /** Its own: reads that gather into shared batches (state/namespaceLinks.ts) never mix two tests' runners. */
  readonly gatherings = new Gatherings();
  /** Every command that reached the host (was answered or cut off), in order. */
  readonly ran: Command[] = [];
  private readonly script: { answer: Answer; left: number }[] = [];

  constructor(script: Answer[] = [], host = "scripted-host") {
    this.host = host;
    this.machine = host;
    this.answer(...script);
  }

  /** Adds answers after the script's. */
  answer(...answers: Answer[]): this {
    this.script.push(...answers.map((answer) => ({ answer, left: answer.times ?? Infinity })));
    return this;
  }

  /** Makes the next command matching `when` fail with `stderr` (as the program words it), ahead of every other answer. */
  fail(when: Matcher, stderr: string, exitCode = 1): this {
    this.script.unshift({ answer: { when, reply: { exitCode, stderr } }, left: 1 });
    return this;
  }

  /**
   * Makes the next command matching `when` break the connection, as a real runner reports it: the
   * operation is interrupted, and may have run.
   */
  cutOff(when: Matcher): this {
    const error = new Iproute2Error("interrupted", { verb: "run commands on", object: "the host", host: this.host }, "the connection broke");
    this.script.unshift({ answer: { when, throws: error }, left: 1 });
    return this;
  }

  /** The text of every command that ran (commandText), in order. */
  get texts(): string[] {
    return this.ran.map(commandText);
  }

  async run(commands: Command[]): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    for (const command of commands) {
      const line = this.script.find((l) => l.left > 0 && matches(l.answer.when, command));
      if (!line) throw new Error(`the script has no answer for: ${commandText(command)}`);
      line.left -= 1;
      this.ran.push(command);
      if (line.answer.throws !== undefined) throw line.answer.throws;
      const reply = typeof line.answer.reply === "function" ? line.answer.reply(command) : (line.answer.reply ?? {});
      const result = { command, exitCode: reply.exitCode ?? 0, stdout: reply.stdout ?? "", stderr: reply.stderr ?? "" };
      results.push(result);
      // The Runner's contract: nothing runs after a command that fails.
      if (result.exitCode !== 0) break;
    }
    return results;
  }
}
