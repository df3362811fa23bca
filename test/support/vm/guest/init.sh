#!/bin/busybox sh
# /init of the test guest that build-guest.sh packs into its initramfs. It loads the virtio-net
# modules, configures eth0 from the kernel command line, pings one address a bounded number of times,
# prints exactly one result line to the serial console and powers off.
#
# Kernel command line (dotted names: the kernel keeps them out of init's environment and argv):
#   pi2.ip=10.88.0.3/24    address for eth0 (required)
#   pi2.ping=10.88.0.2     address to ping (required)
#   pi2.tries=10           ping attempts, one second apart, before giving up (default 10)
# Result line: `PI2-GUEST-PING-OK <details>` or `PI2-GUEST-PING-FAIL <reason>`.

/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
# Without a /dev/console node in the archive the kernel starts init with no stdio: open it ourselves.
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

finish() {
  echo "PI2-GUEST-PING-$1 $2"
  sync
  # ACPI power-off ends QEMU; if that fails, init exits, the kernel panics, and panic=-1 with
  # QEMU's -no-reboot ends it too.
  poweroff -f
  sleep 5
  exit 1
}

ip_cidr="" ping_target="" tries=10
read -r cmdline </proc/cmdline
for word in $cmdline; do
  case $word in
    pi2.ip=*) ip_cidr=${word#pi2.ip=} ;;
    pi2.ping=*) ping_target=${word#pi2.ping=} ;;
    pi2.tries=*) tries=${word#pi2.tries=} ;;
  esac
done
[ -n "$ip_cidr" ] || finish FAIL "no pi2.ip= on the kernel command line"
[ -n "$ping_target" ] || finish FAIL "no pi2.ping= on the kernel command line"

# Written by build-guest.sh from the kernel's modules.dep: dependencies first.
while read -r module; do
  insmod "/lib/modules/$module" || finish FAIL "insmod $module"
done </lib/modules/load-order

waited=0
while [ ! -e /sys/class/net/eth0 ]; do
  [ "$waited" -lt 50 ] || finish FAIL "no eth0 after 5 s (is the NIC virtio-net-pci?)"
  sleep 0.1
  waited=$((waited + 1))
done
mac=$(cat /sys/class/net/eth0/address)
ip link set lo up
ip link set eth0 up || finish FAIL "ip link set eth0 up"
ip addr add "$ip_cidr" dev eth0 || finish FAIL "ip addr add $ip_cidr dev eth0"

attempt=1
while [ "$attempt" -le "$tries" ]; do
  if ping -c 1 -W 1 "$ping_target" >/tmp/ping.out 2>&1; then
    rtt=$(sed -n 's/.*time=\([^ ]*\) ms.*/\1/p' /tmp/ping.out)
    finish OK "eth0 $mac $ip_cidr -> $ping_target attempt $attempt/$tries rtt ${rtt}ms"
  fi
  attempt=$((attempt + 1))
done
finish FAIL "eth0 $mac $ip_cidr -> $ping_target no reply in $tries attempts"
