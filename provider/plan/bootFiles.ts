// The files a host keeps to replay its resources at boot, and the one program that writes them. Under
// /etc/pulumi-iproute2: parts/ (one per resource, plan/bootPart.ts), `restore` (replays them) and
// `tap-node` (the device node program, plan/tapNodeScript.ts); and the unit that runs `restore` at boot,
// /etc/systemd/system/pulumi-iproute2.service, enabled in multi-user.target, wherever systemd is
// installed (where it is not PID 1, as in a container, the unit is inert).
//
// Why one program, run as root under a lock: the unit is made from all parts (its ordering after the
// NICs the links need), so an operation that changes it, installs a program or removes the last part
// holds the lock alone; the others (most: a part that adds no NIC the unit names) hold it shared and
// run at once, with as few processes under it as they can (two: a stat and the rename). It checks that
// every folder it writes in is root's alone (whoever can change one could have root run anything at
// boot), writes each file beside its place and renames it there, and with the last part gone removes
// everything it made. Nothing is ever written outside those folders.
import type { Command } from "../exec/runner";
import { bootFolder, nodeStatFormat } from "../model";
import { installedProgram } from "./installedProgram";
import { tapNodeProgram } from "./tapNodeScript";

export const restoreProgramPath = `${bootFolder}/restore`;

