// The one DHCP program of a host (/etc/pulumi-iproute2/dhcp): a udhcpc per namespace and link, with a
// PID file and a lease file of its own in /run/pulumi-iproute2-dhcp (never the distribution's files,
// never one shared by two clients: the trap of `dhclient` and `dhcpcd`, whose paths are per link name
// only). udhcpc configures nothing itself: this program is its event program too, and adds only the
// leased address and the lease's default route (`proto dhcp`), so static addresses stay. Why udhcpc,
// and what was seen on the way: docs/dhcp.md. Values reach it as positional arguments, never as text.
import type { Command } from "../exec/runner";
import { bootFolder } from "../model";
import { installedProgram, type InstalledProgram } from "./installedProgram";

/** Where the program lives and keeps its files: tests give folders of their own (a shared host's are not theirs). */
export interface DhcpPaths {
  /** Its folder (/etc/pulumi-iproute2): the program is `dhcp` in it. */
  programFolder: string;
  /**
   * The runtime folder, with a PID and a lease file per client: /run/pulumi-iproute2-dhcp, not the
   * provider's own /run/pulumi-iproute2 (its SSH sockets: a private folder, mode 0700, it checks as such).
   */
  runtimeFolder: string;
  /** The systemd template unit, in /etc/systemd/system, where systemd is PID 1. */
  unitTemplate: string;
}

export const dhcpPaths: DhcpPaths = {
  programFolder: bootFolder,
  runtimeFolder: "/run/pulumi-iproute2-dhcp",
  unitTemplate: "pulumi-iproute2-dhcp@.service",
};

/** Seconds `start` waits for a first lease (it is no failure when none comes: the client goes on asking). */
export const dhcpLeaseWaitSeconds = 30;

/** Seconds `stop` waits for the client to release its lease and end, before it kills it. */
export const dhcpStopWaitSeconds = 10;

/** The check of a folder before root uses it, in the program and its launcher alike (`$unsafe` says why). */
const safeFolder = `# A folder only root can change: root's, not a symbolic link, not writable by group or others. With
# "or-gone", a folder gone before its stat (a teardown took it) returns 1 instead.
safe_folder() {
  [ -L "$1" ] && die "$1 is a symbolic link; $unsafe"
  info=$(stat -c '%u %a' -- "$1" 2>&1) || {
    [ "\${2-}" = or-gone ] && [ ! -e "$1" ] && [ ! -L "$1" ] && return 1
    die "cannot check $1: $info"
  }
  uid=\${info%% *} mode=\${info#* }
  [ "$uid" = 0 ] || die "$1 is owned by uid $uid, not root; $unsafe"
  [ $((0$mode & 18)) = 0 ] || die "$1 is writable by group or others (mode $mode); $unsafe"
}
`;

