// The one program that changes a macvtap's device node on a host. Checking the node's folders and the
// node, then changing it, happen in one process, so nothing observed can change between the check and
// the change; and nothing it runs follows a symlink at the node (mknod -m, chown -h, rm; no chmod).
// Why: whoever can write a folder on the way to the node (say the QEMU user it is made for) could swap
// the node for a link to /etc/shadow between root's stat and chown, and root would hand them that file.
// A folder not root-owned, or writable by group or others, is refused (naming tapDevicePath); with
// every folder safe, only root can change the node under us. The values are positional arguments, never
// part of the script's text.
import type { Command } from "../exec/runner";
import { noNode, nodeStatFormat } from "../model";

const script = `
set -f
die() { printf '%s\\n' "$*" >&2; exit 3; }
# A folder (or a link to one) on the way to the node: root's alone.
check_folder() {
  info=$(stat -c '%u %a' -- "$1" 2>&1) || die "tapDevicePath: cannot check $1: $info"
  uid=\${info%% *} mode=\${info#* }
  [ "$uid" = 0 ] || die "tapDevicePath: $1 is owned by uid $uid, not root; whoever owns a folder on the way to the device node can swap the node for a link to any file. Put the node in a folder only root can change, such as /dev or a folder of /run made by root with mode 0755"
  [ -L "$1" ] || [ $((0$mode & 18)) = 0 ] || die "tapDevicePath: $1 is writable by group or others (mode $mode); anyone who can write a folder on the way to the device node can swap the node for a link to any file. Put the node in a folder only root can change, such as /dev or a folder of /run made by root with mode 0755"
}
# /, then each folder down to $1.
check_folders() {
  check_folder /
  rest=\${1#/} sofar=
  while [ -n "$rest" ]; do
    sofar=$sofar/\${rest%%/*}
    case $rest in */*) rest=\${rest#*/} ;; *) rest= ;; esac
    check_folder "$sofar"
  done
}
op=$1 path=$2 written=\${2%/*}
# The folder without its links: what the change acts on, so no link is followed after the check.
real=$(cd -P -- "\${written:-/}" 2>/dev/null && pwd -P) || {
  [ "$op" = remove ] && exit 0
  die "tapDevicePath: there is no folder \${written:-/}"
}
node=\${real%/}/\${path##*/}
if [ "$op" = remove ]; then
  # Only the node this package made: a character device still with its numbers.
  info=$(stat -c '%t %T %F' -- "$node" 2>/dev/null) || exit 0
  major=\${info%% *} rest=\${info#* }
  minor=\${rest%% *} type=\${rest#* }
  [ "$type" = "character special file" ] && [ "$((0x$major)):$((0x$minor))" = "$3" ] || exit 0
  exec rm -f -- "$node"
fi
check_folders "$written"
check_folders "$real"
seen=$(stat -c '${nodeStatFormat}' -- "$node" 2>/dev/null) || seen=${noNode}
[ "$seen" = "$3" ] || die "$path changed while it was being set up (it is now: $seen); run the update again"
case $op in
make)
  if [ "$seen" != ${noNode} ]; then rm -f -- "$node" || exit; fi
  mknod -m "$4" -- "$node" c "$5" "$6" || exit
  if [ -n "$7" ]; then chown -h -- "$7" "$node" || { rm -f -- "$node"; exit 1; }; fi
  ;;
own) exec chown -h -- "$4" "$node" ;;
*) die "unknown operation $op" ;;
esac
`;

const run = (args: string[]): Command => ({ argv: ["sh", "-c", script, "tap-node", ...args] });

/** "OWNER[:GROUP]" or ":GROUP" as chown takes them, or "" for neither. */
export function chownSpec(owner: string | undefined, group: string | undefined): string {
  return `${owner ?? ""}${group !== undefined ? `:${group}` : ""}`;
}

/**
 * Equivalent to: `[rm -f PATH;] mknod -m MODE PATH c MAJOR MINOR[; chown -h OWNER:GROUP PATH]`, after
 * checking PATH's folders and that the node is still `seen`. A failed chown takes the new node back.
 */
export function makeNodeCommand(path: string, seen: string, mode: string, devNumbers: string, owner: string): Command {
  const [major = "", minor = ""] = devNumbers.split(":");
  return run(["make", path, seen, mode, major, minor, owner]);
}

/** Equivalent to: `chown -h OWNER:GROUP PATH`, after the same checks. */
export function ownNodeCommand(path: string, seen: string, owner: string): Command {
  return run(["own", path, seen, owner]);
}

/** Equivalent to: `rm -f PATH` when PATH is a character device numbered `devNumbers`; else nothing. */
export function removeNodeCommand(path: string, devNumbers: string): Command {
  return run(["remove", path, devNumbers]);
}