/** Replays the parts at boot; the unit's ExecStart. Reads them as data, never as code. */
export const restoreProgram = `#!/bin/sh
# pulumi-iproute2's restore program: replays at boot the host networking that Pulumi stacks manage on
# this host, from the parts in /etc/pulumi-iproute2/parts (one per resource, each written and removed by
# its resource). pulumi-iproute2.service runs it; running it again is harmless, as whatever exists
# already is left as it is.
#
# A part is data, never code. Each line is a keyword and words without spaces. What runs: ip, reading
# a line's words with its own batch parser, for the lines \`link add\`, \`link set\`, \`addr add\`,
# \`route add\` and \`netns add\` only; the announce settings, written to /proc/sys; a vxlan's flood
# list, with \`bridge fdb append\` of the all-zero MAC only; and the tap node program beside this one. A
# part with any other line fails, and what it made is removed.
export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
set -f
umask 022
here=/etc/pulumi-iproute2
parts=$here/parts
statfmt='${nodeStatFormat}'

say() { printf '%s\\n' "$*"; }
# At the journal's err level: systemd reads a "<3>" prefix on a service's output.
complain() { printf '%s\\n' "$*" | sed 's/^/<3>/'; }

# Root runs what the parts say, so only what root alone can change is read.
root_only() {
  [ -L "$1" ] && { complain "$1 is a symbolic link: not read"; return 1; }
  info=$(stat -c '%u %a %F' -- "$1" 2>&1) || { complain "cannot check $1: $info"; return 1; }
  uid=\${info%% *} rest=\${info#* }
  mode=\${rest%% *} type=\${rest#* }
  [ "$uid" = 0 ] || { complain "$1 is owned by uid $uid, not root: not read"; return 1; }
  [ $((0$mode & 18)) = 0 ] || { complain "$1 is writable by group or others (mode $mode): not read"; return 1; }
  case $2 in
  folder) [ "$type" = directory ] || { complain "$1 is not a folder: not read"; return 1; } ;;
  file) [ "$type" = "regular file" ] || [ "$type" = "regular empty file" ] || { complain "$1 is not a regular file: not read"; return 1; } ;;
  esac
}
for folder in / /etc "$here" "$parts"; do
  root_only "$folder" folder || exit 1
done

where() { if [ "$1" = - ]; then say "the host's namespace"; else say "netns $1"; fi; }
ipn() {
  ns=$1
  shift
  if [ "$ns" = - ]; then ip "$@"; else ip -n "$ns" "$@"; fi
}
in_netns() {
  ns=$1
  shift
  if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}
netns_exists() { [ -e "/run/netns/$1" ]; }
link_exists() { ipn "$1" link show dev "$2" >/dev/null 2>&1; }

# What a part is about, for messages: "MacvlanLink mac1 in netns ns1".
describe() {
  resource= what=
  while IFS= read -r line || [ -n "$line" ]; do
    set -- $line
    case \${1-} in
    resource) resource=$2 ;;
    object)
      case $2 in
      netns) what=$3 ;;
      link) what="$4 in $(where "$3")" ;;
      esac
      break
      ;;
    esac
  done <"$1"
  say "\${resource:-part} $what"
}

# Whether a part's object is there already (0), can be made now (1), or waits for something that is
# not there yet, named in $waiting (2).
readiness() {
  waiting=
  while IFS= read -r line || [ -n "$line" ]; do
    set -- $line
    case \${1-} in
    object)
      case $2 in
      netns) netns_exists "$3" && return 0 ;;
      link) link_exists "$3" "$4" && return 0 ;;
      esac
      ;;
    needs)
      case $2 in
      netns) netns_exists "$3" || waiting="netns $3" ;;
      link) link_exists "$3" "$4" || waiting="link $4 in $(where "$3")" ;;
      esac
      ;;
    esac
  done <"$1"
  [ -n "$waiting" ] && return 2
  return 1
}

allowed() {
  case "$1 $2" in
  "link add" | "link set" | "addr add" | "route add" | "netns add") return 0 ;;
  esac
  return 1
}

# The ip lines queued for one namespace, run as one \`ip -batch\`.
batch= batch_ns=
flush() {
  [ -n "$batch" ] || return 0
  said=$(printf '%s' "$batch" | ipn "$batch_ns" -batch - 2>&1) || { error="ip -batch in $(where "$batch_ns"): $said"; batch=; return 1; }
  batch=
}
queue() {
  line_ns=$1
  shift
  allowed "$@" || { error="refused line: ip $*"; return 1; }
  if [ -n "$batch" ] && [ "$line_ns" != "$batch_ns" ]; then flush || return 1; fi
  batch_ns=$line_ns
  batch="$batch$*
"
}

# arp_notify and ndisc_notify of a link to 1, before it comes up: the kernel then tells its neighbours
# where its addresses are. The paths are written whole (sysctl would split a name with a dot).
announce() {
  said=$(in_netns "$1" sh -c '
    for knob in "/proc/sys/net/ipv4/conf/$1/arp_notify" "/proc/sys/net/ipv6/conf/$1/ndisc_notify"; do
      [ -e "$knob" ] || continue
      printf "1\\n" >"$knob" || exit 1
    done' announce "$2" 2>&1) || { error="setting arp_notify and ndisc_notify of $2: $said"; return 1; }
}

# One entry of a vxlan's flood list: frames to any MAC also go to the address (\`bridge\`: ip has no fdb).
flood_entry() {
  if [ "$1" = - ]; then
    said=$(bridge fdb append 00:00:00:00:00:00 dev "$2" dst "$3" 2>&1)
  else
    said=$(bridge -n "$1" fdb append 00:00:00:00:00:00 dev "$2" dst "$3" 2>&1)
  fi || { error="adding $3 to the flood list of $2: $said"; return 1; }
}

# A macvtap's device node, from its numbers in sysfs (they change every boot), with its owner and mode.
tap_node() {
  tap_ns=$1 dev=$2 path=$3 mode=$4 owner=$5
  index=$(in_netns "$tap_ns" cat "/sys/class/net/$dev/ifindex" 2>&1) || { error="reading the ifindex of $dev: $index"; return 1; }
  numbers=$(in_netns "$tap_ns" cat "/sys/class/net/$dev/macvtap/tap$index/dev" 2>&1) || { error="reading the device numbers of $dev: $numbers"; return 1; }
  [ "$path" = - ] && path=/dev/tap$index
  [ "$owner" = - ] && owner=
  # A node is only ever put in place of a node: never over a file, a folder or a link someone left there.
  if [ -e "$path" ] || [ -L "$path" ]; then
    [ ! -L "$path" ] && [ -c "$path" ] || { error="$path is there and is not a device node: left as it is"; return 1; }
  fi
  folder=\${path%/*}
  [ -d "\${folder:-/}" ] || mkdir -p -m 0755 -- "$folder" || { error="cannot make the folder $folder of $path"; return 1; }
  seen=$(stat -c "$statfmt" -- "$path" 2>/dev/null) || seen=absent
  said=$(sh "$here/tap-node" make "$path" "$seen" "$mode" "\${numbers%%:*}" "\${numbers#*:}" "$owner" 2>&1) || { error=$said; return 1; }
}

# A link's DHCP client, by the same program as at \`pulumi up\` (plan/dhcpProgram.ts), which \`up\` installed:
# \`boot\` waits for no lease, and where systemd runs only queues the link's unit (ordered after this one).
dhcp_client() {
  [ -f "$here/dhcp" ] || { error="the DHCP program $here/dhcp is missing (the next pulumi up installs it)"; return 1; }
  said=$(sh "$here/dhcp" boot "$1" "$2" 2>&1) || { error="starting the DHCP client of $2: $said"; return 1; }
}

# Makes a part's object and sets it up; on a failure, removes what it made (the object: deleting it
# takes the rest with it). \`add\` makes the object with the ifindex it had; when that ifindex is taken
# (something else got it first), \`anew\` makes it with another.
replay() {
  file=$1 error= made= retry= kind= object_ns= name= batch=
  exec 3<"$file"
  while IFS= read -r line <&3 || [ -n "$line" ]; do
    set -- $line
    case \${1-} in
    '' | '#'*) continue ;;
    format)
      [ "$2" = 1 ] || { error="it is in format $2, newer than this program's (1)"; break; }
      ;;
    resource | needs | link) ;;
    object)
      kind=$2
      if [ "$kind" = netns ]; then name=$3; else object_ns=$3 name=$4; fi
      ;;
    add | anew)
      [ "$1" = anew ] && [ -z "$retry" ] && continue
      verb=$1 line_ns=$2
      shift 2
      allowed "$@" || { error="refused line: ip $*"; break; }
      if said=$(printf '%s\\n' "$*" | ipn "$line_ns" -batch - 2>&1); then
        made=1 retry=
        [ "$verb" = anew ] && say "$(describe "$file"): its ifindex was taken; made with another"
      else
        case $verb:$said in
        add:*"File exists"*) retry=1 ;;
        *) error=$said; break ;;
        esac
      fi
      ;;
    ip)
      [ -n "$made" ] || { error="nothing was made before: ip $*"; break; }
      line_ns=$2
      shift 2
      queue "$line_ns" "$@" || break
      ;;
    announce)
      { flush && announce "$2" "$3"; } || break
      ;;
    fdb)
      [ -n "$made" ] || { error="nothing was made before: fdb $*"; break; }
      { flush && flood_entry "$2" "$3" "$4"; } || break
      ;;
    tap)
      { flush && tap_node "$2" "$3" "$4" "$5" "$6"; } || break
      ;;
    dhcp)
      [ -n "$made" ] || { error="nothing was made before: dhcp $*"; break; }
      { flush && dhcp_client "$2" "$3"; } || break
      ;;
    *)
      error="unknown line: $1"
      break
      ;;
    esac
  done
  exec 3<&-
  [ -z "$error" ] && flush
  [ -z "$error" ] && [ -n "$retry" ] && error="its ifindex is taken, and the part says no other way to make it"
  [ -z "$error" ] && [ -z "$made" ] && error="the part makes nothing"
  [ -z "$error" ] && return 0
  if [ -n "$made" ]; then
    case $kind in
    netns) ip netns del "$name" 2>/dev/null ;;
    link) ipn "$object_ns" link del dev "$name" 2>/dev/null ;;
    esac
  fi
  return 1
}

restored=0 present=0 failed=0 pending=
set +f
for part in "$parts"/*.part; do
  [ -e "$part" ] || [ -L "$part" ] || continue
  if root_only "$part" file; then pending="$pending $part"; else failed=$((failed + 1)); fi
done
set -f

# Passes until nothing more can be made: a part waits while what it needs (a namespace, a parent) is
# not there, so namespaces come first, then veth pairs, then children of any parent, in any nesting.
while [ -n "$pending" ]; do
  waiting_parts= progress=
  for part in $pending; do
    readiness "$part"
    case $? in
    0)
      present=$((present + 1)) progress=1
      say "$(describe "$part"): there already, left as it is"
      ;;
    1)
      progress=1
      if replay "$part"; then
        restored=$((restored + 1))
        say "$(describe "$part"): restored"
      else
        failed=$((failed + 1))
        complain "$(describe "$part"): not restored: $error"
      fi
      ;;
    *) waiting_parts="$waiting_parts $part" ;;
    esac
  done
  pending=$waiting_parts
  [ -n "$progress" ] || break
done
for part in $pending; do
  readiness "$part"
  failed=$((failed + 1))
  complain "$(describe "$part"): not restored: $waiting is missing"
done
say "pulumi-iproute2: $restored restored, $present there already, $failed failed"
[ "$failed" = 0 ]
`;

