// state/'s one error: each reader's failure is a ReadError whose kind `classify` read from what the
// command said (or "failed" for output it cannot read), and which the lifecycle names in the resource's
// context (test/unit/resources/lifecycleReadError.test.ts).
import { describe, expect, it } from "vitest";
import { Iproute2Error } from "../../../provider/exec/errors";
import type { CommandResult } from "../../../provider/exec/runner";
import { partsFromResult } from "../../../provider/state/bootPart";
import { parseJsonLines } from "../../../provider/state/ipJson";
import { namespaceLinksFromResults } from "../../../provider/state/namespaceLinks";
import { parseNamespaceList, parseNamespaceRead } from "../../../provider/state/namespaceScan";
import { netnsFromResults } from "../../../provider/state/netns";
import { linkFromResults } from "../../../provider/state/oneLink";
import { ReadError } from "../../../provider/state/readError";
import { parseDevNumbers, parseNodeStat } from "../../../provider/state/tapNode";
import { z } from "zod";

const failed = (stderr: string, exitCode = 1): CommandResult => ({ command: { argv: ["ip"] }, exitCode, stdout: "", stderr });
const printed = (stdout: string): CommandResult => ({ command: { argv: ["ip"] }, exitCode: 0, stdout, stderr: "" });

/** What `read` threw, which must be a ReadError. */
function readError(read: () => unknown): ReadError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ReadError);
    return error as ReadError;
  }
  throw new Error("the read did not fail");
}

const notPermitted = 'setting the network namespace "ns1" failed: Operation not permitted';

describe("a reader's failure", () => {
  it.each([
    { reader: "a namespace", read: () => netnsFromResults([failed(notPermitted)], "ns1") },
    { reader: "a link", read: () => linkFromResults([failed(notPermitted)], "mac1") },
    { reader: "a namespace's links", read: () => namespaceLinksFromResults([printed("[]"), failed(notPermitted)], "ns1") },
    { reader: "the IPv6 routes of a namespace's links", read: () => namespaceLinksFromResults([failed(notPermitted)], "ns1") },
    { reader: "the boot description", read: () => partsFromResult(failed(`sh: 1: cannot open /etc/pulumi-iproute2: Permission denied`)) },
    { reader: "the namespace list", read: () => parseNamespaceList(failed("Permission denied")) },
    { reader: "a scanned namespace", read: () => parseNamespaceRead("ns1", [failed(notPermitted)]) },
    { reader: "a macvtap's numbers", read: () => parseDevNumbers(failed("cat: /sys/class/net/tap0/macvtap/tap7/dev: Permission denied")) },
    { reader: "a macvtap's node", read: () => parseNodeStat({ ...printed("unread\n"), stderr: "stat: cannot statx '/dev/tap7': Permission denied\n" }, "/dev/tap7") },
  ])("is a ReadError of the kind the command's words say: $reader", ({ read }) => {
    expect(readError(read).kind).toBe("permission");
  });

  it("is a ReadError that failed, for output it cannot read", () => {
    expect(readError(() => parseJsonLines("1: lo: <LOOPBACK,UP>", z.array(z.unknown()), "links")).kind).toBe("failed");
    expect(readError(() => netnsFromResults([], "ns1"))).toMatchObject({ kind: "failed", message: 'reading namespace "ns1" returned nothing' });
    expect(readError(() => parseNodeStat(printed("0:0 0 0 root root 777 symbolic link\nnone\n"), "/dev/tap7")).kind).toBe("failed");
  });

  it("keeps the command's words as its message", () => {
    expect(readError(() => netnsFromResults([failed(`${notPermitted}\n`)], "ns1")).message).toBe(`reading namespace "ns1" failed: ${notPermitted}`);
  });
});

describe("ReadError.inContext", () => {
  it("is the one error shape: the verb, the object, its namespace and host, the words, the hint of its kind", () => {
    const error = new ReadError("permission", `reading link "mac1" failed: ${notPermitted}`);
    const named = error.inContext({ verb: "read", object: 'MacvlanLink "mac1"', netns: "ns1", host: "hv1" });
    expect(named).toBeInstanceOf(Iproute2Error);
    expect(named).toMatchObject({ kind: "permission", detail: error.message, cause: error });
    expect(named.message).toMatch(new RegExp(`^read MacvlanLink "mac1" in netns "ns1" on hv1: reading link "mac1" failed: ${notPermitted}\\. Managing links needs CAP_NET_ADMIN`));
  });
});
