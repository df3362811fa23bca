// The SSH runner's script: argv quoted for any POSIX sh, outputs kept apart byte for byte. Run here
// through a real `sh -s`, exactly as the remote end runs it.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseSessionOutput, sessionScript, shellQuote } from "../../../provider/exec/ssh";
import type { Command } from "../../../provider/exec/runner";

const runGroups = (groups: Command[][], sudo = false) =>
  parseSessionOutput(execFileSync("sh", ["-s"], { input: sessionScript(groups, sudo) }), groups);
const runThroughSh = (commands: Command[]) => runGroups([commands])[0] ?? [];

describe("shellQuote", () => {
  it.each(["plain", "with space", "it's", "$(reboot)", "`x`", "a\"b", "back\\slash", "new\nline", "*", "", "--"])(
    "passes %j through sh unchanged",
    (word) => {
      expect(execFileSync("sh", ["-c", `printf %s ${shellQuote(word)}`]).toString()).toBe(word);
    },
  );
});

describe("sessionScript", () => {
  it("keeps each command's stdin, stdout, stderr and exit status apart", () => {
    const results = runThroughSh([
      { argv: ["cat"], stdin: "line one\nit's $HOME\n" },
      { argv: ["sh", "-c", "printf 'out'; printf 'err\\n' >&2; exit 0"] },
      { argv: ["printf", "no newline at the end"] },
    ]);
    expect(results.map(({ exitCode, stdout, stderr }) => ({ exitCode, stdout, stderr }))).toEqual([
      { exitCode: 0, stdout: "line one\nit's $HOME\n", stderr: "" },
      { exitCode: 0, stdout: "out", stderr: "err\n" },
      { exitCode: 0, stdout: "no newline at the end", stderr: "" },
    ]);
  });

  it("stops after the first command that fails, reporting it", () => {
    const results = runThroughSh([{ argv: ["true"] }, { argv: ["sh", "-c", "echo broken >&2; exit 3"] }, { argv: ["echo", "never"] }]);
    expect(results.map((r) => r.exitCode)).toEqual([0, 3]);
    expect(results[1]?.stderr).toBe("broken\n");
  });

  it("prefixes every command with sudo -n -- when asked", () => {
    expect(sessionScript([[{ argv: ["ip", "link"] }]], true)).toContain("'sudo' '-n' '--' 'ip' 'link'");
  });

  it("refuses output it did not write", () => {
    expect(() => parseSessionOutput(Buffer.from("Welcome to the host!\n"), [[{ argv: ["true"] }]])).toThrow("unexpected output");
  });

  it("runs several operations' groups in one session; a failing group does not stop the others", () => {
    const [first, second, third] = runGroups([
      [{ argv: ["echo", "one"] }, { argv: ["false"] }, { argv: ["echo", "not run"] }],
      [{ argv: ["echo", "two"] }],
      [{ argv: ["cat"], stdin: "three" }],
    ]);
    expect(first?.map((r) => [r.exitCode, r.stdout])).toEqual([[0, "one\n"], [1, ""]]);
    expect(second?.map((r) => r.stdout)).toEqual(["two\n"]);
    expect(third?.map((r) => r.stdout)).toEqual(["three"]);
  });
});