/** The unit, less the lines for each NIC a part's link needs. */
export const unitHead = `# Written by pulumi-iproute2 from /etc/pulumi-iproute2/parts: replays at boot the host networking that
# Pulumi stacks manage on this host. Rewritten with each part, removed with the last: edits are lost.
[Unit]
Description=Host networking managed by Pulumi (pulumi-iproute2)
Documentation=file:/etc/pulumi-iproute2/restore
# Where network managers start: after udev has named the NICs and anything that must run before the
# network (network-pre.target), before network.target and the daemons that start VMs and containers
# on these links (libvirt autostarts guests from its daemons, not only from libvirt-guests).
After=systemd-udevd.service network-pre.target systemd-sysctl.service systemd-modules-load.service
Before=network.target libvirtd.service virtqemud.service libvirt-guests.service docker.service
Wants=network.target
# Each NIC the links need as their parent, once udev has it (a missing one stops nothing: Wants).`;
export const unitTail = `
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/etc/pulumi-iproute2/restore
TimeoutStartSec=300

[Install]
WantedBy=multi-user.target`;

/**
 * Prints the unit from every part (read on its standard input): the head, a Wants= and After= on the
 * .device unit of each NIC the parts' links need, and the tail. The writer runs it; tests run it alone.
 */
export const unitProgram = `export LC_ALL=C
set -f
parts=$(cat)
# A Wants= and After= on the .device unit of each NIC a part's link needs as its parent in the host's
# namespace, and that no part makes (a veth end the unit itself makes has no .device to wait for).
made=$(printf '%s\\n' "$parts" | sed -n 's/^link - //p')
needed=$(printf '%s\\n' "$parts" | sed -n 's/^needs link - //p' | sort -u)
cat <<'UNIT_HEAD'
#UNIT_HEAD#
UNIT_HEAD
nics= both=
for name in $needed; do
  if printf '%s\\n' "$made" | grep -qxF -- "$name"; then
    both="$both $name"
    continue
  fi
  nics="$nics $name"
  device=$(systemd-escape --path --suffix=device "/sys/subsystem/net/devices/$name") || exit
  printf 'Wants=%s\\nAfter=%s\\n' "$device" "$device"
done
# The names it was made from, as they are: what the writer reads to know, with no process, whether a
# part changes the unit.
printf '%s\\n' "# The names this unit was made from: the NICs above, and the links the parts need and make."
printf '# NICs:%s\\n# Made:%s\\n' "$nics" "$both"
cat <<'UNIT_TAIL'
#UNIT_TAIL#
UNIT_TAIL
`
  // Functions, not strings, as replacements: a string's "$$" would lose a "$".
  .replace("#UNIT_HEAD#", () => unitHead)
  .replace("#UNIT_TAIL#", () => unitTail);