const program = `# pulumi-iproute2's DHCP program: one udhcpc per namespace and link, with files of its own, never the
# distribution's (Debian's default.script flushes every address of the link and writes the host's
# /etc/resolv.conf). Run by \`pulumi up\` (start, stop, status), by a systemd unit per client (run), at
# boot by the restore program (start), and by udhcpc at each of its events (bound, renew, deconfig...).
export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
set -f
umask 022
die() { printf '%s\\n' "$*" >&2; exit 3; }
here=#HERE#
self=$here/dhcp
runtime=#RUNTIME#
dir=$runtime
template=#TEMPLATE#
unit_file=/etc/systemd/system/$template
unsafe="whoever can change it could have root's DHCP client run another program, or write where root writes"

${safeFolder}# The runtime folders, made root's (mode 0755) where missing, and checked.
folders() {
  safe_folder /
  safe_folder "\${runtime%/*}"
  [ -d "$runtime" ] || [ -L "$runtime" ] || mkdir -m 0755 -- "$runtime" 2>/dev/null || [ -d "$runtime" ] || die "cannot make $runtime"
  safe_folder "$runtime"
}
# Names from the arguments: NETNS LINK, or one NETNS/LINK (a unit's instance); "-" is the host's namespace.
names() {
  if [ $# = 1 ]; then ns=\${1%/*} link=\${1#*/}; else ns=\${1-} link=\${2-}; fi
  case $ns in '' | */*) die "not a namespace: $ns" ;; esac
  case $link in '' | */* | *:*) die "not a link name: $link" ;; esac
  base=$dir/$ns:$link
  pidfile=$base.pid lease=$base.lease
}
in_ns() {
  if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}
# udhcpc, as Debian's udhcpc package installs it, or busybox's applet.
find_client() {
  if command -v udhcpc >/dev/null 2>&1; then
    client=udhcpc
  elif command -v busybox >/dev/null 2>&1 && busybox --list 2>/dev/null | grep -qx udhcpc; then
    client="busybox udhcpc"
  else
    printf '%s\\n' "udhcpc (the DHCP client) is missing on this host: install the Debian package udhcpc (apt-get install udhcpc)" >&2
    exit 4
  fi
}
systemd_runs() { [ -d /run/systemd/system ]; }
unit_name() { systemd-escape --template="$template" "$ns/$link"; }
# The namespace's identity, as /proc/PID/ns/net of a process in it reads.
ns_id() {
  if [ "$ns" = - ]; then stat -L -c %d:%i /proc/1/ns/net; else stat -L -c %d:%i "/run/netns/$ns"; fi 2>/dev/null
}
# Whether this link's client runs, its PID in $pid: the PID file's process is udhcpc with this very PID
# file, in the link's namespace (a PID used again by another process never passes).
alive() {
  pid=
  [ -f "$pidfile" ] || return 1
  read -r pid <"$pidfile" 2>/dev/null || [ -n "$pid" ] || return 1
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  # Root's: another user's process with a like command line (a PID used again) is never ours.
  [ "$(stat -c %u "/proc/$pid" 2>/dev/null)" = 0 ] || return 1
  command=$(tr '\\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  case " $command" in *" -p $pidfile "*) ;; *) return 1 ;; esac
  [ "$(stat -L -c %d:%i "/proc/$pid/ns/net" 2>/dev/null)" = "$(ns_id)" ]
}
# The address and the routes a lease put on the link, taken off (after a client that could not release).
unconfigure() {
  [ -f "$lease" ] || return 0
  address=$(sed -n 's/^address //p' "$lease") prefix=$(sed -n 's/^prefix //p' "$lease")
  if [ -n "$address" ] && [ -n "$prefix" ]; then in_ns ip addr del "$address/$prefix" dev "$link" 2>/dev/null; fi
  in_ns ip route flush dev "$link" proto dhcp 2>/dev/null
  rm -f -- "$lease" "$lease.new"
}
# Waits up to $1 seconds (in fifths) for \`$2\` to hold.
wait_for() {
  tries=$(($1 * 5))
  while ! $2; do
    [ "$tries" -gt 0 ] || return 1
    tries=$((tries - 1))
    sleep 0.2
  done
}
gone() { ! alive; }
leased() { [ -f "$lease" ] || gone; }

# Stops the link's client, which releases its lease (udhcpc -R); waits up to $1 seconds for it to end,
# then kills it and takes the lease's address off itself. Nothing running is success.
stop_client() {
  # Whatever the template file says: an instance may be loaded (restarting) after it went.
  if systemd_runs; then
    systemctl stop "$(unit_name)" 2>/dev/null
  fi
  if alive; then
    kill -TERM "$pid" 2>/dev/null
    if ! wait_for "$1" gone; then
      kill -KILL "$pid" 2>/dev/null
      wait_for 1 gone
    fi
  fi
  unconfigure
  rm -f -- "$pidfile"
}
# With the host's last client stopped (no PID or lease file left, under the lock the launcher took:
# no start is half-way), the program, the unit template and the runtime folder go, and the program's
# folder too when nothing else is in it (the restore program's parts keep it).
last_out() {
  set +f
  for other in "$dir"/*.pid "$dir"/*.lease; do
    [ -e "$other" ] && { set -f; return 0; }
  done
  set -f
  if [ -f "$unit_file" ]; then
    rm -f -- "$unit_file"
    if systemd_runs; then systemctl daemon-reload; fi
  fi
  rm -f -- "$self"
  rmdir -- "$dir" 2>/dev/null
  rmdir -- "$here" 2>/dev/null
  return 0
}

# The unit template, where systemd runs: written when it differs, then systemd told.
unit_text() {
  cat <<UNIT
[Unit]
Description=DHCP client of link %I (pulumi-iproute2)
After=pulumi-iproute2.service
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=$self run %I
Restart=on-failure
RestartSec=10
# SIGTERM to udhcpc alone (it releases its lease, then takes its address off); the rest after the timeout.
KillMode=mixed
TimeoutStopSec=15
UNIT
}
install_unit() {
  for folder in /etc /etc/systemd /etc/systemd/system; do safe_folder "$folder"; done
  text=$(unit_text)
  [ -f "$unit_file" ] && [ "$(cat "$unit_file")" = "$text" ] && return 0
  new=$unit_file.pi2-new.$$
  printf '%s\\n' "$text" >"$new" && mv -f -- "$new" "$unit_file" || { rm -f -- "$new"; die "cannot write $unit_file"; }
  systemctl daemon-reload
}

# Starts the link's client (stopping one left running first: never two), then waits up to $1 seconds
# for its first lease. No lease in time is no failure: the client goes on asking. At boot (with "boot"),
# from inside the restore unit its instances are ordered after: the unit is only queued, nothing waited for.
start_client() {
  # A TERM (a request that timed out) ends it through the EXIT trap below, not around it.
  trap 'exit 143' TERM
  # A start that fails before its client runs leaves nothing: no client, and with no other client on
  # the host, no program or folder either (it still holds the lock here). Not at boot: the restore
  # program holds no lock, and the clients it queued before this one (no PID file yet) need the program
  # and the template when systemd starts them.
  if [ "\${2-}" = boot ]; then trap 'stop_client 1' EXIT; else trap 'stop_client 1; last_out' EXIT; fi
  folders
  find_client
  in_ns ip link show dev "$link" >/dev/null 2>&1 || die "link $link is missing in $(where)"
  stop_client 5
  if systemd_runs; then
    install_unit
    if [ "\${2-}" = boot ]; then
      systemctl start --no-block "$(unit_name)" || die "systemctl start $(unit_name) failed"
      trap - EXIT
      return 0
    fi
    systemctl start "$(unit_name)" || die "systemctl start $(unit_name) failed"
  else
    # Its own session, every descriptor closed: nothing of the caller's (an SSH session) is held open.
    setsid -f sh "$self" run "$ns" "$link" </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- ||
      die "cannot start the DHCP client of $link"
  fi
  started() { alive; }
  wait_for 5 started || die "the DHCP client of $link in $(where) did not start (see the system log: udhcpc)"
  # Its PID file is there: a stop of another link's client no longer takes the program away.
  trap - EXIT
  exec 9<&-
  wait_for "$1" leased
  alive || die "the DHCP client of $link in $(where) ended (see the system log: udhcpc)"
}
where() { if [ "$ns" = - ]; then echo "the host's namespace"; else echo "netns $ns"; fi; }

# udhcpc in the foreground: a unit's main process, or under setsid. Rounds of 3 discovers 3 s apart, a
# new round 3 s after one goes unanswered (-A 3), not 20 (its default): a LAN that answers late (a
# switch port still listening, a server starting) is asked through the whole start's wait (30 s), in a
# new round (a new transaction) every 12 s; a longer round of one transaction (-t 10 -A 30) still
# missed a lease in dhcpOverSsh, whose LAN loses its first answers. With no server: 3 discovers every
# 12 s (3 per 29 s before), and a lease lost starts the rounds again.
run_client() {
  find_client
  export PI2_DHCP_NETNS="$ns" PI2_DHCP_LINK="$link"
  if [ "$ns" = - ]; then
    exec $client -f -R -S -A 3 -i "$link" -p "$pidfile" -s "$self"
  else
    exec ip netns exec "$ns" $client -f -R -S -A 3 -i "$link" -p "$pidfile" -s "$self"
  fi
}

# ---- udhcpc's events, in the link's namespace: env from udhcpc (formatted by it from the packet) ----
ipv4() {
  case $1 in *[!0-9.]* | '' | .* | *. | *..*) return 1 ;; esac
  case $1 in *.*.*.*.*) return 1 ;; *.*.*.*) return 0 ;; *) return 1 ;; esac
}
number() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }
event() {
  # udhcpc's $lease is the lease time; $lease is the lease file's path from here on.
  lease_time=\${lease-}
  ns=\${PI2_DHCP_NETNS:?} link=\${PI2_DHCP_LINK:?}
  names "$ns" "$link"
  [ "\${interface-}" = "$link" ] || die "udhcpc's interface \${interface-} is not $link"
  case $1 in
  bound | renew)
    ip=\${ip-} mask=\${mask-} router=\${router-} server=\${serverid-}
    router=\${router%% *}
    ipv4 "$ip" && number "$mask" && [ "$mask" -le 32 ] && number "$lease_time" || die "udhcpc gave no usable lease: ip=$ip mask=$mask lease=$lease_time"
    ipv4 "$router" || router=
    ipv4 "$server" || server=
    old=$(sed -n 's/^address //p' "$lease" 2>/dev/null) old_prefix=$(sed -n 's/^prefix //p' "$lease" 2>/dev/null)
    if [ -n "$old" ] && [ "$old/$old_prefix" != "$ip/$mask" ]; then ip addr del "$old/$old_prefix" dev "$link" 2>/dev/null; fi
    # The lease's lifetime on the address: the kernel drops it if the client dies and the lease runs out.
    ip addr replace "$ip/$mask" dev "$link" valid_lft "$lease_time" preferred_lft "$lease_time" || exit
    # The lease is recorded as soon as its address is on: stop and deconfig take that address off by it.
    printf 'format 1\\naddress %s\\nprefix %s\\ngateway %s\\nserver %s\\nlease %s\\nbound %s\\n' "$ip" "$mask" "$router" "$server" "$lease_time" "$(date +%s)" >"$lease.new" &&
      mv -f -- "$lease.new" "$lease"
    ip route flush dev "$link" proto dhcp 2>/dev/null
    if [ -n "$router" ]; then
      # A metric per link: two clients in one namespace each keep their default route. A gateway
      # outside the leased prefix (a /32 lease) is on the link all the same: onlink.
      index=$(cat "/sys/class/net/$link/ifindex")
      ip route replace default via "$router" dev "$link" proto dhcp metric $((1000 + index)) 2>/dev/null ||
        ip route replace default via "$router" dev "$link" proto dhcp metric $((1000 + index)) onlink || exit
    fi
    ;;
  deconfig)
    ns=- # in the namespace already
    unconfigure
    ;;
  leasefail | nak) ;;
  esac
}

case \${1-} in
bound | renew | deconfig | leasefail | nak) event "$1" ;;
start) names "\${2-}" "\${3-}"; start_client "\${4:-0}" ;;
boot) names "\${2-}" "\${3-}"; start_client 0 boot ;;
stop) names "\${2-}" "\${3-}"; stop_client "\${4:-10}"; last_out ;;
status)
  names "\${2-}" "\${3-}"
  if alive; then echo "client running"; else echo "client stopped"; fi
  [ ! -f "$lease" ] || cat -- "$lease"
  ;;
run) shift; names "$@"; run_client ;;
*) die "unknown operation \${1-}" ;;
esac
`;

