// Reading a macvtap's character device: its numbers from sysfs, and the node in /dev from stat.
import type { Command, CommandResult } from "../exec/runner";
import { nodeStatFormat, type TapNodeObserved } from "../model";

/**
 * Equivalent to: `[ip netns exec NS] cat /sys/class/net/NAME/macvtap/tapIFINDEX/dev`. A namespace's
 * links show in sysfs only from inside it (`ip netns exec` mounts that view).
 */
export function devNumbersCommand(netns: string | undefined, name: string, ifindex: number): Command {
  const read = ["cat", `/sys/class/net/${name}/macvtap/tap${ifindex}/dev`];
  return { argv: netns !== undefined ? ["ip", "netns", "exec", netns, ...read] : read };
}

export function parseDevNumbers(result: CommandResult | undefined): string {
  const text = result?.stdout.trim() ?? "";
  if (result?.exitCode !== 0 || !/^\d+:\d+$/.test(text)) {
    throw new Error(`cannot read the macvtap's device numbers from sysfs: ${result?.stderr.trim() || text || "no output"}`);
  }
  return text;
}

/**
 * Equivalent to: `stat -c '%t:%T %u %g %U %G %a %F' PATH` (major:minor in hex, owner, mode, type); a
 * link at PATH is reported as a link, never followed.
 */
export function nodeStatCommand(path: string): Command {
  return { argv: ["stat", "-c", nodeStatFormat, "--", path] };
}

/** The node, or undefined when there is none at `path`. */
export function parseNodeStat(result: CommandResult | undefined, path: string): TapNodeObserved | undefined {
  if (!result || result.exitCode !== 0) {
    if (result && /No such file or directory/.test(result.stderr)) return undefined;
    throw new Error(`cannot stat ${path}: ${result?.stderr.trim() ?? "no result"}`);
  }
  const statLine = result.stdout.trim();
  const match = /^([0-9a-f]+):([0-9a-f]+) (\d+) (\d+) (\S+) (\S+) ([0-7]+) (.+)$/.exec(statLine);
  if (!match) throw new Error(`unexpected stat output for ${path}: ${result.stdout.trim()}`);
  const [, major = "", minor = "", uid = "", gid = "", user = "", group = "", mode = "", type = ""] = match;
  if (type !== "character special file") {
    throw new Error(`${path} exists and is a ${type}, not a character device: remove it or choose another tapDevicePath`);
  }
  return {
    path,
    statLine,
    devNumbers: `${parseInt(major, 16)}:${parseInt(minor, 16)}`,
    uid,
    gid,
    user,
    group,
    mode: mode.padStart(4, "0"),
  };
}

/** Equivalent to: `test -e /sys/dev/char/MAJOR:MINOR`: whether a live device has these numbers. */
export function liveDeviceCommand(devNumbers: string): Command {
  return { argv: ["test", "-e", `/sys/dev/char/${devNumbers}`] };
}