const restoreFile = installedProgram(restoreProgram);
const tapNodeFile = installedProgram(`# pulumi-iproute2's device node program, run by restore for each Macvtap.${tapNodeProgram}`);

const writer = `export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
set -f
umask 022
die() { printf '%s\\n' "$*" >&2; exit 3; }
here=/etc/pulumi-iproute2
parts=$here/parts
units=/etc/systemd/system
unit=$units/pulumi-iproute2.service
wants=$units/multi-user.target.wants
nl='
'
unsafe="whoever can change it could have root run any command at boot. Make it root's with mode 0755, or set persist: false"

# Each line of $1, as stat printed it with '%u %a %n %F', a folder only root can change: root's, not
# writable by group or others. Read with no process (it runs under the lock too).
check_stat() {
  rest=$1$nl
  while [ -n "$rest" ]; do
    line=\${rest%%"$nl"*}
    rest=\${rest#*"$nl"}
    uid=\${line%% *} line=\${line#* }
    mode=\${line%% *} line=\${line#* }
    name=\${line%% *} type=\${line#* }
    [ "$type" = directory ] || die "$name is not a folder; $unsafe"
    [ "$uid" = 0 ] || die "$name is owned by uid $uid, not root; $unsafe"
    [ $((0$mode & 18)) = 0 ] || die "$name is writable by group or others (mode $mode); $unsafe"
  done
}
# Folders only root can change, and not symbolic links. One stat for all of them (a write runs on
# every resource's create and update: its processes add up). One that is not is the end; one that
# cannot be checked (gone, say) returns 1, stat's words in $said.
check_folders() {
  for folder; do
    [ -L "$folder" ] && die "$folder is a symbolic link; $unsafe"
  done
  said=$(stat -c '%u %a %n %F' -- "$@" 2>&1) || return 1
  check_stat "$said"
}
# Made when missing, in a folder only root can change (so nobody else can make it first); 1 when it
# cannot be (or was taken away at once).
make_folder() {
  [ -e "$1" ] || [ -L "$1" ] || mkdir -m 0755 -- "$1" 2>/dev/null || [ -d "$1" ]
}
# $2 into file $1 (mode $3, default 0644), unless it says that already (not looked at when $4 says the
# caller compared); written beside it and renamed over it, so a reader (or a power cut) sees the old
# file or the new, never half of one. The folders are root's alone and locked; the name beside it ends
# with this process's id, so writers that hold the lock shared at once never write the same one.
install_file() {
  [ -n "\${4-}" ] || { [ -f "$1" ] && [ ! -L "$1" ] && [ "$(cat -- "$1")" = "$2" ] && return 1; }
  tmp="$1.pi2-new.$$"
  { printf '%s\\n' "$2" >"$tmp" && { [ -z "\${3-}" ] || chmod "$3" "$tmp"; } && mv -f -- "$tmp" "$1"; } || {
    rm -f -- "$tmp"
    die "cannot write $1"
  }
}
ipn() {
  ns=$1
  shift
  if [ "$ns" = - ]; then ip "$@"; else ip -n "$ns" "$@"; fi
}
systemd=
command -v systemctl >/dev/null 2>&1 && systemd=1
reload() { [ -n "$systemd" ] && [ -d /run/systemd/system ] && systemctl daemon-reload; return 0; }

# The lock is on the folder itself: the last part's removal takes the folder away, so a waiter that
# finds it gone locks it anew. Held shared (-s) by a run whose operations leave the unit and the
# programs as they are, so those runs go at once; alone (-x) by one that rewrites them or may tear down.
# Until it is locked, another operation's teardown may take the folder away at any moment (between its
# mkdir, its stat and its open): whatever of those finds it gone goes round again, and only a folder
# that fails the same way every round is an error. (\`command exec\`: a plain exec whose file cannot be
# opened ends sh.)
lock() {
  why=
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    # Only removes, and no folder: nothing to remove.
    [ -z "$writes" ] && [ ! -e "$here" ] && [ ! -L "$here" ] && exit 0
    make_folder "$here" || { why="cannot make it"; continue; }
    check_folders / /etc "$here" || { why="cannot check / /etc $here: $said"; continue; }
    { command exec 9<"$here"; } 2>/dev/null || { why="cannot open it"; continue; }
    flock "$1" -w 60 9 || die "another operation held $here for 60 s"
    # One stat for two checks: the folder at the path is the one locked (the same device and inode; a
    # folder gone prints no line), and parts/ in it (when there) root's alone.
    said=$(stat -L -c '%d:%i %u %a %n %F' -- "$here" "/proc/$$/fd/9" "$parts" 2>/dev/null)
    at_path= locked= parts_stat= rest=$said$nl
    while [ -n "$rest" ]; do
      line=\${rest%%"$nl"*}
      rest=\${rest#*"$nl"}
      case $line in
      *" $here "*) at_path=\${line%% *} ;;
      *" /proc/$$/fd/9 "*) locked=\${line%% *} ;;
      *" $parts "*) parts_stat=\${line#* } ;;
      esac
    done
    if [ -n "$at_path" ] && [ "$at_path" = "$locked" ]; then
      [ -L "$parts" ] && die "$parts is a symbolic link; $unsafe"
      if [ -n "$parts_stat" ]; then
        check_stat "$parts_stat"
      elif [ -n "$writes" ]; then
        make_folder "$parts" || die "cannot make $parts"
        check_folders "$parts" || die "cannot check $parts: $said"
      fi
      return 0
    fi
    exec 9<&-
    why="it was taken away while this operation waited for it, each time"
  done
  die "cannot lock $here: $why"
}
# From the lock held shared to the lock held alone. Not in place (flock would let go of it first
# anyway, and another operation may take the folder away meanwhile): let go, then lock anew.
lock_alone() {
  exec 9<&-
  lock -x
  alone=1
}

# The unit, from every part (the unit program reads them on its standard input).
unit_text() {
  set +f
  cat -- "$parts"/*.part | sh -c "$(cat <<'PI2_UNIT'
#UNIT_PROGRAM#
PI2_UNIT
)" pulumi-iproute2-unit
  made=$?
  set -f
  return $made
}
write_unit() {
  [ -n "$systemd" ] || return 0
  check_folders /etc/systemd "$units" || die "cannot check /etc/systemd $units: $said"
  make_folder "$wants" || die "cannot make $wants"
  check_folders "$wants" || die "cannot check $wants: $said"
  changed=
  text=$(unit_text) || die "cannot make the unit from $parts"
  # Never a unit cut short: one that runs nothing would stop every stack's replay on this host.
  case $text in *"
ExecStart=$here/restore
"*"
WantedBy=multi-user.target") ;; *) die "cannot make the unit from $parts (it came out incomplete)" ;; esac
  install_file "$unit" "$text" && changed=1
  if [ "$(readlink -- "$wants/pulumi-iproute2.service")" != "$unit" ]; then
    ln -sfn -- "$unit" "$wants/pulumi-iproute2.service" || die "cannot enable $unit"
    changed=1
  fi
  [ -z "$changed" ] || reload
}
# With the last part gone: the unit, its link, the programs, what a writer killed half-way left beside
# a part, a program or the unit (nobody else writes while this one holds the lock alone; this version's
# names and the fixed one of earlier versions), the folders.
teardown() {
  rm -f -- "$wants/pulumi-iproute2.service" "$unit" "$here/restore" "$here/tap-node"
  set +f
  rm -f -- "$parts"/*.pi2-new.* "$here"/*.pi2-new.* "$unit".pi2-new.* "$parts"/*.pi2-new "$here"/*.pi2-new "$unit".pi2-new
  set -f
  rmdir -- "$parts" 2>/dev/null
  rmdir -- "$here" 2>/dev/null
  reload
}
# Whether parts/ has a part.
any_part() {
  set +f
  for other in "$parts"/*.part; do
    [ -e "$other" ] || continue
    set -f
    return 0
  done
  set -f
  return 1
}

# The part's text as it is now, in $old, exactly as $(cat) would give it (trailing newlines dropped),
# read with no process: it is read under the lock.
read_part() {
  old=
  [ -f "$parts/$part" ] && [ ! -L "$parts/$part" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do old=$old$line$nl; done <"$parts/$part"
  while :; do
    case $old in *"$nl") old=\${old%"$nl"} ;; *) return 0 ;; esac
  done
}
# The links of the host's namespace that part text $1 needs ($needs) and makes ($makes), each between
# spaces: all that the unit is made from.
host_links() {
  needs=' ' makes=' ' rest=$nl$1
  while :; do
    case $rest in *"\${nl}needs link - "*) ;; *) break ;; esac
    rest=\${rest#*"\${nl}needs link - "}
    needs="$needs\${rest%%"$nl"*} "
  done
  rest=$nl$1
  while :; do
    case $rest in *"\${nl}link - "*) ;; *) break ;; esac
    rest=\${rest#*"\${nl}link - "}
    makes="$makes\${rest%%"$nl"*} "
  done
}
# Whether the unit stays as it is when this part's text goes from $old to $new ("" for none), judged
# with no process from what the unit records it was made from: the NICs it waits for (needed by a
# part, made by none) and the links parts need and make. The unit is only ever written by an operation
# holding the lock alone, from all parts, and each operation under the shared lock keeps both sets as
# they are, so the record is true of the parts while the lock is held. Anything not known to keep them
# is a change: a missing unit or record (one from an older version), a need dropped (another part may
# need it or not), a new need of a NIC the unit does not name, a new link the unit waits for, a link
# dropped that parts need.
unit_stays() {
  [ -n "$systemd" ] || return 0
  [ -f "$unit" ] && [ ! -L "$unit" ] && [ -L "$wants/pulumi-iproute2.service" ] || return 1
  nics= both=
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
    "# NICs:"*) nics="\${line#"# NICs:"} " ;;
    "# Made:"*) both="\${line#"# Made:"} " ;;
    esac
  done <"$unit"
  [ -n "$nics" ] && [ -n "$both" ] || return 1
  host_links "$old"
  old_needs=$needs old_makes=$makes
  host_links "$new"
  for name in $old_needs; do
    case $needs in *" $name "*) ;; *) return 1 ;; esac
  done
  for name in $needs; do
    case $old_needs$nics$both in *" $name "*) ;; *) return 1 ;; esac
  done
  for name in $old_makes; do
    case $makes in *" $name "*) continue ;; esac
    case $both in *" $name "*) return 1 ;; esac
  done
  for name in $makes; do
    case $old_makes in *" $name "*) continue ;; esac
    case $nics in *" $name "*) return 1 ;; esac
  done
  return 0
}
# Whether program $1 is not the version $2 (its second line says its version: read with no process).
outdated() {
  version=
  [ -f "$1" ] && [ ! -L "$1" ] && { read -r _ && read -r version; } <"$1"
  [ "$version" != "$2" ]
}
# The operations, numbered from 1: each an op (write or remove), a part's file and, for a write, its
# text ($op_N, $file_N, $new_N). One from the arguments (\`write FILE\` with the text on standard input,
# or \`remove FILE\`), or many from standard input (\`batch\`): a line "write FILE" or "remove FILE",
# then the text's lines, each after a "|" (so no line of a part can pass for an operation). A host's
# creates and deletes that finish together share one run: the lock, its checks and the unit once.
count=0 names=
# Text as $(cat) would give it: trailing newlines dropped.
trimmed() {
  text=$1
  while :; do
    case $text in *"$nl") text=\${text%"$nl"} ;; *) return 0 ;; esac
  done
}
add_op() {
  case $2 in '' | .* | */*) die "not a part's name: $2" ;; esac
  case $names in *"/$2/"*) die "$2 twice in one batch" ;; esac
  names=$names/$2/
  trimmed "$3"
  count=$((count + 1))
  eval "op_$count=\\$1 file_$count=\\$2 new_$count=\\$text"
}
# Each line read with no process (an undo, or a part whose values the provider could not read back).
read_text() {
  text=
  while IFS= read -r line || [ -n "$line" ]; do text=$text$line$nl; done
}
case \${1-} in
write) read_text && add_op write "\${2-}" "$text" ;;
remove) add_op remove "\${2-}" "" ;;
batch)
  verb= name= text=
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
    "|"*)
      [ -n "$verb" ] || die "a batch starts with an operation"
      text=$text\${line#|}$nl
      ;;
    "write "* | "remove "*)
      [ -z "$verb" ] || add_op "$verb" "$name" "$text"
      verb=\${line%% *} name=\${line#* } text=
      ;;
    *) die "not a line of a batch: $line" ;;
    esac
  done
  [ -z "$verb" ] || add_op "$verb" "$name" "$text"
  ;;
*) die "unknown operation \${1-}" ;;
esac
# Operation N's variables as $op, $part, $new.
load() { eval "op=\\$op_$1 part=\\$file_$1 new=\\$new_$1"; }
# Whether any operation writes: what the lock makes (the folders) and may install (the programs).
writes=
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  load "$i"
  [ "$op" = write ] && writes=1
done

# Before the lock, what needs none: the kernel's values a part pins (the links were made by this very
# operation, and no operation of this program changes them). Only where the text has markers: the
# provider fills them from what its create read back, and a part written back by an undo has its values.
pin() {
  # The kernel's values the part pins, for each link it makes, in order: #index1#, #mac1#, #index2#...
  count_links=0 content=$new
  while IFS=' ' read -r keyword ns name rest; do
    [ "$keyword" = link ] || continue
    count_links=$((count_links + 1))
    case $content in *"#index$count_links#"* | *"#mac$count_links#"*) ;; *) continue ;; esac
    shown=$(ipn "$ns" -o link show dev "$name" 2>&1) || die "cannot read $name: $shown"
    index=\${shown%%:*} mac=\${shown#* link/ether }
    mac=\${mac%% *}
    case $index in '' | *[!0-9]*) die "cannot read the ifindex of $name: $shown" ;; esac
    case $mac in '' | *[!0-9a-f:]*) die "cannot read the MAC of $name: $shown" ;; esac
    # Each marker replaced in the shell: no value ever becomes a program's text.
    for marker in "#index$count_links#:$index" "#mac$count_links#:$mac"; do
      value=\${marker#*#:} marker=\${marker%%:*}
      while :; do
        case $new in *"$marker"*) new=\${new%%"$marker"*}$value\${new#*"$marker"} ;; *) break ;; esac
      done
    done
  done <<PINS
$content
PINS
  case $new in *"#index"[0-9]*"#"* | *"#mac"[0-9]*"#"*) die "$part pins values of links it does not make" ;; esac
  eval "new_$1=\\$new"
}
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  load "$i"
  case $op:$new in write:*"#index"[0-9]*"#"* | write:*"#mac"[0-9]*"#"*) pin "$i" ;; esac
done

# Whether every operation leaves the unit as it is (each judged from the part as it is now).
all_stay() {
  i=0
  while [ "$i" -lt "$count" ]; do
    i=$((i + 1))
    load "$i"
    read_part
    [ "$op" = write ] || new=
    unit_stays || return 1
  done
}
# Whether this run must hold the lock alone: it installs a program, or an operation may change the unit.
must_be_alone() {
  if [ -n "$writes" ]; then
    outdated "$here/restore" "#RESTORE_VERSION#" && return 0
    outdated "$here/tap-node" "#TAP_NODE_VERSION#" && return 0
  fi
  all_stay && return 1
  return 0
}

# Operations on one host run at once, holding the lock shared, when they leave the unit and the
# programs as they are (the common case: a part that adds nothing the unit names). An operation that
# rewrites the unit, installs a program or may tear down holds it alone, so the unit is made from all
# parts as they are and seen whole. Judged under the shared lock (the unit and the parts cannot change
# then but by operations that also keep the unit as it is), then, when it must be alone, again under
# the lock held alone.
alone=
lock -s
must_be_alone && lock_alone
stays=
[ -n "$alone" ] && all_stay && stays=1
# The parts removed by one rm (a process each would add up over a destroy).
set --
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  load "$i"
  if [ "$op" = write ]; then
    read_part
    [ "$old" = "$new" ] || install_file "$parts/$part" "$new" "" compared
  else
    set -- "$@" "$parts/$part"
  fi
done
[ "$#" = 0 ] || rm -f -- "$@" || die "cannot remove $*"
if [ -n "$alone" ] && [ -n "$writes" ]; then
  if outdated "$here/restore" "#RESTORE_VERSION#"; then
    install_file "$here/restore" "$(cat <<'PI2_RESTORE'
#RESTORE#
PI2_RESTORE
)" 0755
  fi
  if outdated "$here/tap-node" "#TAP_NODE_VERSION#"; then
    install_file "$here/tap-node" "$(cat <<'PI2_TAP_NODE'
#TAP_NODE#
PI2_TAP_NODE
)" 0755
  fi
fi
if [ -n "$writes" ] || any_part; then
  [ -n "$alone" ] && [ -z "$stays" ] && write_unit
  exit 0
fi
# Maybe the last part: only an operation holding the lock alone tears down, once it finds no part.
# Two removing the last two parts at once each look after their own removal, so one of them at least
# finds none. Under the shared lock this removal was judged to leave the unit as it is: only the
# teardown is left to do.
if [ -z "$alone" ]; then
  lock_alone
  any_part && exit 0
fi
teardown
exit 0
`
  .replace("#UNIT_PROGRAM#", () => unitProgram)
  .replace("#RESTORE#\n", () => restoreFile.text)
  .replaceAll("#RESTORE_VERSION#", () => restoreFile.version)
  .replace("#TAP_NODE#\n", () => tapNodeFile.text)
  .replaceAll("#TAP_NODE_VERSION#", () => tapNodeFile.version);

