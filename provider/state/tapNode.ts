// Reading a macvtap's character device: its numbers from sysfs, and the node in /dev from stat. Both
// run as one small `sh` program of ours, so that with `sudo: true` sudoers needs only `ip` and `sh`
// (a bare `cat`, `stat` or `test` would each need a line of their own).
import { classify } from "../exec/errors";
import type { Command, CommandResult } from "../exec/runner";
import { nodeStatFormat, type TapNodeObserved } from "../model";
import { ReadError } from "./readError";

/** What the node operation prints when stat failed. */
const unread = "unread";

/**
 * numbers NAME IFINDEX   the device's "major:minor" (run in the link's namespace)
 * node PATH              the node's stat line (a link reported as a link, never followed), then "live"
 *                        when a device has the node's numbers, else "none"; or "unread" and stat's
 *                        words on standard error (which parseNodeStat reads). It exits 0 even then: a
 *                        scan reads many nodes in one run, which stops at the first command that fails.
 */
const tapReadProgram = `
export LC_ALL=C
set -f
case $1 in
numbers) exec cat -- "/sys/class/net/$2/macvtap/tap$3/dev" ;;
node)
  line=$(stat -c '${nodeStatFormat}' -- "$2" 2>&1) || {
    echo ${unread}
    printf '%s\\n' "$line" >&2
    exit 0
  }
  printf '%s\\n' "$line"
  numbers=\${line%% *}
  if [ -e "/sys/dev/char/$((0x\${numbers%:*})):$((0x\${numbers#*:}))" ]; then echo live; else echo none; fi
  ;;
*) echo "unknown operation $1" >&2; exit 2 ;;
esac
`;

const read = (args: string[]): string[] => ["sh", "-c", tapReadProgram, "tap-read", ...args];

/**
 * Equivalent to: `[ip netns exec NS] cat /sys/class/net/NAME/macvtap/tapIFINDEX/dev`. A namespace's
 * links show in sysfs only from inside it (`ip netns exec` mounts that view).
 */
export function devNumbersCommand(netns: string | undefined, name: string, ifindex: number): Command {
  const numbers = read(["numbers", name, String(ifindex)]);
  return { argv: netns !== undefined ? ["ip", "netns", "exec", netns, ...numbers] : numbers };
}

export function parseDevNumbers(result: CommandResult | undefined): string {
  const text = result?.stdout.trim() ?? "";
  if (result?.exitCode !== 0 || !/^\d+:\d+$/.test(text)) {
    throw new ReadError(classify(result?.stderr ?? ""), `cannot read the macvtap's device numbers from sysfs: ${result?.stderr.trim() || text || "no output"}`);
  }
  return text;
}

/**
 * Equivalent to: `stat -c '%t:%T %u %g %U %G %a %F' PATH` (major:minor in hex, owner, mode, type) and `test -e /sys/dev/char/MAJOR:MINOR`; a link at PATH is reported as a link, never followed.
 */
export function nodeStatCommand(path: string): Command {
  return { argv: read(["node", path]) };
}

/** The node, or undefined when there is none at `path` (stat's words, read by `classify`, say so). */
export function parseNodeStat(result: CommandResult | undefined, path: string): TapNodeObserved | undefined {
  const [statLine = "", inUse = ""] = result?.stdout.trim().split("\n") ?? [];
  if (!result || result.exitCode !== 0 || statLine === unread) {
    const said = result?.stderr.trim() ?? "";
    const kind = classify(said);
    if (result?.exitCode === 0 && kind === "not-found") return undefined;
    throw new ReadError(kind, `cannot stat ${path}: ${said || "no result"}`);
  }
  const match = /^([0-9a-f]+):([0-9a-f]+) (\d+) (\d+) (\S+) (\S+) ([0-7]+) (.+)$/.exec(statLine);
  if (!match || !["live", "none"].includes(inUse)) throw new ReadError("failed", `unexpected stat output for ${path}: ${result.stdout.trim()}`);
  const [, major = "", minor = "", uid = "", gid = "", user = "", group = "", mode = "", type = ""] = match;
  if (type !== "character special file") {
    throw new ReadError("failed", `${path} exists and is a ${type}, not a character device: remove it or choose another tapDevicePath`);
  }
  return {
    path,
    statLine,
    devNumbers: `${parseInt(major, 16)}:${parseInt(minor, 16)}`,
    numbersInUse: inUse === "live",
    uid,
    gid,
    user,
    group,
    mode: mode.padStart(4, "0"),
  };
}
