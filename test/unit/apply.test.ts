// apply.ts against a scripted host: what it sends (argv and stdin, run by run), how it reads a failure,
// what it undoes and in which order, and what it says. The failures are real iproute2 output
// (test/fixtures/iproute2/failures.json, made by record.sh); nothing here touches the host.
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { describe, expect, it, vi } from "vitest";
import { applyDelete, applyPlan, runOn } from "../../provider/apply";
import type { CommandStep } from "../../provider/plan/steps";
import { partOperationsCommand, removePartCommand } from "../../provider/plan/bootFiles";
import { planBootPart, removePartStep } from "../../provider/plan/bootPart";
import { Iproute2Error, type ErrorContext } from "../../provider/exec/errors";
import { Gatherings } from "../../provider/exec/gathered";
import type { Command, CommandResult, Runner } from "../../provider/exec/runner";
import type { IpStep } from "../../provider/plan/steps";
import { failuresFixture, linkFixtureOf, netnsReadFixture } from "./fixtures";
import type { ReadBack } from "../../provider/state/readBack";
import { step } from "./steps";

/** What a host answers to one command. */
type Reply = Omit<CommandResult, "command">;

/** A Runner that answers from a script and keeps the commands of every run, for the test to check. */
class ScriptedRunner implements Runner {
  readonly host = "host1";
  readonly machine = "host1";
  readonly gatherings = new Gatherings();
  /** The commands of each run() call, in order. */
  readonly runs: Command[][] = [];
  private readonly replies: Reply[];

  constructor(replies: Reply[]) {
    this.replies = [...replies];
  }

  async run(commands: Command[]): Promise<CommandResult[]> {
    this.runs.push(commands);
    const results: CommandResult[] = [];
    for (const command of commands) {
      const reply = this.replies.shift();
      if (!reply) throw new Error(`the script has no reply left for: ${command.argv.join(" ")}`);
      results.push({ command, ...reply });
      if (reply.exitCode !== 0) break; // Runner's contract: nothing runs after a command that fails
    }
    return results;
  }

  get unusedReplies(): number {
    return this.replies.length;
  }
}

/** A runner that cannot run anything: it throws what a spawn or a connection would. */
class ThrowingRunner implements Runner {
  readonly host = "host1";
  readonly machine = "host1";
  readonly gatherings = new Gatherings();
  calls = 0;
  constructor(private readonly thrown: unknown) {}
  async run(): Promise<CommandResult[]> {
    this.calls += 1;
    throw this.thrown;
  }
}

function expectRuns(runner: ScriptedRunner, runs: Command[][]): void {
  expect(runner.runs).toStrictEqual(runs);
  expect(runner.unusedReplies).toBe(0);
}

/** `ip [options] [-n NETNS] -batch -` fed `lines`: the command apply sends for a group of steps. */
function batch(netns: string | undefined, lines: string[], options: string[] = []): Command {
  return { argv: ["ip", ...options, ...(netns !== undefined ? ["-n", netns] : []), "-batch", "-"], stdin: lines.map((l) => `${l}\n`).join("") };
}

const succeeded = (stdout = ""): Reply => ({ exitCode: 0, stdout, stderr: "" });

const recorded = failuresFixture();

/**
 * A recorded failure, its names replaced by this test's: the record ran in namespaces like
 * pi2fix-24538-lab on a device "nosuch", and the text is otherwise kept as iproute2 printed it.
 */
function recordedFailure(what: string, renames: Record<string, string> = {}): Reply {
  const failure = recorded.failures.find((f) => f.what === what);
  if (!failure) throw new Error(`failures.json has no record "${what}"`);
  let stderr = failure.stderr;
  for (const [from, to] of Object.entries(renames)) {
    if (!stderr.includes(from)) throw new Error(`record "${what}" does not mention ${from}: ${stderr}`);
    stderr = stderr.replaceAll(from, to);
  }
  return { exitCode: failure.exitCode, stdout: failure.stdout, stderr };
}

type FailedLine = [what: string, line: number, renames?: Record<string, string>];

/**
 * What `ip -batch` prints when lines fail as the recorded commands failed on their own: each one's
 * words, then "Command failed -:N"; the batch exits 1 (the recorded batch shows both). Several lines
 * only under -force, which runs on after a failure.
 */
function failedAt(...lines: FailedLine[]): Reply {
  const stderr = lines.map(([what, line, renames]) => `${recordedFailure(what, renames).stderr}Command failed -:${line}\n`).join("");
  return { exitCode: 1, stdout: "", stderr };
}