const run = (args: string[], stdin?: string): Command => ({ argv: ["sh", "-c", writer, "pulumi-iproute2-boot", ...args], ...(stdin !== undefined && { stdin }) });

/**
 * Equivalent to: writing `text` to /etc/pulumi-iproute2/parts/FILE, with each link's `#indexN#` and
 * `#macN#` replaced by what the kernel has now, then the restore program and the unit as this package
 * has them.
 */
export function writePartCommand(file: string, text: string): Command {
  return run(["write", file], text);
}

/** Equivalent to: `rm -f /etc/pulumi-iproute2/parts/FILE`, and the unit and programs with the last part. */
export function removePartCommand(file: string): Command {
  return run(["remove", file]);
}

/** One operation on a part: its text written (markers are pinned as in writePartCommand), or it removed. */
export type PartOperation = { op: "write"; file: string; text: string } | { op: "remove"; file: string };

/**
 * Equivalent to: each operation in turn, as writePartCommand and removePartCommand do it, under one
 * lock, with the unit and the programs written at most once. Each part's file at most once.
 */
export function partOperationsCommand(operations: PartOperation[]): Command {
  const lines = operations.flatMap((o) => {
    if (/[\n/]/.test(o.file)) throw new Error(`not a part's name: ${JSON.stringify(o.file)}`);
    const text = o.op === "write" ? o.text.replace(/\n+$/, "").split("\n").map((line) => `|${line}`) : [];
    return [`${o.op} ${o.file}`, ...text];
  });
  return run(["batch"], `${lines.join("\n")}\n`);
}
