// The one program that changes a macvtap's device node on a host. Checking the node's folders and the
// node, then changing it, happen in one shell program, so nothing observed can change between the check
// and the change; and nothing it runs follows a symlink at the node (mknod -m, chown -h, mv, rm; no
// chmod).
// Why: whoever can write a folder on the way to the node (say the QEMU user it is made for) could swap
// the node for a link to /etc/shadow between root's stat and chown, and root would hand them that file.
// A folder not root-owned, or writable by group or others, is refused (naming tapDevicePath); with
// every folder safe, only root can change the node under us. The values are positional arguments, never
// part of the script's text.
import type { Command } from "../exec/runner";
import { noNode, nodeStatFormat } from "../model";

const unsafe = "whoever can change a folder on the way to the device node can swap the node for a link to any file, and root would change that file. Put the node in a folder only root can change, such as /dev or a folder of /run made by root with mode 0755";

/** The program, also installed beside the boot description's restore program (plan/bootFiles.ts). */
export const tapNodeProgram = `
export LC_ALL=C
set -f
die() { printf '%s\\n' "$*" >&2; exit 3; }
op=$1 path=$2 written=\${2%/*}
at="tapDevicePath $path"
# A folder (or a link to one) on the way to the node: root's alone.
check_folder() {
  info=$(stat -c '%u %a' -- "$1" 2>&1) || die "$at: cannot check $1: $info"
  uid=\${info%% *} mode=\${info#* }
  [ "$uid" = 0 ] || die "$at: $1 is owned by uid $uid, not root; ${unsafe}"
  [ -L "$1" ] || [ $((0$mode & 18)) = 0 ] || die "$at: $1 is writable by group or others (mode $mode); ${unsafe}"
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
# Another name for the node (a hard link, made by someone who could open it) keeps what a new owner or
# mode takes away, and opens whichever device gets these numbers next.
names_of_node() {
  links=$(stat -c %h -- "$node") || exit
  [ "$links" = 1 ] || other_names "$links" ""
}
other_names() {
  die "$at: the node has $1 names (hard links)$2; whoever made the others keeps access to it, and to the next device with these numbers. Remove them (find / -xdev -samefile $node) and run the operation again"
}
# The folder without its links: what the change acts on, so no link is followed after the check.
real=$(cd -P -- "\${written:-/}" 2>/dev/null && pwd -P) || {
  [ "$op" = remove ] && exit 0
  die "$at: there is no folder \${written:-/}"
}
node=\${real%/}/\${path##*/}
# Whether the node at the path is the one this package made: a character device (not a link) still with
# its numbers and, when known, the owner it last saw (not given away, or made for another, since). Sets
# links, its number of names.
ours() {
  info=$(stat -c '%t %T %h %u %g %F' -- "$node" 2>/dev/null) || return 1
  major=\${info%% *} rest=\${info#* }
  minor=\${rest%% *} rest=\${rest#* }
  links=\${rest%% *} rest=\${rest#* }
  uid=\${rest%% *} rest=\${rest#* }
  gid=\${rest%% *} type=\${rest#* }
  [ "$type" = "character special file" ] && [ "$((0x$major)):$((0x$minor))" = "$numbers" ] || return 1
  [ -z "$owner_ids" ] || [ "$uid $gid" = "$owner_ids" ]
}
if [ "$op" = remove ]; then
  numbers=$3 owner_ids=$4
  # A create cut off before it read the numbers: the device's own, from sysfs (this runs in the link's
  # namespace, before the link is deleted); no device, nothing known to be ours.
  if [ -z "$numbers" ]; then
    numbers=$(cat -- "/sys/class/net/$5/macvtap/tap$6/dev" 2>/dev/null) || exit 0
  elif [ -n "$5" ]; then
    # Another link took the name (this runs in its namespace): the node stays only while it is still
    # our device, the same ifindex with the same numbers (say its parent was renamed).
    [ "$(cat -- "/sys/class/net/$5/macvtap/tap$6/dev" 2>/dev/null)" = "$numbers" ] && exit 0
  fi
  # Nothing of ours there is nothing to do, wherever it is (a create that failed in a folder refused
  # below made nothing): this look only ever decides to do nothing, so a change after it is harmless.
  ours || exit 0
fi
check_folders "$written"
check_folders "$real"
if [ "$op" = remove ]; then
  # Again, now that only root can change the folder.
  ours || exit 0
  rm -f -- "$node" || exit
  [ "$links" = 1 ] || other_names "$links" ": this one is removed, the others remain"
  exit 0
fi
seen=$(stat -c '${nodeStatFormat}' -- "$node" 2>/dev/null) || seen=${noNode}
[ "$seen" = "$3" ] || die "$path changed while it was being set up (it is now: $seen); run the update again"
[ "$seen" = ${noNode} ] || names_of_node
case $op in
make)
  # Made beside the node and renamed over it: the node never goes missing, and on a failure the old
  # one stays as it was.
  new=$node.pi2-new
  rm -f -- "$new" || exit
  mknod -m "$4" -- "$new" c "$5" "$6" || exit
  if [ -n "$7" ] && ! said=$(chown -h -- "$7" "$new" 2>&1); then
    rm -f -- "$new"
    die "tapOwner/tapGroup \\"$7\\" of $path: $said"
  fi
  mv -f -- "$new" "$node" || { rm -f -- "$new"; exit 1; }
  ;;
own) said=$(chown -h -- "$4" "$node" 2>&1) || die "tapOwner/tapGroup \\"$4\\" of $path: $said" ;;
*) die "unknown operation $op" ;;
esac
`;

