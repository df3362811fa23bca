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
  // Requests work in the folder (by names without white space; its own path, $TMPDIR's, may have
  // some): no command we send reads a relative path.
  // ($PWD: a relative $TMPDIR would leave the trap's path pointing at nothing once in it.)
  'cd "$d" && d=$PWD || exit 97',
  "g=$(cut -d' ' -f5 /proc/$$/stat 2>/dev/null) || g=0",
  "case $g in ''|*[!0-9]*) g=0 ;; esac",
  `printf '%s %s\\n' '${readyLine}' "$g"`,
  "",
].join("\n");

/** The line that ends a command's input written in the request (a here-document's delimiter). */
const inputEnd = `${marker}_input_end`;

/** How a command gets its input: none (/dev/null, never the shell's own: the next request), or its text. */
function withInput(argv: string, stdin: string | undefined): string {
  if (!stdin) return `${argv} </dev/null`;
  // A here-document, where the text allows one: sh (dash) writes a small one to a pipe itself, where a
  // pipe from printf is a process more. Quoted, nothing in it is expanded. Never with a NUL: sh drops
  // it while reading the request, so a line could become the delimiter and the rest run as commands.
  const lines = stdin.split("\n");
  if (stdin.endsWith("\n") && !stdin.includes("\0") && !lines.includes(inputEnd)) return `${argv} <<'${inputEnd}'\n${stdin}${inputEnd}`;
  return `printf '%s' ${shellQuote(stdin)} | ${argv}`;
}

/**
 * One request: several operations' commands, each operation a group run at once with the others (the
 * first in the shell itself, each other in a background subshell). Each command's stdin, stdout and
 * stderr are kept apart (through files, so any bytes survive). A group stops after its first command
 * that fails, as every runner does; the other groups go on. Once all are done, the response: a line
 * `@@pi2 GROUP INDEX EXIT OUTBYTES ERRBYTES` for each command that ran, in order, then `@@pi2 data`,
 * then every command's stdout and stderr in that order, then `@@pi2 done`.
 * Processes are what a command costs here (about 5 ms each on a small VM; a local deployment runs
 * thousands): a request starts one per group beyond the first, and two beyond its commands, one `wc`
 * counting every output and one `cat` sending them all, whatever the number of commands; files are
 * overwritten by the next request rather than removed (the folder goes when the shell exits).
 */
export function requestScript(groups: Command[][]): string {
  const numbers = groups.map((_, group) => group).join(" ");
  // Each group's list of what ran is emptied before any group starts: a group that dies before its
  // first line (killed, out of processes) then reports nothing, never the last request's lines.
  const lines = ["{", groups.map((_, group) => `: >${group}.s`).join("; ")];
  groups.forEach((commands, group) => {
    lines.push(`pi2_group${group}() {`);
    commands.forEach((command, index) => {
      const run = withInput(`${command.argv.map(shellQuote).join(" ")} >${group}.${index}.o 2>${group}.${index}.e`, command.stdin);
      lines.push(run, "rc=$?", `echo "${index} $rc" >>${group}.s`, '[ "$rc" -eq 0 ] || return 0');
    });
    lines.push("}");
  });
  groups.slice(1).forEach((_, i) => lines.push(`pi2_group${i + 1} &`));
  // The report: the outputs' names in order, their sizes in one `wc -c` ("N NAME" per file, then a
  // total, which is not read), the header lines, then the outputs in one `cat`. Both read /dev/null:
  // with no names (every group died), they must not read the shell's input, the next request.
  lines.push(
    groups.length > 0 ? "pi2_group0" : ":",
    "wait",
    "names=",
    `for g in ${numbers}; do`,
    '  while read -r i rc; do names="$names $g.$i.o $g.$i.e"; done <"$g.s"',
    "done",
    "wc -c $names </dev/null >sizes",
    "exec 3<sizes",
    `for g in ${numbers}; do`,
    "  while read -r i rc; do",
    "    read -r out _ <&3; read -r err _ <&3",
    `    printf '${marker} %s %s %s %s %s\\n' "$g" "$i" "$rc" "$out" "$err"`,
    '  done <"$g.s"',
    "done",
    "exec 3<&-",
    `printf '%s\\n' '${marker} data'`,
    "cat $names </dev/null",
    `printf '%s\\n' '${marker} done'`,
    "}",
    "",
  );
  return `${lines.join("\n")}\n`;
}

/** The shell's answer is not what the request's script writes: a shell that cannot be trusted any more. */
export class UnreadableResponse extends Error {}

/** A shell's standard output as it arrives, taken apart into the ready line and responses. */
export class ShellOutput {
  private chunks: Buffer[] = [];
  private length = 0;
  /** How many bytes the response being read needs in all, once its headers are read: none is looked at before. */
  private needed = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** What has arrived, as one buffer: joined only when read, so a response of many chunks is copied a few times, not once per chunk. */
  private get buffer(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private set buffer(rest: Buffer) {
    this.chunks = [rest];
    this.length = rest.length;
    this.needed = 0;
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
    if (this.length < this.needed) return undefined;
    const output = this.buffer;
    const headers: { group: number; command: Command; exitCode: number; outBytes: number; errBytes: number }[] = [];
    let at = 0;
    for (;;) {
      const newline = output.indexOf(10, at);
      if (newline < 0) return undefined;
      const line = output.subarray(at, newline).toString();
      at = newline + 1;
      if (line === `${marker} data`) break;
      const header = /^@@pi2 (\d+) (\d+) (\d+) (\d+) (\d+)$/.exec(line);
      const [group, index] = [Number(header?.[1]), Number(header?.[2])];
      const command = header ? groups[group]?.[index] : undefined;
      // Each group's commands in order from its first, each once: anything else is not our script's.
      const expected = headers.filter((h) => h.group === group).length;
      if (!header || !command || index !== expected) throw new UnreadableResponse("a header line out of place");
      headers.push({ group, command, exitCode: Number(header[3]), outBytes: Number(header[4]), errBytes: Number(header[5]) });
    }
    // Every group runs its first command: a group with none reported died before it (killed, or out of processes).
    const silent = groups.findIndex((_, group) => !headers.some((h) => h.group === group));
    if (silent >= 0) throw new UnreadableResponse(`operation ${silent} of the request reported nothing (its subshell ended early)`);
    const dataBytes = headers.reduce((sum, h) => sum + h.outBytes + h.errBytes, 0);
    const done = Buffer.from(`${marker} done\n`);
    if (output.length < at + dataBytes + done.length) {
      this.needed = at + dataBytes + done.length;
      return undefined;
    }
    if (!output.subarray(at + dataBytes, at + dataBytes + done.length).equals(done)) throw new UnreadableResponse("the outputs' sizes did not match");
    const results: CommandResult[][] = groups.map(() => []);
    for (const h of headers) {
      const stdout = output.subarray(at, at + h.outBytes).toString();
      const stderr = output.subarray(at + h.outBytes, at + h.outBytes + h.errBytes).toString();
      at += h.outBytes + h.errBytes;
      results[h.group]?.push({ command: h.command, exitCode: h.exitCode, stdout, stderr });
    }
    this.buffer = output.subarray(at + done.length);
    return results;
  }
}