/** The rejection of `promise`; a test fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

const updateContext: ErrorContext = { verb: "update", object: 'MacvlanLink "mac0"', netns: "ns1", host: "host1" };
const where = 'update MacvlanLink "mac0" in netns "ns1" on host1';

describe("the replies built from records", () => {
  it("reproduce what ip -batch printed when its second line failed", () => {
    const batchRecord = recorded.failures.find((f) => f.what === "a batch whose second line fails");
    expect(batchRecord).toBeDefined();
    expect(failedAt(["link set of a missing device", 2])).toStrictEqual({
      exitCode: batchRecord?.exitCode,
      stdout: batchRecord?.stdout,
      stderr: batchRecord?.stderr,
    });
  });
});

describe("applyPlan, when every step succeeds", () => {
  it("carries the read-back lines in the last batch when it runs in the read's namespace", async () => {
    // The real read of a macvlan: its batch prints the JSON, the plan's lines before it print nothing.
    const fixture = linkFixtureOf("macvlan-bridge");
    const [readBatch, ipv6Routes] = fixture.results;
    if (!readBatch || !ipv6Routes) throw new Error("macvlan-bridge.json holds two results");
    const lab = fixture.netns;
    const steps = [
      step(lab, "link add link v0 name mvbr type macvlan mode bridge", step(lab, "link del dev mvbr")),
      step(lab, "addr add 10.61.0.2/24 dev mvbr"),
      step(lab, "link set dev mvbr up"),
    ];
    const readBack: ReadBack = { netns: lab, lines: [["addr", "show", "dev", "mvbr"], ["route", "show", "dev", "mvbr", "proto", "static"]], extra: [ipv6Routes.command] };
    const runner = new ScriptedRunner([succeeded(readBatch.stdout), succeeded(ipv6Routes.stdout)]);

    const results = await applyPlan(runner, steps, { context: updateContext, readBack });

    const merged: Command = {
      argv: ["ip", "-j", "-d", "-n", lab, "-batch", "-"],
      stdin: "link add link v0 name mvbr type macvlan mode bridge\naddr add 10.61.0.2/24 dev mvbr\nlink set dev mvbr up\naddr show dev mvbr\nroute show dev mvbr proto static\n",
    };
    expectRuns(runner, [[merged, ipv6Routes.command]]);
    expect(results).toStrictEqual([
      { command: merged, exitCode: 0, stdout: readBatch.stdout, stderr: "" },
      ipv6Routes, // as recorded: the host's answer is handed on untouched
    ]);
  });

  it("reads back in a batch of its own when the plan ends in another namespace, returning only the read's results", async () => {
    const lo = netnsReadFixture().lo_down.result.stdout;
    const steps = [step(undefined, "netns add ns1", step(undefined, "netns del ns1"))];
    const readBack: ReadBack = { netns: "ns1", lines: [["link", "show", "dev", "lo"]], extra: [] };
    const runner = new ScriptedRunner([succeeded(), succeeded(lo)]);

    const results = await applyPlan(runner, steps, { context: updateContext, readBack });

    const read = batch("ns1", ["link show dev lo"], ["-j", "-d"]);
    expectRuns(runner, [[batch(undefined, ["netns add ns1"]), read]]);
    expect(results).toStrictEqual([{ command: read, exitCode: 0, stdout: lo, stderr: "" }]);
  });

  it("reads back on its own after a plan that passes through the read's namespace but ends elsewhere", async () => {
    const steps = [step("lab", "link set dev mac0 netns ns1", step("ns1", "link set dev mac0 netns lab")), step("ns1", "link set dev mac0 up")];
    const readBack: ReadBack = { netns: "lab", lines: [["link", "show", "dev", "veth0"]], extra: [] };
    const runner = new ScriptedRunner([succeeded(), succeeded(), succeeded("[]\n")]);

    const results = await applyPlan(runner, steps, { context: updateContext, readBack });

    const read = batch("lab", ["link show dev veth0"], ["-j", "-d"]);
    expectRuns(runner, [[batch("lab", ["link set dev mac0 netns ns1"]), batch("ns1", ["link set dev mac0 up"]), read]]);
    expect(results).toStrictEqual([{ command: read, exitCode: 0, stdout: "[]\n", stderr: "" }]);
  });

  it("never merges a forced read-back, and runs its extra commands before its batch", async () => {
    const steps = [step("lab", "link set dev mac0 up", step("lab", "link set dev mac0 down"))];
    const ipv6Routes: Command = { argv: ["ip", "-j", "-6", "-n", "lab", "route", "show", "proto", "static"] };
    const readBack: ReadBack = { netns: "lab", lines: [["addr", "show", "dev", "mac0"], ["addr", "show", "dev", "mac1"]], extra: [ipv6Routes], force: true };
    const runner = new ScriptedRunner([succeeded(), succeeded("[]\n"), succeeded("[]\n[]\n")]);

    const results = await applyPlan(runner, steps, { context: updateContext, readBack });

    const forced = batch("lab", ["addr show dev mac0", "addr show dev mac1"], ["-j", "-d", "-force"]);
    expectRuns(runner, [[batch("lab", ["link set dev mac0 up"]), ipv6Routes, forced]]);
    expect(results).toStrictEqual([
      { command: ipv6Routes, exitCode: 0, stdout: "[]\n", stderr: "" },
      { command: forced, exitCode: 0, stdout: "[]\n[]\n", stderr: "" },
    ]);
  });

  it("returns nothing to parse without a read-back", async () => {
    const runner = new ScriptedRunner([succeeded()]);
    expect(await applyPlan(runner, [step("lab", "link set dev mac0 up")], { context: updateContext })).toStrictEqual([]);
    expectRuns(runner, [[batch("lab", ["link set dev mac0 up"])]]);
  });
});

// An update across two namespaces, two batches: every step has its own undo, the last one included,
// so an undo run too many, too few or out of order changes what is sent.
const updatePlan: IpStep[] = [
  step("lab", "link set dev mac0 mtu 1400", step("lab", "link set dev mac0 mtu 1500")),
  step("lab", "link set dev mac0 netns ns1", step("ns1", "link set dev mac0 netns lab")),
  step("ns1", "addr add 10.0.0.2/24 dev mac0", step("ns1", "addr del 10.0.0.2/24 dev mac0")),
  step("ns1", "link set dev mac0 up", step("ns1", "link set dev mac0 down")),
  step("ns1", "route add 10.98.0.0/16 via 192.0.2.1 dev mac0 proto static metric 0", step("ns1", "route del 10.98.0.0/16 via 192.0.2.1 dev mac0 proto static metric 0")),
];
const updateBatches = [
  batch("lab", ["link set dev mac0 mtu 1400", "link set dev mac0 netns ns1"]),
  batch("ns1", ["addr add 10.0.0.2/24 dev mac0", "link set dev mac0 up", "route add 10.98.0.0/16 via 192.0.2.1 dev mac0 proto static metric 0"]),
];
const undoInLab = batch("lab", ["link set dev mac0 mtu 1500"], ["-force"]);

describe("applyPlan, when step k of a plan over two namespaces fails", () => {
  it.each([
    {
      k: 1,
      replies: [failedAt(["macvlan mtu above the parent's", 1])],
      undoRuns: [],
      kind: "invalid",
      detail: 'step "ip -n lab link set dev mac0 mtu 1400" failed: RTNETLINK answers: Invalid argument',
    },
    {
      k: 2,
      replies: [failedAt(["rename onto a name in use", 2]), succeeded()],
      undoRuns: [[undoInLab]],
      kind: "exists",
      detail: 'step "ip -n lab link set dev mac0 netns ns1" failed: RTNETLINK answers: File exists; rolled back the 1 step(s) done before it',
    },
    {
      k: 3,
      replies: [succeeded(), failedAt(["addr add of an address already there", 1]), succeeded(), succeeded()],
      undoRuns: [[batch("ns1", ["link set dev mac0 netns lab"], ["-force"])], [undoInLab]],
      kind: "exists",
      detail: 'step "ip -n ns1 addr add 10.0.0.2/24 dev mac0" failed: Error: ipv4: Address already assigned.; rolled back the 2 step(s) done before it',
    },
    {
      k: 4,
      replies: [succeeded(), failedAt(["a macvlan on a bridge port", 2]), succeeded(), succeeded()],
      undoRuns: [[batch("ns1", ["addr del 10.0.0.2/24 dev mac0", "link set dev mac0 netns lab"], ["-force"])], [undoInLab]],
      kind: "busy",
      detail: 'step "ip -n ns1 link set dev mac0 up" failed: RTNETLINK answers: Device or resource busy; rolled back the 3 step(s) done before it',
    },
    {
      k: 5,
      replies: [succeeded(), failedAt(["route via a gateway that is not on-link", 3]), succeeded(), succeeded()],
      undoRuns: [[batch("ns1", ["link set dev mac0 down", "addr del 10.0.0.2/24 dev mac0", "link set dev mac0 netns lab"], ["-force"])], [undoInLab]],
      kind: "invalid",
      detail:
        'step "ip -n ns1 route add 10.98.0.0/16 via 192.0.2.1 dev mac0 proto static metric 0" failed: Error: Nexthop has invalid gateway.; rolled back the 4 step(s) done before it',
    },
  ])("k = $k: undoes steps k-1..1, newest first, one forced batch per namespace", async ({ replies, undoRuns, kind, detail }) => {
    const runner = new ScriptedRunner(replies);

    const error = await rejection(applyPlan(runner, updatePlan, { context: updateContext }));

    expectRuns(runner, [updateBatches, ...undoRuns]);
    expect(error).toBeInstanceOf(Iproute2Error);
    expect(error).toMatchObject({ kind, detail, message: `${where}: ${detail}` });
  });

  it("asks the hint for the failed step itself and its kind, and adds what it says", async () => {
    const hint = vi.fn((_kind: string, _step: IpStep | undefined) => "Choose another name");
    const runner = new ScriptedRunner([failedAt(["rename onto a name in use", 2]), succeeded()]);

    const error = await rejection(applyPlan(runner, updatePlan, { context: updateContext, hint }));

    expect(hint).toHaveBeenCalledTimes(1);
    expect(hint.mock.calls[0]?.[0]).toBe("exists");
    expect(hint.mock.calls[0]?.[1]).toBe(updatePlan[1]);
    expect(error).toMatchObject({ hint: "Choose another name", message: expect.stringMatching(/rolled back the 1 step\(s\) done before it\. Choose another name$/) });
  });
});

// A line whose arguments do not parse ends ip at once: exit 255, no "Command failed" line, the lines
// before it done (the recorded batch: its first line brought mvpriv up, its third never ran).
describe("applyPlan and its undo, when ip -batch stops at a line it cannot parse", () => {
  const missingMaster = recordedFailure("a batch stopped by a missing master on its second line", { nosuch: "br9" });
  const plan = [
    step("lab", "link set dev mac0 up", step("lab", "link set dev mac0 down")),
    step("lab", "link set dev mac0 master br9", step("lab", "link set dev mac0 nomaster")),
    step("lab", "link set dev mac0 mtu 1400", step("lab", "link set dev mac0 mtu 1500")),
  ];

  it("names the line the message quotes and undoes only the lines before it", async () => {
    const runner = new ScriptedRunner([missingMaster, succeeded()]);

    const error = await rejection(applyPlan(runner, plan, { context: updateContext }));

    expectRuns(runner, [[batch("lab", ["link set dev mac0 up", "link set dev mac0 master br9", "link set dev mac0 mtu 1400"])], [batch("lab", ["link set dev mac0 down"], ["-force"])]]);
    expect(error).toMatchObject({
      kind: "not-found",
      detail: 'step "ip -n lab link set dev mac0 master br9" failed: Error: argument "br9" is wrong: Device does not exist; rolled back the 1 step(s) done before it',
    });
  });

  it("takes the line holding every word quoted, not the first holding a keyword the message quotes first", async () => {
    // "either "dev" is duplicate, or "garbage" is a garbage": the first line has a dev too, and ran.
    const strayWord = recordedFailure("a batch stopped by a stray word on its second line", {});
    const steps = [
      step("lab", "link set dev mac0 mtu 1400", step("lab", "link set dev mac0 mtu 1500")),
      step("lab", "link set dev mac1 mtu 1400 garbage", step("lab", "link set dev mac1 mtu 1500")),
    ];
    const runner = new ScriptedRunner([strayWord, succeeded()]);

    const error = await rejection(applyPlan(runner, steps, { context: updateContext }));

    expectRuns(runner, [[batch("lab", ["link set dev mac0 mtu 1400", "link set dev mac1 mtu 1400 garbage"])], [batch("lab", ["link set dev mac0 mtu 1500"], ["-force"])]]);
    expect(error).toMatchObject({ detail: 'step "ip -n lab link set dev mac1 mtu 1400 garbage" failed: Error: either "dev" is duplicate, or "garbage" is a garbage.; rolled back the 1 step(s) done before it' });
  });

  it("goes on undoing after an undo line that does not parse, in a batch of its own", async () => {
    // The update moved mac0 from br1 to br2 and then failed; br1 went meanwhile, so the undo's
    // "master br1" stops ip, and the lines after it must still run.
    const update = [
      step("lab", "link set dev mac0 mtu 1400", step("lab", "link set dev mac0 mtu 1500")),
      step("lab", "link set dev mac0 master br2", step("lab", "link set dev mac0 master br1")),
      step("lab", "link set dev mac0 up", step("lab", "link set dev mac0 down")),
      step("lab", "addr add 10.0.0.2/24 dev mac0"),
    ];
    const brokenUndo = recordedFailure("a batch stopped by a missing master on its second line", { nosuch: "br1" });
    const runner = new ScriptedRunner([failedAt(["addr add of an address already there", 4]), brokenUndo, succeeded()]);

    const error = await rejection(applyPlan(runner, update, { context: updateContext }));

    expectRuns(runner, [
      [batch("lab", ["link set dev mac0 mtu 1400", "link set dev mac0 master br2", "link set dev mac0 up", "addr add 10.0.0.2/24 dev mac0"])],
      [batch("lab", ["link set dev mac0 down", "link set dev mac0 master br1", "link set dev mac0 mtu 1500"], ["-force"])],
      [batch("lab", ["link set dev mac0 mtu 1500"], ["-force"])],
    ]);
    expect(error).toMatchObject({ kind: "exists", detail: expect.stringMatching(/rolled back the 3 step\(s\) done before it$/) });
  });
});

describe("applyPlan, when reading back fails after every step was done", () => {
  // The link vanished under the plan (its parent went, say): the read cannot find it, and the undo
  // finds nothing left to undo, which is what it wanted.
  const createPlan = [
    step("lab", "link add link veth0 name mac0 type macvlan mode bridge", step("lab", "link del dev mac0")),
    step("lab", "link set dev mac0 mtu 1400", step("lab", "link set dev mac0 mtu 1500")),
    step("lab", "link set dev mac0 up", step("lab", "link set dev mac0 down")),
  ];
  const ipv6Routes: Command = { argv: ["ip", "-j", "-6", "-n", "lab", "route", "show", "dev", "mac0", "proto", "static"] };
  const readBack: ReadBack = { netns: "lab", lines: [["addr", "show", "dev", "mac0"], ["route", "show", "dev", "mac0", "proto", "static"]], extra: [ipv6Routes] };
  const merged = batch(
    "lab",
    ["link add link veth0 name mac0 type macvlan mode bridge", "link set dev mac0 mtu 1400", "link set dev mac0 up", "addr show dev mac0", "route show dev mac0 proto static"],
    ["-j", "-d"],
  );
  const mac0 = { nosuch: "mac0" };
  const undoAll = batch("lab", ["link set dev mac0 down", "link set dev mac0 mtu 1500", "link del dev mac0"], ["-force"]);
  const nothingLeftToUndo = failedAt(["link set of a missing device", 1, mac0], ["link set of a missing device", 2, mac0], ["link del of a missing device", 3, mac0]);

  it.each([
    {
      case: "a read-back line of the merged batch",
      replies: [failedAt(["addr show of a missing device", 4, mac0]), nothingLeftToUndo],
      detail: 'reading back failed: Device "mac0" does not exist.; rolled back the 3 step(s) done before it',
    },
    {
      case: "the read-back's extra command after the merged batch",
      replies: [succeeded(), recordedFailure("route show of a missing device", mac0), nothingLeftToUndo],
      detail: 'reading back failed: Cannot find device "mac0"; rolled back the 3 step(s) done before it',
    },
  ])("$case: undoes all the steps, and counts undos that found nothing to undo as done", async ({ replies, detail }) => {
    const hint = vi.fn((_kind: string, _step: IpStep | undefined) => undefined);
    const runner = new ScriptedRunner(replies);

    const error = await rejection(applyPlan(runner, createPlan, { context: updateContext, readBack, hint }));

    expectRuns(runner, [[merged, ipv6Routes], [undoAll]]);
    expect(error).toMatchObject({ kind: "not-found", detail });
    expect(hint.mock.calls).toStrictEqual([["not-found", undefined]]);
  });
});

describe("applyPlan, when rolling back fails too", () => {
  const plan = [
    step("lab", "link set dev mac0 mtu 1400", step("lab", "link set dev mac0 mtu 1500")),
    step("lab", "addr del 10.0.0.9/24 dev mac0", step("lab", "addr add 10.0.0.9/24 dev mac0")),
    step("lab", "route add 10.98.0.0/16 via 192.0.2.1 dev mac0 proto static metric 0"),
  ];
  const planBatch = batch("lab", ["link set dev mac0 mtu 1400", "addr del 10.0.0.9/24 dev mac0", "route add 10.98.0.0/16 via 192.0.2.1 dev mac0 proto static metric 0"]);
  const undo = batch("lab", ["addr add 10.0.0.9/24 dev mac0", "link set dev mac0 mtu 1500"], ["-force"]);
  const failed = 'step "ip -n lab route add 10.98.0.0/16 via 192.0.2.1 dev mac0 proto static metric 0" failed: Error: Nexthop has invalid gateway.';

  it.each([
    {
      case: "an undo the kernel refuses is reported, one that found its address there already is not",
      undoReply: failedAt(["addr add of an address already there", 1], ["macvlan mtu above the parent's", 2]),
      detail: `${failed}; rolling back failed too (RTNETLINK answers: Invalid argument): check the host by hand`,
    },
    {
      case: "an undo that found its address there already counts as done",
      undoReply: failedAt(["addr add of an address already there", 1]),
      detail: `${failed}; rolled back the 2 step(s) done before it`,
    },
  ])("$case", async ({ undoReply, detail }) => {
    const runner = new ScriptedRunner([failedAt(["route via a gateway that is not on-link", 3]), undoReply]);

    const error = await rejection(applyPlan(runner, plan, { context: updateContext }));

    expectRuns(runner, [[planBatch], [undo]]);
    // The kind is the step's failure, not the rollback's: it is what the user has to act on.
    expect(error).toMatchObject({ kind: "invalid", detail });
  });

  it("goes on to the next namespace's undo batch after one fails, and names every failure in order", async () => {
    const runner = new ScriptedRunner([
      succeeded(),
      failedAt(["route via a gateway that is not on-link", 3]),
      failedAt(["a macvlan on a bridge port", 3]),
      failedAt(["macvlan mtu above the parent's", 1]),
    ]);

    const error = await rejection(applyPlan(runner, updatePlan, { context: updateContext }));

    expectRuns(runner, [updateBatches, [batch("ns1", ["link set dev mac0 down", "addr del 10.0.0.2/24 dev mac0", "link set dev mac0 netns lab"], ["-force"])], [undoInLab]]);
    expect(error).toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(
        /failed: Error: Nexthop has invalid gateway\.; rolling back failed too \(RTNETLINK answers: Device or resource busy; RTNETLINK answers: Invalid argument\): check the host by hand$/,
      ),
    });
  });
});

describe("applyDelete", () => {
  const deleteContext: ErrorContext = { verb: "delete", object: 'MacvlanLink "mac0"', netns: "lab", host: "host1" };
  const linkDel = [step("lab", "link del dev mac0")];
  const linkDelBatch = batch("lab", ["link del dev mac0"], ["-force"]);

  it.each([
    { case: "a link deleted", steps: linkDel, sent: linkDelBatch, reply: succeeded() },
    { case: "a link gone already", steps: linkDel, sent: linkDelBatch, reply: failedAt(["link del of a missing device", 1, { nosuch: "mac0" }]) },
    // ip -n fails before it reads a line: no "Command failed" line, exit 255.
    { case: "a link whose namespace is gone", steps: linkDel, sent: linkDelBatch, reply: recordedFailure("ip -n of a missing namespace", { "pi2fix-24538-gone": "lab" }) },
    {
      case: "a namespace gone already",
      steps: [step(undefined, "netns del ns1")],
      sent: batch(undefined, ["netns del ns1"], ["-force"]),
      reply: failedAt(["netns del of a missing namespace", 1, { "pi2fix-24538-gone": "ns1" }]),
    },
  ])("succeeds for $case", async ({ steps, sent, reply }) => {
    const runner = new ScriptedRunner([reply]);
    await expect(applyDelete(runner, steps, deleteContext)).resolves.toBeUndefined();
    expectRuns(runner, [[sent]]);
  });

  it("goes on to the next namespace's deletes after one finds its link gone already", async () => {
    const steps = [step("lab", "link del dev mac0"), step(undefined, "netns del lab")];
    const netnsDel = batch(undefined, ["netns del lab"], ["-force"]);
    const runner = new ScriptedRunner([failedAt(["link del of a missing device", 1, { nosuch: "mac0" }]), succeeded()]);
    await expect(applyDelete(runner, steps, deleteContext)).resolves.toBeUndefined();
    expectRuns(runner, [[linkDelBatch, netnsDel], [netnsDel]]);
  });

  it.each([
    { what: "link add without CAP_NET_ADMIN", kind: "permission", said: "RTNETLINK answers: Operation not permitted" },
    { what: "a macvlan on a bridge port", kind: "busy", said: "RTNETLINK answers: Device or resource busy" },
  ])("reports any other failure, $kind, with the step and what ip said", async ({ what, kind, said }) => {
    const runner = new ScriptedRunner([failedAt([what, 1])]);

    const error = await rejection(applyDelete(runner, linkDel, deleteContext));

    expectRuns(runner, [[linkDelBatch]]);
    expect(error).toBeInstanceOf(Iproute2Error);
    expect(error).toMatchObject({ kind, message: `delete MacvlanLink "mac0" in netns "lab" on host1: ip -n lab link del dev mac0 failed: ${said}` });
  });
});

describe("runOn", () => {
  const readContext: ErrorContext = { verb: "read", object: 'MacvlanLink "mac0"', netns: "lab", host: "host1" };
  const commands = [batch("lab", ["addr show dev mac0"], ["-j", "-d"])];

  it("says the ip command was not found when spawning it fails with ENOENT", async () => {
    // What execa gives for a program that is not on PATH.
    const spawnFailure = await execa("ip", ["-V"], { env: { PATH: "/nonexistent" }, extendEnv: false, reject: false });

    const error = await rejection(runOn(new ThrowingRunner(spawnFailure), commands, readContext));

    expect(error).toBeInstanceOf(Iproute2Error);
    expect(error).toMatchObject({
      kind: "failed",
      message: 'read MacvlanLink "mac0" in netns "lab" on host1: the ip command was not found. Install iproute2',
      cause: spawnFailure,
    });
  });

  it("names the program that was not found when it is not ip (sudo, ssh)", async () => {
    const spawnFailure = await execa("sudo", ["-n", "--", "ip", "-V"], { env: { PATH: "/nonexistent" }, extendEnv: false, reject: false });
    const error = await rejection(runOn(new ThrowingRunner(spawnFailure), commands, readContext));
    expect(error).toMatchObject({ kind: "failed", message: 'read MacvlanLink "mac0" in netns "lab" on host1: the sudo command was not found. Install sudo' });
  });

  it("says a missing bridge (a Vxlan's flood list) is iproute2's too", async () => {
    const spawnFailure = await execa("bridge", ["-V"], { env: { PATH: "/nonexistent" }, extendEnv: false, reject: false });
    const error = await rejection(runOn(new ThrowingRunner(spawnFailure), commands, readContext));
    expect(error).toMatchObject({ kind: "failed", message: 'read MacvlanLink "mac0" in netns "lab" on host1: the bridge command was not found. Install iproute2' });
  });

  it("does not take any other ENOENT (a file of the runner's that went away) for a missing ip", async () => {
    const fileGone = (() => {
      try {
        return readFileSync("/nonexistent/pi2ssh/lock");
      } catch (error) {
        return error as Error;
      }
    })();
    const error = await rejection(runOn(new ThrowingRunner(fileGone as Error), commands, readContext));
    expect(error).toMatchObject({ kind: "unreachable", message: expect.stringMatching(/could not run commands: ENOENT: no such file or directory, open '\/nonexistent\/pi2ssh\/lock'$/) });
  });

  it("makes anything else a runner throws an unreachable host, keeping it as the cause", async () => {
    const sshFailure = new Error("ssh: connect to host 10.90.0.2 port 22: Connection refused");

    const error = await rejection(runOn(new ThrowingRunner(sshFailure), commands, readContext));

    expect(error).toBeInstanceOf(Iproute2Error);
    expect(error).toMatchObject({
      kind: "unreachable",
      message: 'read MacvlanLink "mac0" in netns "lab" on host1: could not run commands: ssh: connect to host 10.90.0.2 port 22: Connection refused',
      hint: undefined,
      cause: sshFailure,
    });
  });

  it("passes an Iproute2Error from the runner on unchanged", async () => {
    const interrupted = new Iproute2Error("interrupted", readContext, "the connection broke");
    expect(await rejection(runOn(new ThrowingRunner(interrupted), commands, readContext))).toBe(interrupted);
  });

  it("makes applyPlan fail without trying to undo when the host cannot be reached", async () => {
    const runner = new ThrowingRunner(new Error("ssh: Could not resolve hostname nowhere"));
    const error = await rejection(applyPlan(runner, updatePlan, { context: updateContext }));
    expect(error).toMatchObject({ kind: "unreachable" });
    expect(runner.calls).toBe(1);
  });
});

describe("applyPlan with command steps (what ip cannot do: the device node program)", () => {
  const linkAdd = step("ns1", "link add link veth0 name mac0 type macvtap", [step("ns1", "link del dev mac0")]);
  const linkUp = step("ns1", "link set dev mac0 up", [step("ns1", "link set dev mac0 down")]);
  const removeNode: CommandStep = { command: { argv: ["sh", "-c", "remove"] }, describe: "remove the device node /dev/tap9" };
  const makeNode: CommandStep = { command: { argv: ["sh", "-c", "make"] }, describe: "make the device node /dev/tap9", undo: [removeNode] };
  const stat: Command = { argv: ["stat", "/dev/tap9"] };

  it("runs a command step as a process of its own between batches, and reads back only the extra commands when there are no lines", async () => {
    const runner = new ScriptedRunner([succeeded(), succeeded(), succeeded(), succeeded("stat line")]);
    const results = await applyPlan(runner, [linkAdd, makeNode, linkUp], { context: updateContext, readBack: { lines: [], extra: [stat] } });
    expect(results.map((r) => r.stdout)).toEqual(["stat line"]);
    expectRuns(runner, [[batch("ns1", [linkAdd.args.join(" ")]), makeNode.command, batch("ns1", [linkUp.args.join(" ")]), stat]]);
  });

  it("a failing command step: the ip steps before it are undone, and the message is its own", async () => {
    const runner = new ScriptedRunner([succeeded(), { exitCode: 3, stdout: "", stderr: "tapDevicePath /dev/tap9: /dev is writable by group or others\n" }, succeeded()]);
    const error = await rejection(applyPlan(runner, [linkAdd, makeNode, linkUp], { context: updateContext }));
    // Sent in one round trip; the runner stops at the failing command, and the link add is undone.
    expectRuns(runner, [[batch("ns1", [linkAdd.args.join(" ")]), makeNode.command, batch("ns1", [linkUp.args.join(" ")])], [batch("ns1", ["link del dev mac0"], ["-force"])]]);
    expect(error).toMatchObject({
      message: `${where}: step "make the device node /dev/tap9" failed: tapDevicePath /dev/tap9: /dev is writable by group or others; rolled back the 1 step(s) done before it`,
    });
  });

  // sudo -n refuses a command sudoers does not allow the user with "a password is required" (recorded
  // from sudo 1.9 with a drop-in allowing only ip and sh); other sudo setups say "not allowed".
  it.each([
    "sudo: a password is required\n",
    "Sorry, user deploy is not allowed to execute '/usr/bin/sh -c make' as root on host1.\n",
  ])("a command step sudo refuses (%s): undone before it, a permission error naming the command and sudoers", async (said) => {
    const runner = new ScriptedRunner([succeeded(), { exitCode: 1, stdout: "", stderr: said }, succeeded()]);
    const error = await rejection(applyPlan(runner, [linkAdd, makeNode, linkUp], { context: updateContext, hint: () => "a hint about CAP_NET_ADMIN" }));
    expect(runner.runs[1]).toStrictEqual([batch("ns1", ["link del dev mac0"], ["-force"])]);
    expect(error).toMatchObject({ kind: "permission" });
    expect((error as Error).message).toBe(
      `${where}: step "make the device node /dev/tap9" failed: sudo refused to run sh (${said.trim()}); rolled back the 1 step(s) done before it. ` +
        "With connection.sudo, sudoers must let the connection's user run ip, bridge (a Vxlan's flood list) and sh as root without a password (NOPASSWD) and without a terminal (no requiretty); the package runs nothing else through sudo",
    );
  });

  it("an ip step failing after a command step: the command step's undo runs, newest first", async () => {
    const runner = new ScriptedRunner([succeeded(), succeeded(), failedAt(["link set of a missing device", 1, { nosuch: "mac0" }]), succeeded(), succeeded()]);
    await rejection(applyPlan(runner, [linkAdd, makeNode, linkUp], { context: updateContext }));
    expect(runner.runs.slice(1)).toStrictEqual([[removeNode.command], [batch("ns1", ["link del dev mac0"], ["-force"])]]);
    expect(runner.unusedReplies).toBe(0);
  });
});

describe("applyPlan and applyDelete, with the boot description's parts", () => {
  const lab = "ns1";
  const part = (text: string, name = "mac0") => ({ file: `link:ns1:${name}.part`, text });
  const readBack: ReadBack = { netns: lab, lines: [["addr", "show", "dev", "mac0"]], extra: [] };
  const pinned = () => [{ ifindex: 7, macAddress: "02:00:00:00:00:07" }];

  it("writes the parts of plans that finish together in one writer run, after their read-backs, with the values read back", async () => {
    const runner = new ScriptedRunner([succeeded("[]"), succeeded("[]"), succeeded()]);
    const plan = (name: string) => [
      step(lab, `link add link v0 name ${name} type macvlan`, step(lab, `link del dev ${name}`)),
      ...planBootPart(undefined, part(`link ${lab} ${name}\nadd ${lab} link add index #index1# name ${name} address #mac1#\n`, name), false),
    ];
    await Promise.all(["mac0", "mac1"].map((name) => applyPlan(runner, plan(name), { context: updateContext, readBack, pinned })));
    expect(runner.runs.slice(0, 2)).toStrictEqual(
      ["mac0", "mac1"].map((name) => [batch(lab, [`link add link v0 name ${name} type macvlan`, `addr show dev mac0`], ["-j", "-d"])]),
    );
    expect(runner.runs[2]).toStrictEqual([
      partOperationsCommand(["mac0", "mac1"].map((name) => ({ op: "write", file: `link:ns1:${name}.part`, text: `link ${lab} ${name}\nadd ${lab} link add index 7 name ${name} address 02:00:00:00:00:07\n` }))),
    ]);
    expect(runner.unusedReplies).toBe(0);
  });

  it("takes the whole plan back when its part cannot be written, and names the part's step", async () => {
    const runner = new ScriptedRunner([succeeded("[]"), { exitCode: 3, stdout: "", stderr: "/etc/pulumi-iproute2 is owned by uid 1000, not root\n" }, succeeded(), succeeded()]);
    const steps = [step(lab, "link add link v0 name mac0 type macvlan", step(lab, "link del dev mac0")), ...planBootPart(undefined, part("format 1\n"), false)];
    const error = await rejection(applyPlan(runner, steps, { context: updateContext, readBack, pinned }));
    expect((error as Error).message).toBe(
      `${where}: step "write the boot description's part /etc/pulumi-iproute2/parts/link:ns1:mac0.part" failed: /etc/pulumi-iproute2 is owned by uid 1000, not root; rolled back the 1 step(s) done before it`,
    );
    // Newest first: the part removed, then the link.
    expect(runner.runs.slice(2)).toStrictEqual([[removePartCommand("link:ns1:mac0.part")], [batch(lab, ["link del dev mac0"], ["-force"])]]);
    expect(runner.unusedReplies).toBe(0);
  });

  it("says a failed writer run was shared, where its words may name another resource's part", async () => {
    const refused = { exitCode: 3, stdout: "", stderr: "cannot write /etc/pulumi-iproute2/parts/link:ns1:mac1.part\n" };
    const runner = new ScriptedRunner([succeeded("[]"), succeeded("[]"), refused, succeeded(), succeeded(), succeeded(), succeeded()]);
    const plan = (name: string) => [step(lab, `link add link v0 name ${name} type macvlan`, step(lab, `link del dev ${name}`)), ...planBootPart(undefined, part("format 1\n", name), false)];
    const errors = await Promise.all(["mac0", "mac1"].map((name) => rejection(applyPlan(runner, plan(name), { context: updateContext, readBack, pinned }))));
    for (const error of errors) {
      expect((error as Error).message).toContain("cannot write /etc/pulumi-iproute2/parts/link:ns1:mac1.part (in one run of the boot writer with 1 other operation on this host)");
    }
    expect(runner.unusedReplies).toBe(0);
  });

  it("removes a deleted object's part after the object, in the writer's shared run", async () => {
    const runner = new ScriptedRunner([succeeded(), succeeded()]);
    await applyDelete(runner, [step(lab, "link del dev mac0"), removePartStep("link:ns1:mac0.part")], updateContext);
    expectRuns(runner, [[batch(lab, ["link del dev mac0"], ["-force"])], [partOperationsCommand([{ op: "remove", file: "link:ns1:mac0.part" }])]]);
  });
});
