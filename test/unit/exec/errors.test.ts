// classify(): what iproute2 and the kernel say -> the kind of failure. The recorded rows are real
// messages from this machine (test/fixtures/iproute2/failures.json, made by record.sh).
import { describe, expect, it } from "vitest";
import { classify, commandFailure, hintFor, Iproute2Error, missingProgram, sudoRefusal } from "../../../provider/exec/errors";
import { failuresFixture } from "../fixtures";

const recorded = failuresFixture();

describe("classify, on messages recorded from real iproute2", () => {
  it("has only failing commands in its fixture", () => {
    expect(recorded.failures.filter((f) => f.exitCode === 0).map((f) => f.what)).toStrictEqual([]);
  });

  // These include extack messages (the kernel's own text, printed instead of strerror), the ESRCH and
  // EADDRNOTAVAIL texts and iproute2's 'Error: argument "X" is wrong: Invalid "netns" value': each is
  // classified by its meaning, none falls through to "failed".
  it.each(recorded.failures.map((f) => ({ ...f, message: f.stderr.trim() })))("$what -> $kind: $message", ({ stderr, kind }) => {
    expect(classify(stderr)).toBe(kind);
  });
});

describe("classify, on messages this machine cannot produce", () => {
  it.each([
    ["sudo: a password is required", "permission"],
    ["sudo: a terminal is required to read the password; either use the -S option to read from standard input", "permission"],
    ["Sorry, user deploy is not allowed to execute '/usr/bin/stat /dev/tap9' as root on host1.", "permission"],
    ["deploy is not in the sudoers file.  This incident will be reported.", "permission"],
    ["open /run/netns/ns1: Permission denied", "permission"],
    ["RTNETLINK answers: No such device", "not-found"],
    ["RTNETLINK answers: Numerical result out of range", "invalid"],
    ["RTNETLINK answers: Value too large for defined data type", "invalid"],
    ["RTNETLINK answers: Address already in use", "invalid"],
    ["Something nobody has seen before", "failed"],
    ["", "failed"],
  ])("%s -> %s", (stderr, kind) => {
    expect(classify(stderr)).toBe(kind);
  });
});

describe("hintFor", () => {
  it.each([
    { kind: "unsupported-kind", linkKind: "macvtap", hint: 'The kernel lacks macvtap: load it with "modprobe macvtap"' },
    { kind: "unsupported-kind", linkKind: undefined, hint: 'The kernel lacks this link kind: load it with "modprobe <kind>"' },
    { kind: "permission", linkKind: undefined, hint: expect.stringContaining("CAP_NET_ADMIN") },
    { kind: "busy", linkKind: "macvlan", hint: expect.stringContaining("bridge or bond port") },
    { kind: "not-found", linkKind: "macvlan", hint: undefined },
    { kind: "failed", linkKind: undefined, hint: undefined },
  ] as const)("$kind ($linkKind)", ({ kind, linkKind, hint }) => {
    expect(hintFor(kind, linkKind)).toEqual(hint);
  });
});

describe("Iproute2Error", () => {
  it.each([
    {
      case: "in a named netns, with a hint",
      context: { verb: "create", object: 'MacvlanLink "mac0"', netns: "ns1", host: "localhost" },
      hint: "Set adopt: true",
      message: 'create MacvlanLink "mac0" in netns "ns1" on localhost: RTNETLINK answers: File exists. Set adopt: true',
    },
    {
      case: "in the host's namespace, no hint",
      context: { verb: "delete", object: 'NetNamespace "ns1"', host: "localhost" },
      hint: undefined,
      message: 'delete NetNamespace "ns1" on localhost: RTNETLINK answers: File exists',
    },
  ])("names the verb, the object, the namespace and the host: $case", ({ context, hint, message }) => {
    const cause = new Error("execa failed");
    const error = new Iproute2Error("exists", context, "RTNETLINK answers: File exists", hint, { cause });
    expect(error).toMatchObject({ name: "Iproute2Error", kind: "exists", message, cause });
  });
});