/** The program as installed at `paths`, with its version line. */
export function dhcpProgram(paths: DhcpPaths = dhcpPaths): InstalledProgram {
  return installedProgram(
    program
      .replace("#HERE#", () => paths.programFolder)
      .replace("#RUNTIME#", () => paths.runtimeFolder)
      .replace("#TEMPLATE#", () => paths.unitTemplate),
  );
}

// Before the program runs as root, its folders are checked as the boot folder's are: / down to its own,
// root's, not links, not writable by group or others (whoever could change one could have root run
// anything). `start` installs it (from its standard input) when its version line differs; `stop` and
// `status` run it only where it is (no program: no client of ours).
const launcher = `export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
set -f
umask 022
die() { printf '%s\\n' "$*" >&2; exit 3; }
here=$1 version=$2 op=$3
shift 2
self=$here/dhcp
unsafe="whoever can change it could have root run any program"
${safeFolder}safe_folder /
rest=\${here#/} sofar=
while [ -n "$rest" ]; do
  sofar=$sofar/\${rest%%/*}
  case $rest in */*) rest=\${rest#*/} ;; *) rest= ;; esac
  if [ ! -e "$sofar" ] && [ ! -L "$sofar" ]; then
    [ "$op" = start ] || { [ "$op" = status ] && echo "client stopped"; exit 0; }
    mkdir -m 0755 -- "$sofar" 2>/dev/null || [ -d "$sofar" ] || die "cannot make $sofar"
  fi
  # Gone already (a teardown took it since): a start makes it again under the lock, below.
  safe_folder "$sofar" or-gone || { [ "$op" = start ] || { [ "$op" = status ] && echo "client stopped"; exit 0; }; break; }
done
# start and stop hold the folder's lock (the one the boot writer takes): a stop of the host's last client
# takes the program away, never while a start installs it or before a started client has its PID file.
# Until it is locked, a teardown may take the folder away at any moment: a start makes it again and goes
# round, a stop has nothing to stop. Locked, it must be the folder at the path (the same inode).
# (\`command exec\`: a plain exec whose file cannot be opened ends sh.)
if [ "$op" != status ]; then
  command -v flock >/dev/null 2>&1 || die "flock (Debian package util-linux) is missing on this host"
  held= why="it was taken away each time"
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if { command exec 9<"$here"; } 2>/dev/null; then
      flock -x -w 60 9 || die "another operation held $here for 60 s"
      locked=$(stat -L -c %d:%i "/proc/$$/fd/9")
      if [ -n "$locked" ] && [ "$(stat -L -c %d:%i -- "$here" 2>/dev/null)" = "$locked" ]; then
        held=1
        break
      fi
      exec 9<&-
    elif [ -e "$here" ] || [ -L "$here" ]; then
      die "cannot open $here"
    fi
    [ "$op" = start ] || exit 0
    mkdir -m 0755 -- "$here" 2>/dev/null || [ -d "$here" ] || { why="cannot make it"; continue; }
    safe_folder "$here" or-gone || continue
  done
  [ -n "$held" ] || die "cannot lock $here: $why"
fi
if [ "$op" = start ]; then
  if [ "$(sed -n 2p "$self" 2>/dev/null)" != "$version" ]; then
    # Beside its place under a name of this run's own (two starts may install at once), then renamed.
    new=$self.pi2-new.$$
    cat >"$new" && chmod 0755 "$new" && mv -f -- "$new" "$self" || { rm -f -- "$new"; die "cannot write $self"; }
  fi
elif [ ! -f "$self" ]; then
  [ "$op" = status ] && echo "client stopped"
  exit 0
fi
exec sh "$self" "$@"
`;

