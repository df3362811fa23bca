// The shells' scripts (the pool's, over SSH and here): argv quoted for any POSIX sh, outputs kept apart
// byte for byte. Run through a real `sh -s`, as both runners run them.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { requestScript, shellPrelude, ShellOutput, shellQuote, UnreadableResponse } from "../../../provider/exec/shellScript";
import type { Command } from "../../../provider/exec/runner";

/** One shell's whole conversation: the prelude, then `requests`, each answered in turn. */
/** The requests' responses from one shell: sh (dash here), or another POSIX shell a host may have as sh. */
function converse(requests: Command[][][], { chatter = "", shell = ["sh", "-s"] } = {}) {
  const input = shellPrelude + requests.map((groups) => requestScript(groups)).join("");
  const output = new ShellOutput();
  output.push(Buffer.concat([Buffer.from(chatter), execFileSync(shell[0] ?? "sh", shell.slice(1), { input })]));
  expect(output.takeReady()).toBeGreaterThan(0);
  return requests.map((groups) => output.takeResponse(groups));
}
const runGroups = (groups: Command[][]) => converse([groups])[0] ?? [];
const runThroughSh = (commands: Command[]) => runGroups([commands])[0] ?? [];

describe("shellQuote", () => {
  it.each(["plain", "with space", "it's", "$(reboot)", "`x`", "a\"b", "back\\slash", "new\nline", "*", "", "--"])(
    "passes %j through sh unchanged",
    (word) => {
      expect(execFileSync("sh", ["-c", `printf %s ${shellQuote(word)}`]).toString()).toBe(word);
    },
  );
});

describe("requestScript", () => {
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

  it("runs several operations' groups at once; a failing group does not stop the others", () => {
    const [first, second, third] = runGroups([
      [{ argv: ["echo", "one"] }, { argv: ["false"] }, { argv: ["echo", "not run"] }],
      [{ argv: ["sh", "-c", "sleep 0.2; echo two"] }],
      [{ argv: ["cat"], stdin: "three" }],
    ]);
    expect(first?.map((r) => [r.exitCode, r.stdout])).toEqual([[0, "one\n"], [1, ""]]);
    expect(second?.map((r) => r.stdout)).toEqual(["two\n"]);
    expect(third?.map((r) => r.stdout)).toEqual(["three"]);
  });

  it("fails a request whose operation died before reporting, never with the last request's results, and answers the next", () => {
    // The operation's subshell is killed before it writes its first line (as the OOM killer, or a
    // fork refused, would end it). The request before left its lines and files in the same folder.
    // (The first operation runs in the shell itself: its death is the shell's, which the pool sees.)
    const dies: Command[][] = [[{ argv: ["echo", "alive"] }], [{ argv: ["sh", "-c", "kill -KILL $PPID"] }]];
    const input = shellPrelude + [[[{ argv: ["echo", "first"] }], [{ argv: ["echo", "first too"] }]], dies, [[{ argv: ["echo", "third"] }]]].map((groups) => requestScript(groups)).join("");
    const output = new ShellOutput();
    output.push(execFileSync("sh", ["-s"], { input }));
    expect(output.takeReady()).toBeGreaterThan(0);
    expect(output.takeResponse([[{ argv: ["echo", "first"] }], [{ argv: ["echo", "first too"] }]])?.map((g) => g[0]?.stdout)).toEqual(["first\n", "first too\n"]);
    expect(() => output.takeResponse(dies)).toThrow(/operation 1 of the request reported nothing/);
  });

  it("reads nothing of the shell's input when a request has no output to send", () => {
    // With no outputs to count or send, wc and cat would otherwise read the next request as their input.
    const input = shellPrelude + [[], [[{ argv: ["echo", "next"] }]]].map((groups) => requestScript(groups)).join("");
    const text = execFileSync("sh", ["-s"], { input }).toString();
    expect(text).toMatch(/@@pi2 0 0 0 5 0\n@@pi2 data\nnext\n@@pi2 done\n$/);
  });

  it.each([["sh"], ["bash", "--posix"]])("feeds each command its input exactly under %s, a line like the input's end included", (...shell) => {
    const inputs = ["ip lines\n", "no newline at the end", "@@pi2_input_end\nrest\n", " @@pi2_input_end\n\ttab\\\n\n", "x\n@@pi2_input_end\u0000\necho INJECTED\n"];
    const [response] = converse([[inputs.map((stdin) => ({ argv: ["od", "-An", "-c"], stdin })), [{ argv: ["echo", "other group"] }]]], { shell: [...shell, "-s"] });
    const od = (text: string) => execFileSync("od", ["-An", "-c"], { input: text.replaceAll("\u0000", "") }).toString();
    // sh cannot carry a NUL either way: it is dropped, and the rest stays input, never a command.
    expect(response?.[0]?.map((r) => r.stdout)).toEqual(inputs.map(od));
    expect(response?.[1]?.[0]?.stdout).toBe("other group\n");
  });

  it("leaves no folder behind when its TMPDIR is a relative path (it works inside the folder)", () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), "pi2-shell-"));
    try {
      mkdirSync(path.join(cwd, "relt"));
      const input = shellPrelude + requestScript([[{ argv: ["echo", "ok"] }]]);
      const output = execFileSync("sh", ["-s"], { input, cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TMPDIR: "relt" } }).toString();
      expect(output).toContain("@@pi2 data\nok\n@@pi2 done\n");
      expect(readdirSync(path.join(cwd, "relt"))).toEqual([]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("answers request after request in one shell, none reading the shell's own input", () => {
    const responses = converse([[[{ argv: ["cat"] }]], [[{ argv: ["echo", "second"] }]], [[{ argv: ["echo", "third"] }]]]);
    expect(responses.map((groups) => groups?.[0]?.[0]?.stdout)).toEqual(["", "second\n", "third\n"]);
  });
});

