// classify(): what iproute2 and the kernel say -> the kind of failure. The recorded rows are real
// messages from this machine (test/fixtures/iproute2/failures.json, made by record.sh).
import { describe, expect, it } from "vitest";
import { classify, hintFor, Iproute2Error } from "../../../provider/exec/errors";
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
