// Steps as commands: how they read, how they group into `ip -batch` runs, and how they are undone.
import { describe, expect, it } from "vitest";
import { planMacvlanCreate, planMacvlanUpdate } from "../../../provider/plan/macvlanLink";
import { batchCommand } from "../../../provider/exec/ipBatch";
import { describeStep, groupCommand, groupSteps, stepsOf, undoSteps, type CommandStep, type IpStep } from "../../../provider/plan/steps";
import type { MacvlanLinkState } from "../../../provider/model";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { validArgs } from "../schema/expectations";
import { normalized, step, undone } from "../steps";

describe("describeStep", () => {
  it.each([
    { step: step(undefined, "netns add ns1"), text: "ip netns add ns1" },
    { step: step("ns1", "addr add 10.0.0.1/24 dev mac0"), text: "ip -n ns1 addr add 10.0.0.1/24 dev mac0" },
    { step: step("lab", "link add link veth0 name mac0 netns ns1 type macvlan mode bridge"), text: "ip -n lab link add link veth0 name mac0 netns ns1 type macvlan mode bridge" },
  ])("$text", ({ step: s, text }) => {
    expect(describeStep(s)).toBe(text);
  });
});

describe("groupSteps", () => {
  it("groups consecutive steps of one namespace, remembering where each group starts", () => {
    const steps = [step("lab", "link add"), step("ns1", "addr add"), step("ns1", "link set"), step(undefined, "netns add"), step("ns1", "route add")];
    const groups = groupSteps(steps);
    expect(groups.map((g) => ("steps" in g ? { netns: g.netns, first: g.first, count: g.steps.length } : g))).toStrictEqual([
      { netns: "lab", first: 0, count: 1 },
      { netns: "ns1", first: 1, count: 2 },
      { netns: undefined, first: 3, count: 1 },
      { netns: "ns1", first: 4, count: 1 },
    ]);
    expect(groups.flatMap(stepsOf)).toStrictEqual(steps);
  });

  it("puts a command step in a group of its own, between the batches around it", () => {
    const node: CommandStep = { command: { argv: ["sh", "-c", "true"] }, describe: "a command" };
    const groups = groupSteps([step("ns1", "link add"), node, step("ns1", "link set")]);
    expect(groups).toStrictEqual([
      { netns: "ns1", first: 0, steps: [step("ns1", "link add")] },
      { first: 1, command: node },
      { netns: "ns1", first: 2, steps: [step("ns1", "link set")] },
    ]);
    expect(groupCommand(groups[1]!, ["-force"])).toBe(node.command);
    expect(describeStep(node)).toBe("a command");
  });

  it("makes no group of no steps", () => {
    expect(groupSteps([])).toStrictEqual([]);
  });
});

describe("batchCommand", () => {
  it.each([
    {
      case: "in a named netns",
      netns: "ns1",
      lines: [["addr", "add", "10.0.0.1/24", "dev", "mac0"], ["link", "set", "dev", "mac0", "up"]],
      options: [],
      argv: ["ip", "-n", "ns1", "-batch", "-"],
      stdin: "addr add 10.0.0.1/24 dev mac0\nlink set dev mac0 up\n",
    },
    {
      case: "in the connection's own namespace",
      netns: undefined,
      lines: [["netns", "add", "ns1"]],
      options: [],
      argv: ["ip", "-batch", "-"],
      stdin: "netns add ns1\n",
    },
    {
      case: "with options, which go before -n",
      netns: "ns1",
      lines: [["link", "del", "dev", "mac0"]],
      options: ["-force"],
      argv: ["ip", "-force", "-n", "ns1", "-batch", "-"],
      stdin: "link del dev mac0\n",
    },
    {
      case: "reading JSON",
      netns: "ns1",
      lines: [["addr", "show", "dev", "mac0"], ["route", "show", "dev", "mac0", "proto", "static"]],
      options: ["-j", "-d"],
      argv: ["ip", "-j", "-d", "-n", "ns1", "-batch", "-"],
      stdin: "addr show dev mac0\nroute show dev mac0 proto static\n",
    },
  ])("$case", ({ netns, lines, options, argv, stdin }) => {
    expect(batchCommand(netns, lines, options)).toStrictEqual({ argv, stdin });
  });

  it.each([
    ["an empty argument", ""],
    ["a space", "mac 0"],
    ["a tab", "mac\t0"],
    ["a newline, which would start a second command", "mac0\nnetns del ns1"],
    ["a double quote", 'mac"0'],
    ["a single quote", "mac'0"],
    ["a backslash", "mac\\0"],
    ["a #, which starts a comment", "mac#0"],
  ])("refuses an argument with %s", (_label, arg) => {
    expect(() => batchCommand("ns1", [["link", "set", "dev", arg, "up"]])).toThrow(`cannot put ${JSON.stringify(arg)} in an ip batch line`);
  });

  it("writes an empty alias (which clears it) as the one quoted word", () => {
    expect(batchCommand("ns1", [["link", "set", "dev", "mac0", "alias", ""]]).stdin).toBe('link set dev mac0 alias ""\n');
  });
});