const run = (args: string[]): Command => ({ argv: ["sh", "-c", tapNodeProgram, "tap-node", ...args] });

/** "OWNER[:GROUP]" or ":GROUP" as chown takes them, or "" for neither. */
export function chownSpec(owner: string | undefined, group: string | undefined): string {
  return `${owner ?? ""}${group !== undefined ? `:${group}` : ""}`;
}

/**
 * Equivalent to: `mknod -m MODE NEW c MAJOR MINOR[; chown -h OWNER:GROUP NEW]; mv -f NEW PATH`, after
 * checking PATH's folders and that the node is still `seen` (and has no other names). On a failure
 * the new node goes and PATH stays as it was.
 */
export function makeNodeCommand(path: string, seen: string, mode: string, devNumbers: string, owner: string): Command {
  const [major = "", minor = ""] = devNumbers.split(":");
  return run(["make", path, seen, mode, major, minor, owner]);
}

/** Equivalent to: `chown -h OWNER:GROUP PATH`, after the same checks. */
export function ownNodeCommand(path: string, seen: string, owner: string): Command {
  return run(["own", path, seen, owner]);
}

/**
 * Equivalent to: `rm -f PATH` when PATH is a character device numbered `devNumbers` owned by
 * `ownerIds` ("UID GID"; "" for any owner); else nothing. Refused in a folder others can
 * change, like the changes; it fails too (after the removal) when the node had other names.
 */
export function removeNodeCommand(path: string, devNumbers: string, ownerIds = ""): Command {
  return run(["remove", path, devNumbers, ownerIds]);
}

/**
 * The same for a node whose numbers are not known: those macvtap NAME (ifindex IFINDEX) has, read in
 * its namespace when the program runs (`ip netns exec NETNS cat /sys/class/net/NAME/macvtap/...`);
 * nothing when it has none. Run before the link is deleted.
 */
export function removeLiveNodeCommand(path: string, link: { netns?: string; name: string; ifindex: number }): Command {
  return inNamespaceOf(link, run(["remove", path, "", "", link.name, String(link.ifindex)]));
}

/**
 * Equivalent to `removeNodeCommand`, except while the link NAME (ifindex IFINDEX) in its namespace is
 * still the device numbered `devNumbers`: for a refresh that found another link under the name, which
 * may be ours yet (its parent renamed), or a stranger that took the name after ours went.
 */
export function removeNodeUnlessLiveCommand(path: string, devNumbers: string, ownerIds: string, link: { netns?: string; name: string; ifindex: number }): Command {
  return inNamespaceOf(link, run(["remove", path, devNumbers, ownerIds, link.name, String(link.ifindex)]));
}

/** Run where the link lives, so /sys/class/net shows it. */
function inNamespaceOf(link: { netns?: string }, { argv }: Command): Command {
  return { argv: link.netns !== undefined ? ["ip", "netns", "exec", link.netns, ...argv] : argv };
}
