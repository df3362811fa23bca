#!/usr/bin/env bash
# Manual proof, without Pulumi, that a QEMU guest can use a macvtap as its NIC: the guest built by
# build-guest.sh pings a macvlan that sits in another namespace on the same parent.
#
#   pi2vm-<pid>-lab   veth0 <-> veth1 (both up: a veth has no carrier while its peer is down)
#                     tap0: macvtap, mode bridge, on veth0   <- QEMU's virtio-net, via /dev/tap<ifindex>
#   pi2vm-<pid>-svc   mv0: macvlan, mode bridge, on veth0 (moved here), 10.88.0.2/24
#   guest             eth0 = tap0's MAC, 10.88.0.3/24, pings 10.88.0.2
#
# Needs root. Touches nothing outside the namespaces it makes, the /dev/tap node it may create and a
# scratch folder; all of them go on exit, also on failure or Ctrl-C.
# Exit status 0 when the guest prints PI2-GUEST-PING-OK.
#
# Settings (environment): PI2_GUEST_ACCEL (default tcg: software emulation; "kvm" where /dev/kvm
# works), PI2_GUEST_TIMEOUT (seconds to wait for the result line, default 90), PI2_GUEST_MACHINE
# (default q35), PI2_GUEST_SERIAL_LOG (keep the guest's serial console in this file; default: a
# scratch file, removed on exit).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
accel=${PI2_GUEST_ACCEL:-tcg}
timeout_s=${PI2_GUEST_TIMEOUT:-90}
machine=${PI2_GUEST_MACHINE:-q35}
lab=pi2vm-$$-lab
svc=pi2vm-$$-svc
service_ip=10.88.0.2
guest_cidr=10.88.0.3/24

