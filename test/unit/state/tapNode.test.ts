// Reading a macvtap's device: what runs (only ip and sh, so sudoers needs nothing else) and how its
// answers are parsed.
import { describe, expect, it } from "vitest";
import { planMadeNodeRemoval, planTapNode } from "../../../provider/plan/tapNode";
import { devNumbersCommand, nodeStatCommand, parseNodeStat } from "../../../provider/state/tapNode";

const result = (stdout: string, exitCode = 0, stderr = "") => ({ command: { argv: [] }, exitCode, stdout, stderr });
const line = "f6:1 65534 0 nobody root 660 character special file";

describe("what a Macvtap runs on its host", () => {
  it("is ip or sh, never a bare stat, cat or test: with sudo: true, sudoers allows those two", () => {
    const node = parseNodeStat(result(`${line}\nlive\n`), "/dev/tap7");
    const commands = [
      devNumbersCommand("lab", "tap0", 7),
      devNumbersCommand(undefined, "tap0", 7),
      nodeStatCommand("/dev/tap7"),
      ...planTapNode({ tapOwner: "nobody", tapGroup: undefined, tapMode: "0600" }, "/dev/tap7", "246:1", node, true, { path: "/dev/tap5", devNumbers: "246:2", ownerIds: "" }).steps.map((s) => s.command),
      ...planTapNode({ tapOwner: "root", tapGroup: undefined, tapMode: "0660" }, "/dev/tap7", "246:1", node, true).steps.map((s) => s.command),
      ...planMadeNodeRemoval({ tapNodeCreated: true, tapDevice: "/dev/tap7", tapDevNumbers: "246:1", tapNodeOwnerIds: "", netns: "lab", name: "tap0", ifindex: 7 }).map((s) => s.command),
      ...planMadeNodeRemoval({ tapNodeCreated: true, tapDevice: "/dev/tap7", tapDevNumbers: "", tapNodeOwnerIds: "", netns: "lab", name: "tap0", ifindex: 7 }).map((s) => s.command),
    ];
    expect(commands.length).toBe(8); // reads 3, make and remove 2, own 1, removals 2
    for (const { argv } of commands) expect(["ip", "sh"]).toContain(argv[0]);
  });
});

describe("parseNodeStat", () => {
  it("reads the node, its owner and whether a live device has its numbers", () => {
    expect(parseNodeStat(result(`${line}\nlive\n`), "/dev/tap7")).toEqual({
      path: "/dev/tap7",
      statLine: line,
      devNumbers: "246:1",
      numbersInUse: true,
      uid: "65534",
      gid: "0",
      user: "nobody",
      group: "root",
      mode: "0660",
    });
    expect(parseNodeStat(result(`${line}\nnone\n`), "/dev/tap7")?.numbersInUse).toBe(false);
  });

  it("says no node when stat found nothing (its words read by classify); refuses anything but a character device, naming tapDevicePath", () => {
    expect(parseNodeStat(result("unread\n", 0, "stat: cannot statx '/dev/tap7': No such file or directory\n"), "/dev/tap7")).toBeUndefined();
    expect(() => parseNodeStat(result("unread\n", 0, "stat: cannot statx '/dev/tap7': Permission denied\n"), "/dev/tap7")).toThrow("cannot stat /dev/tap7: stat: cannot statx '/dev/tap7': Permission denied");
    expect(() => parseNodeStat(result("0:0 0 0 root root 777 symbolic link\nnone\n"), "/dev/tap7")).toThrow(
      "/dev/tap7 exists and is a symbolic link, not a character device: remove it or choose another tapDevicePath",
    );
    expect(() => parseNodeStat(result("", 1, "stat: cannot statx '/dev/x/tap7': Not a directory\n"), "/dev/x/tap7")).toThrow("cannot stat /dev/x/tap7: stat: cannot statx");
    expect(() => parseNodeStat(result(`${line}\n`), "/dev/tap7")).toThrow("unexpected stat output");
  });
});