describe("sudoRefusal and commandFailure", () => {
  const context = { verb: "read", object: 'Macvtap "tap0"', netns: "lab", host: "deploy@host1" };
  const result = (argv: string[], exitCode: number, stderr: string) => ({ command: { argv }, exitCode, stdout: "", stderr });

  it.each([
    { said: "sudo: a password is required", argv: ["sh", "-c", "program"], program: "sh" },
    { said: "Sorry, user deploy is not allowed to execute '/usr/bin/cat /x' as root on host1.", argv: ["cat", "/x"], program: "cat" },
    { said: "sudo: a terminal is required to read the password; either use the -S option to read from standard input", argv: ["ip", "link"], program: "ip" },
    // sudoers with `Defaults requiretty`: the runners' shells have no terminal.
    { said: "sudo: sorry, you must have a tty to run sudo", argv: ["ip", "link"], program: "ip" },
  ])("names the command sudo refused: $program", ({ said, argv, program }) => {
    const error = commandFailure(result(argv, 1, `${said}\n`), context, "cannot read");
    expect(error).toMatchObject({ kind: "permission" });
    expect(error.message).toBe(
      `read Macvtap "tap0" in netns "lab" on deploy@host1: sudo refused to run ${program} (${said}). ` +
        "With connection.sudo, sudoers must let the connection's user run ip, bridge (a Vxlan's flood list) and sh as root without a password (NOPASSWD) and without a terminal (no requiretty); the package runs nothing else through sudo",
    );
  });

  it("is not a refusal when the command ran, or failed in words of its own", () => {
    expect(sudoRefusal(result(["sh"], 0, "sudo: a password is required\n"))).toBeUndefined();
    expect(sudoRefusal(result(["sh"], 1, "cat: /sys/class/net/tap0/macvtap/tap7/dev: No such file or directory\n"))).toBeUndefined();
    expect(commandFailure(result(["sh"], 1, "cat: x: No such file or directory"), context, "cannot read x")).toMatchObject({
      kind: "not-found",
      message: 'read Macvtap "tap0" in netns "lab" on deploy@host1: cannot read x',
    });
  });
});

describe("missingProgram", () => {
  const result = (argv: string[], exitCode: number, stderr: string) => ({ command: { argv }, exitCode, stdout: "", stderr });

  it.each([
    { shell: "dash", said: "sh: 1: ip: not found", exitCode: 127, program: "ip" },
    { shell: "bash", said: "bash: line 1: ip: command not found", exitCode: 127, program: "ip" },
    { shell: "busybox", said: "sh: ip: not found", exitCode: 127, program: "ip" },
    { shell: "mksh", said: "sh[2]: ip: not found", exitCode: 127, program: "ip" },
    { shell: "sudo", said: "sudo: ip: command not found", exitCode: 1, program: "ip" },
    { shell: "the shell, of sudo", said: "sh: 1: sudo: not found", exitCode: 127, program: "sudo" },
  ])("names the program $shell did not find", ({ said, exitCode, program }) => {
    expect(missingProgram(result(["ip", "-batch", "-"], exitCode, `${said}\n`))).toBe(program);
  });

  it.each([
    { why: "a program's own words on a later line", argv: ["sh", "-c", "x"], exitCode: 127, stderr: "starting\nsh: 1: sh: not found\n" },
    { why: "another program than the command's", argv: ["ip", "netns", "exec", "ns", "sh", "-c", "x"], exitCode: 127, stderr: "sh: 1: sh: not found\n" },
    { why: "the shell's words with another exit code", argv: ["ip"], exitCode: 1, stderr: "sh: 1: ip: not found\n" },
    { why: "a command that ran", argv: ["ip"], exitCode: 0, stderr: "sh: 1: ip: not found\n" },
  ])("takes nothing else for a missing program: $why", ({ argv, exitCode, stderr }) => {
    expect(missingProgram(result(argv, exitCode, stderr))).toBeUndefined();
  });
});