describe("ShellOutput", () => {
  it("reads the shell's process group from its ready line (what a request that timed out is ended by)", async () => {
    // A session's shell leads a process group of its own (sshd makes it a session leader), as here.
    const shell = spawn("sh", ["-s"], { detached: true, stdio: ["pipe", "pipe", "ignore"] });
    const output = new ShellOutput();
    const ready = new Promise<number | undefined>((resolve) =>
      shell.stdout.on("data", (chunk: Buffer) => {
        output.push(chunk);
        const group = output.takeReady();
        if (group !== undefined) resolve(group);
      }),
    );
    shell.stdin.end(shellPrelude);
    expect(await ready).toBe(shell.pid);
  });

  it("skips what a login script prints before the ready line", () => {
    const [response] = converse([[[{ argv: ["echo", "ok"] }]]], { chatter: "Welcome to the host!\n@@pi2 not yet\n" });
    expect(response?.[0]?.[0]?.stdout).toBe("ok\n");
  });

  it("waits for the whole response, however the bytes arrive", () => {
    const groups: Command[][] = [[{ argv: ["printf", "a\nb"] }, { argv: ["echo", "c"] }]];
    const whole = execFileSync("sh", ["-s"], { input: shellPrelude + requestScript(groups) });
    const output = new ShellOutput();
    const seen = [];
    for (const byte of whole) {
      output.push(Buffer.from([byte]));
      if (output.takeReady() !== undefined) seen.push("ready");
      const response = output.takeResponse(groups);
      if (response) seen.push(response[0]?.map((r) => r.stdout));
    }
    expect(seen).toEqual(["ready", ["a\nb", "c\n"]]);
  });

  it("reads a response of megabytes arriving in small chunks, then the next one", () => {
    const big: Command[][] = [[{ argv: ["head", "-c", "8000000", "/dev/zero"] }]];
    const next: Command[][] = [[{ argv: ["echo", "next"] }]];
    const whole = execFileSync("sh", ["-s"], { input: shellPrelude + requestScript(big) + requestScript(next), maxBuffer: 64 * 1024 * 1024 });
    const output = new ShellOutput();
    const seen: unknown[] = [];
    let waiting = [big, next];
    for (let at = 0; at < whole.length; at += 65536) {
      output.push(whole.subarray(at, at + 65536));
      if (output.takeReady() !== undefined) seen.push("ready");
      for (let response; waiting[0] && (response = output.takeResponse(waiting[0])); waiting = waiting.slice(1)) {
        seen.push(response[0]?.[0]?.stdout.length === 8000000 ? "8 MB" : response[0]?.[0]?.stdout);
      }
    }
    expect(seen).toEqual(["ready", "8 MB", "next\n"]);
  });

  it("refuses output it did not write", () => {
    const output = new ShellOutput();
    output.push(Buffer.from("@@pi2 ready 4242\nWelcome to the host!\n"));
    expect(output.takeReady()).toBe(4242);
    expect(() => output.takeResponse([[{ argv: ["true"] }]])).toThrow(UnreadableResponse);
  });
});