describe("groupCommand", () => {
  it("runs a group's steps as one batch in its namespace", () => {
    const [, second] = groupSteps([step("lab", "link add"), step("ns1", "addr add 10.0.0.1/24 dev mac0"), step("ns1", "link set dev mac0 up")]);
    expect(second && groupCommand(second, ["-force"])).toStrictEqual({
      argv: ["ip", "-force", "-n", "ns1", "-batch", "-"],
      stdin: "addr add 10.0.0.1/24 dev mac0\nlink set dev mac0 up\n",
    });
  });
});

describe("undoSteps", () => {
  it("takes back the steps done, newest first, skipping those with nothing to undo", () => {
    const done: IpStep[] = [
      undone(undefined, "netns add ns1", undefined, "netns del ns1"),
      step("ns1", "link set dev lo up"),
      undone("ns1", "addr add 10.0.0.1/24 dev mac0", "ns1", "addr del 10.0.0.1/24 dev mac0"),
      undone("ns1", "link set dev mac0 up", "ns1", "link set dev mac0 down"),
    ];
    expect(normalized(undoSteps(done))).toStrictEqual([
      step("ns1", "link set dev mac0 down"),
      step("ns1", "addr del 10.0.0.1/24 dev mac0"),
      step(undefined, "netns del ns1"),
    ]);
  });

  it("has nothing to take back when nothing was done", () => {
    expect(undoSteps([])).toStrictEqual([]);
  });
});

describe("whole plans as commands", () => {
  const desired = (raw: Record<string, unknown>) => validArgs(macvlanLinkArgs, { name: "mac0", parent: "veth0", ...raw });

  it("creates a link from its parent's netns, then configures it in its own", () => {
    const steps = planMacvlanCreate(
      desired({ parentNetns: "lab", netns: "ns1", addresses: ["10.0.0.2/24"], routes: [{ to: "default", via: "10.0.0.1" }] }),
    );
    expect(groupSteps(steps).map((g) => groupCommand(g))).toStrictEqual([
      { argv: ["ip", "-n", "lab", "-batch", "-"], stdin: "link add link veth0 name mac0 netns ns1 type macvlan mode bridge\n" },
      // Its announce settings, in its namespace, before it comes up: a command of its own.
      { argv: ["ip", "netns", "exec", "ns1", "sh", "-c", expect.any(String), "announce", "set", "mac0", "1"] },
      {
        argv: ["ip", "-n", "ns1", "-batch", "-"],
        stdin: "addr add 10.0.0.2/24 dev mac0\nlink set dev mac0 up\nroute add default via 10.0.0.1 dev mac0 proto static metric 0\n",
      },
    ]);
    expect(groupSteps(undoSteps(steps)).map((g) => groupCommand(g, ["-force"]))).toStrictEqual([
      { argv: ["ip", "-force", "-n", "ns1", "-batch", "-"], stdin: "link del dev mac0\n" },
    ]);
  });

  it("moves a link, then adds its addresses, up and routes in the new netns; undone in reverse, restoring them in the old", () => {
    const current: MacvlanLinkState = {
      ...desired({ parentNetns: "lab", netns: "ns1", addresses: ["10.0.0.2/24"], routes: [{ to: "default", via: "10.0.0.1" }] }),
      macAddress: "02:00:00:00:00:01",
      mtu: 1500,
      txQueueLength: 1000,
      bcQueueLength: 1000,
      ifindex: 3,
      kernelChosen: ["macAddress", "mtu", "txQueueLength", "bcQueueLength"],
    };
    const steps = planMacvlanUpdate(
      current,
      desired({ parentNetns: "lab", netns: "ns2", addresses: ["10.0.0.2/24"], routes: [{ to: "default", via: "10.0.0.1" }] }),
    );
    expect(groupSteps(steps).map((g) => groupCommand(g))).toStrictEqual([
      { argv: ["ip", "-n", "ns1", "-batch", "-"], stdin: "link set dev mac0 netns ns2\n" },
      { argv: ["ip", "netns", "exec", "ns2", "sh", "-c", expect.any(String), "announce", "set", "mac0", "1"] },
      {
        argv: ["ip", "-n", "ns2", "-batch", "-"],
        stdin: "addr add 10.0.0.2/24 dev mac0\nlink set dev mac0 up\nroute add default via 10.0.0.1 dev mac0 proto static metric 0\n",
      },
    ]);
    // Moving back drops what the link had in ns2 and brings nothing with it: its address, up state and
    // route are added back in ns1.
    expect(undoSteps(steps).map(describeStep)).toStrictEqual([
      "ip -n ns2 route del default via 10.0.0.1 dev mac0 proto static metric 0",
      "ip -n ns2 link set dev mac0 down",
      "ip -n ns2 addr del 10.0.0.2/24 dev mac0",
      "ip -n ns2 link set dev mac0 netns ns1",
      "set arp_notify and ndisc_notify of mac0 in netns \"ns1\" to 1 (announce: true)",
      "ip -n ns1 addr add 10.0.0.2/24 dev mac0",
      "ip -n ns1 link set dev mac0 up",
      "ip -n ns1 route add default via 10.0.0.1 dev mac0 proto static metric 0",
    ]);
  });
});
