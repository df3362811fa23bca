// What a shell of the pool (shellPool.ts) is sent and what it answers. Each shell, an SSH session's or
// a local process, runs one long-lived POSIX `sh -s` that reads requests from standard input, one at a
// time; a request is one compound command, which sh reads whole before running any of it, so a request
// cut short in transit runs nothing. This is the only place where argv becomes text: single-quoted, for
// any sh.
import type { Command, CommandResult } from "./runner";

/** POSIX single quotes, for /bin/sh (what reads our requests and ssh's ProxyCommand): nothing inside is special. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const marker = "@@pi2";
const readyLine = `${marker} ready`;

/**
 * What a shell runs first. Once it runs, a client that goes away (HUP, a closed pipe) does not stop a
 * request half-way; the shell ends when its input does. A TERM (what a request that timed out gets,
 * from another session, to its process group) ends it with its temp folder removed. The ready line
 * tells us the session is open (and marks where login scripts' chatter ends), with the shell's
 * process group on the host (0 when /proc does not say).
 */
export const shellPrelude = [
  "export LC_ALL=C", // the host's messages in the words errors.ts reads, as local commands have them
  "trap '' HUP PIPE",
  "trap 'exit 143' TERM",
  'd=$(mktemp -d) || exit 97',
  'trap \'rm -rf "$d"\' EXIT',
  "g=$(cut -d' ' -f5 /proc/$$/stat 2>/dev/null) || g=0",
  "case $g in ''|*[!0-9]*) g=0 ;; esac",
  `printf '%s %s\\n' '${readyLine}' "$g"`,
  "",
].join("\n");

/**
 * One request: several operations' commands, each operation a group run at once in a background
 * subshell of its own. Each command has its stdin, stdout and stderr kept apart (through files, so any
 * bytes survive), reported as `@@pi2 GROUP INDEX EXIT OUTBYTES ERRBYTES` then the two outputs. A group
 * stops after its first command that fails, as every runner does; the other groups go on. The groups'
 * reports are written in order once all are done, then `@@pi2 done`.
 * Every process a command costs is counted (a local deployment runs thousands): a command with no input
 * reads /dev/null (never the shell's own input, which is the next request), one `wc` counts both outputs,
 * and the files are overwritten by the next request rather than removed (the folder goes at exit).
 */
export function requestScript(groups: Command[][]): string {
  const lines = ["{"];
  groups.forEach((commands, group) => {
    const [out, err] = [`"$d/${group}.o"`, `"$d/${group}.e"`];
    lines.push("(");
    commands.forEach((command, index) => {
      const argv = command.argv.map(shellQuote).join(" ");
      const run = command.stdin ? `printf '%s' ${shellQuote(command.stdin)} | ${argv}` : `${argv} </dev/null`;
      lines.push(
        `${run} >${out} 2>${err}; rc=$?`,
        // `wc -c A B` prints "N A", "M B", "T total": the counts are the 1st and 3rd words, with the
        // files named from inside the folder (its path, $TMPDIR's, may hold white space).
        `set -- $(cd "$d" && wc -c ${group}.o ${group}.e)`,
        `printf '${marker} ${group} ${index} %s %s %s\\n' "$rc" "$1" "$3"; cat ${out} ${err}`,
        '[ "$rc" -eq 0 ] || exit 0',
      );
    });
    lines.push(`) >"$d/${group}.r" &`);
  });
  lines.push("wait", `cat ${groups.map((_, group) => `"$d/${group}.r"`).join(" ")}`, `printf '%s\\n' '${marker} done'`, "}", "");
  return lines.join("\n");
}

/** A shell's standard output as it arrives, taken apart into the ready line and responses. */
export class ShellOutput {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /**
   * The shell's process group on the host (0 if unknown) once the ready line has arrived, undefined
   * until then; anything before it (a chatty login script) is dropped.
   */
  takeReady(): number | undefined {
    const text = this.buffer.toString("latin1");
    const found = new RegExp(`(?:^|\\n)${readyLine} (\\d+)\\n`).exec(text);
    if (!found) return undefined;
    this.buffer = this.buffer.subarray(found.index + found[0].length);
    return Number(found[1]);
  }

  /**
   * Each group's results, once the whole response to `groups` has arrived (bytes counted exactly, as
   * the script wrote them); undefined until then.
   */
  takeResponse(groups: Command[][]): CommandResult[][] | undefined {
    const results: CommandResult[][] = groups.map(() => []);
    const output = this.buffer;
    let at = 0;
    for (;;) {
      const newline = output.indexOf(10, at);
      if (newline < 0) return undefined;
      const line = output.subarray(at, newline).toString();
      if (line === `${marker} done`) {
        this.buffer = output.subarray(newline + 1);
        return results;
      }
      const header = /^@@pi2 (\d+) (\d+) (\d+) +(\d+) +(\d+)$/.exec(line);
      const command = header ? groups[Number(header[1])]?.[Number(header[2])] : undefined;
      if (!header || !command) throw new Error(`unexpected output from the remote shell: ${output.subarray(at, at + 200).toString()}`);
      const [outBytes, errBytes] = [Number(header[4]), Number(header[5])];
      if (output.length < newline + 1 + outBytes + errBytes) return undefined;
      const stdout = output.subarray(newline + 1, newline + 1 + outBytes).toString();
      const stderr = output.subarray(newline + 1 + outBytes, newline + 1 + outBytes + errBytes).toString();
      results[Number(header[1])]?.push({ command, exitCode: Number(header[3]), stdout, stderr });
      at = newline + 1 + outBytes + errBytes;
    }
  }
}
