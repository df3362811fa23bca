// The device node's plan: which of the node program's operations runs, on what it saw, and that nothing
// planned would follow a link put where the node is (no chmod, no chown without -h).
import { describe, expect, it } from "vitest";
import type { TapNodeObserved } from "../../../provider/model";
import { planMadeNodeRemoval, planTapNode } from "../../../provider/plan/tapNode";

const path = "/dev/tap7";
const statLine = "f0:3 0 0 root root 600 character special file";
const node: TapNodeObserved = { path, statLine, devNumbers: "240:3", numbersInUse: true, uid: "0", gid: "0", user: "root", group: "root", mode: "0600" };
const asked = { tapOwner: undefined, tapGroup: undefined, tapMode: "0600" };

/** The operation and its arguments: what follows the program's text in `sh -c TEXT tap-node ...`. */
function operations(commands: { argv: string[] }[]): string[][] {
  return commands.map(({ argv }) => {
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv[3]).toBe("tap-node");
    return argv.slice(4);
  });
}

describe("planTapNode", () => {
  it.each([
    { case: "no node: made", d: asked, seen: undefined, created: true, ops: [["make", path, "absent", "0600", "240", "3", ""]] },
    {
      case: "a stale node (other numbers): made anew, if it is still what was seen",
      d: asked,
      seen: { ...node, devNumbers: "240:9", statLine: "f0:9 0 0 root root 600 character special file" },
      created: true,
      ops: [["make", path, "f0:9 0 0 root root 600 character special file", "0600", "240", "3", ""]],
    },
    { case: "another mode: made anew rather than chmod-ed", d: { ...asked, tapMode: "0660" }, seen: node, created: true, ops: [["make", path, statLine, "0660", "240", "3", ""]] },
    {
      case: "a new node owned as asked, in the same operation",
      d: { tapOwner: "qemu", tapGroup: "kvm", tapMode: "0660" },
      seen: undefined,
      created: true,
      ops: [["make", path, "absent", "0660", "240", "3", "qemu:kvm"]],
    },
    { case: "another owner: chown -h only", d: { ...asked, tapOwner: "65534" }, seen: node, created: false, ops: [["own", path, statLine, "65534"]] },
    { case: "another group only", d: { ...asked, tapGroup: "kvm" }, seen: node, created: false, ops: [["own", path, statLine, ":kvm"]] },
    { case: "as asked: nothing", d: { ...asked, tapOwner: "root", tapGroup: "0" }, seen: node, created: false, ops: [] },
  ])("$case", ({ d, seen, created, ops }) => {
    const plan = planTapNode(d, path, "240:3", seen, false);
    expect(operations(plan.steps.map((s) => s.command))).toEqual(ops);
    expect(plan.created).toBe(created);
  });

  it("takes back a node it made where there was none, and only that: a replaced or re-owned node has no undo", () => {
    const [made] = planTapNode(asked, path, "240:3", undefined, false).steps;
    expect(operations((made?.undo ?? []).map((u) => ("command" in u ? u.command : { argv: [] })))).toEqual([["remove", path, "240:3", ""]]);
    expect(planTapNode({ ...asked, tapMode: "0660" }, path, "240:3", node, false).steps[0]?.undo).toBeUndefined();
    expect(planTapNode({ ...asked, tapOwner: "65534" }, path, "240:3", node, false).steps[0]?.undo).toBeUndefined();
  });

  it("removes a node this package made at an earlier path last, after the new one is right", () => {
    const plan = planTapNode(asked, path, "240:3", undefined, false, { path: "/dev/tap5", devNumbers: "240:1", ownerIds: "65534 0" });
    expect(operations(plan.steps.map((s) => s.command))).toEqual([
      ["make", path, "absent", "0600", "240", "3", ""],
      ["remove", "/dev/tap5", "240:1", "65534 0"],
    ]);
    expect(operations(planTapNode(asked, path, "240:3", node, true, { path: "/dev/tap5", devNumbers: "240:1", ownerIds: "65534 0" }).steps.map((s) => s.command))).toEqual([
      ["remove", "/dev/tap5", "240:1", "65534 0"],
    ]);
  });

  it("keeps what made an unchanged node: this package's stays removable", () => {
    expect(planTapNode(asked, path, "240:3", node, true)).toEqual({ steps: [], created: true });
  });

  it("the node program follows no link: no chmod, chown only with -h, the values outside its text", () => {
    const [step] = planTapNode({ tapOwner: "qemu", tapGroup: undefined, tapMode: "0660" }, path, "240:3", undefined, false).steps;
    const text = step?.command.argv[2] ?? "";
    expect(text).not.toMatch(/\bchmod\b/);
    const chowns = text.match(/\bchown\b[^\n]*/g) ?? [];
    expect(chowns.length).toBeGreaterThan(0);
    for (const chown of chowns) expect(chown).toMatch(/^chown -h -- /);
    expect(text).not.toContain(path);
    expect(text).not.toContain("qemu");
  });
});

describe("planMadeNodeRemoval", () => {
  const made = { tapNodeCreated: true, tapDevice: "/srv/vm/tap", tapDevNumbers: "240:3", tapNodeOwnerIds: "65534 65534", netns: "lab", name: "tap0", ifindex: 7 };

  it.each([
    { case: "a node it made: only that file, with its numbers and owner", state: made, argv: ["remove", "/srv/vm/tap", "240:3", "65534 65534"], inNetns: undefined },
    { case: "a state of an earlier version: by its numbers", state: { ...made, tapNodeOwnerIds: "" }, argv: ["remove", "/srv/vm/tap", "240:3", ""], inNetns: undefined },
    {
      case: "a create cut off before it read the numbers: those of the link, read in its namespace",
      state: { ...made, tapDevNumbers: "", tapNodeOwnerIds: "" },
      argv: ["remove", "/srv/vm/tap", "", "", "tap0", "7"],
      inNetns: "lab",
    },
  ])("$case", ({ state, argv, inNetns }) => {
    const steps = planMadeNodeRemoval(state);
    expect(steps.map((s) => s.describe)).toEqual(["remove the device node /srv/vm/tap"]);
    const command = steps[0]?.command.argv ?? [];
    const program = inNetns !== undefined ? command.slice(4) : command;
    if (inNetns !== undefined) expect(command.slice(0, 4)).toEqual(["ip", "netns", "exec", inNetns]);
    expect(operations([{ argv: program }])).toEqual([argv]);
  });

  it("removes nothing it did not make (devtmpfs or udev remove theirs), or before the node had a path", () => {
    expect(planMadeNodeRemoval({ ...made, tapNodeCreated: false })).toEqual([]);
    expect(planMadeNodeRemoval({ ...made, tapDevice: "", tapDevNumbers: "" })).toEqual([]);
  });
});