/** The namespace as the program takes it: "-" for the connection's own (no namespace name can be "-"). */
const nsArg = (netns: string | undefined) => netns ?? "-";

function launch(paths: DhcpPaths, args: string[], stdin?: string): Command {
  const installed = dhcpProgram(paths);
  return { argv: ["sh", "-c", launcher, "pulumi-iproute2-dhcp", paths.programFolder, installed.version, ...args], ...(stdin !== undefined && { stdin }) };
}

/**
 * Equivalent to: installing the program where its version differs, stopping a client of the link left
 * running, then `systemctl start pulumi-iproute2-dhcp@NETNS-LINK.service` where systemd is PID 1, else
 * `setsid -f ip netns exec NETNS udhcpc -f -R -S -A 3 -i LINK -p PIDFILE -s PROGRAM`; waits up to `waitSeconds`
 * for a first lease.
 */
export function dhcpStartCommand(netns: string | undefined, link: string, waitSeconds: number, paths: DhcpPaths = dhcpPaths): Command {
  return launch(paths, ["start", nsArg(netns), link, String(waitSeconds)], dhcpProgram(paths).text);
}

/**
 * Equivalent to: `systemctl stop` of the link's unit, or SIGTERM to its udhcpc (which releases the
 * lease); after `waitSeconds` a kill, and the lease's address taken off. No client is success.
 */
export function dhcpStopCommand(netns: string | undefined, link: string, waitSeconds: number, paths: DhcpPaths = dhcpPaths): Command {
  return launch(paths, ["stop", nsArg(netns), link, String(waitSeconds)]);
}

/** Equivalent to: `client running|stopped`, then the lease file's lines (state/dhcpLease.ts reads them). */
export function dhcpStatusCommand(netns: string | undefined, link: string, paths: DhcpPaths = dhcpPaths): Command {
  return launch(paths, ["status", nsArg(netns), link]);
}