log() { printf 'prove: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (it makes network namespaces and opens /dev/tapN)"

guest_paths=$(bash "$here/build-guest.sh")
kernel=$(sed -n 's/^PI2_GUEST_KERNEL=//p' <<<"$guest_paths")
initrd=$(sed -n 's/^PI2_GUEST_INITRD=//p' <<<"$guest_paths")
if [ ! -s "$kernel" ] || [ ! -s "$initrd" ]; then die "build-guest.sh printed no kernel and initramfs"; fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/pi2vm-$$.XXXXXX")
created_node=""
tap_devnum=""
qemu_pid=""
node_devnum() { # path -> "major:minor" of a character device
  printf '%d:%d' "0x$(stat -c %t "$1")" "0x$(stat -c %T "$1")"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  # The same process, unless an `ip netns exec` that forks stood between us and QEMU.
  if [ -s "$scratch/qemu.pid" ]; then kill "$(cat "$scratch/qemu.pid")" 2>/dev/null || true; fi
  # Only while it is still the node we made: the name may be the kernel's again by now.
  if [ -n "$created_node" ] && [ -c "$created_node" ] && [ "$(node_devnum "$created_node")" = "$tap_devnum" ]; then
    rm -f "$created_node"
  fi
  # Links first: `ip netns del` returns before the kernel dismantles the namespace, and until then
  # the macvtap and its /dev/tapN node live on, where the next run could find them.
  ip -n "$lab" link del tap0 2>/dev/null || true
  ip -n "$svc" link del mv0 2>/dev/null || true
  ip -n "$lab" link del veth0 2>/dev/null || true
  ip netns del "$svc" 2>/dev/null || true
  ip netns del "$lab" 2>/dev/null || true
  rm -rf "$scratch"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_lab() { ip netns exec "$lab" "$@"; }

log "namespaces $lab, $svc"
ip netns add "$lab"
ip netns add "$svc"
ip -n "$lab" link set lo up
ip -n "$svc" link set lo up
ip -n "$lab" link add veth0 type veth peer name veth1
ip -n "$lab" link set veth0 up
ip -n "$lab" link set veth1 up

ip -n "$lab" link add link veth0 name mv0 type macvlan mode bridge
ip -n "$lab" link set mv0 netns "$svc"
ip -n "$svc" addr add "$service_ip/24" dev mv0
ip -n "$svc" link set mv0 up

ip -n "$lab" link add link veth0 name tap0 type macvtap mode bridge
ip -n "$lab" link set tap0 up

# The tap device is named after the link's ifindex, which is per namespace; its sysfs entry is only
# visible from inside the namespace (ip netns exec mounts that namespace's sysfs).
ifindex=$(in_lab cat /sys/class/net/tap0/ifindex)
tap_mac=$(in_lab cat /sys/class/net/tap0/address)
tap_devnum=$(in_lab cat "/sys/class/net/tap0/macvtap/tap$ifindex/dev")
log "macvtap tap0: ifindex $ifindex, mac $tap_mac, char device $tap_devnum"

# devtmpfs makes /dev/tap<ifindex> by itself, but ifindexes repeat across namespaces, so an existing
# node may belong to another namespace's macvtap (or be left from a deleted one): trust it only when
# its numbers are ours. Without devtmpfs or udev there is no node at all: make it.
tap_node=/dev/tap$ifindex
if [ ! -e "$tap_node" ]; then
  log "no $tap_node: mknod c ${tap_devnum/:/ }"
  mknod -m 0600 "$tap_node" c "${tap_devnum%:*}" "${tap_devnum#*:}"
  created_node=$tap_node
elif [ ! -c "$tap_node" ] || [ "$(node_devnum "$tap_node")" != "$tap_devnum" ]; then
  # In /dev, not the scratch folder: /tmp is often mounted nodev.
  log "$tap_node is not char $tap_devnum (another namespace's tap$ifindex?): using a node of our own"
  tap_node=/dev/pi2vm-$$-tap$ifindex
  mknod -m 0600 "$tap_node" c "${tap_devnum%:*}" "${tap_devnum#*:}"
  created_node=$tap_node
fi
[ "$(node_devnum "$tap_node")" = "$tap_devnum" ] || die "$tap_node is $(node_devnum "$tap_node"), sysfs says $tap_devnum"
log "using $tap_node ($tap_devnum)"

serial=${PI2_GUEST_SERIAL_LOG:-$scratch/serial.log}
: >"$serial"
# shellcheck disable=SC2054 # commas inside -device and -netdev values, not between elements
qemu_args=(
  -M "$machine" -accel "$accel" -cpu max -smp 1 -m 256
  -nodefaults -no-user-config -display none -monitor none -no-reboot
  -serial "file:$serial"
  -pidfile "$scratch/qemu.pid"
  -kernel "$kernel" -initrd "$initrd"
  -append "console=ttyS0 quiet panic=-1 pi2.ip=$guest_cidr pi2.ping=$service_ip"
  -netdev tap,id=n0,fd=3
  -device "virtio-net-pci,netdev=n0,mac=$tap_mac"
)
log "qemu-system-x86_64 ${qemu_args[*]} 3<>$tap_node"
started=$(date +%s.%N)
# In the lab namespace, so nothing QEMU does can reach the host's; the fd alone carries the frames.
ip netns exec "$lab" qemu-system-x86_64 "${qemu_args[@]}" 3<>"$tap_node" >"$scratch/qemu.out" 2>&1 &
qemu_pid=$!
log "qemu pid $qemu_pid"

result=""
deadline=$(($(date +%s) + timeout_s))
while [ "$(date +%s)" -lt "$deadline" ]; do
  # Not anchored: a kernel message may share the line.
  result=$(grep -a -o -m1 -E 'PI2-GUEST-PING-(OK|FAIL).*' "$serial" || true)
  [ -n "$result" ] && break
  kill -0 "$qemu_pid" 2>/dev/null || break
  sleep 0.2
done
elapsed=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

if [ -z "$result" ]; then
  log "no result line after ${elapsed}s; QEMU said:"
  cat "$scratch/qemu.out" >&2
  log "serial console (last 40 lines):"
  tail -n 40 "$serial" >&2
  die "FAIL: no result from the guest"
fi
printf '%s\n' "${result%$'\r'}"
printf 'boot-to-result: %ss (accel %s, machine %s)\n' "$elapsed" "$accel" "$machine"
[[ $result == PI2-GUEST-PING-OK* ]] || { tail -n 40 "$serial" >&2; exit 1; }
