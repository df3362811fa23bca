#!/usr/bin/env bash
# Builds the test guest for the real-reboot proof: a small Debian bookworm with systemd, booted by
# QEMU from a qcow2 disk with the guest's own kernel and initramfs (systemdGuest.ts), reachable over
# SSH as root with a key, and rebootable. Prints on stdout
#   PI2_SYSGUEST_IMAGE=<base qcow2: start every boot on an overlay of it, it never changes>
#   PI2_SYSGUEST_KERNEL=<vmlinuz>
#   PI2_SYSGUEST_INITRD=<initrd.img>
#   PI2_SYSGUEST_CLIENT_KEY=<private key that root in the guest accepts>
#   PI2_SYSGUEST_HOST_KEY=<the guest's public host key, "ssh-ed25519 AAAA...", to pin>
# and logs a line per phase to stderr. Everything goes to a per-user cache outside the repository,
# keyed by a hash of this script, the package list, the kernel package's version and the keys; a
# second run with the same inputs only checks and prints (under a second). A build takes a few
# minutes, mostly mmdebstrap (then mkfs.ext4 -d and qemu-img), in a temporary folder renamed into
# place at the end, so a killed build leaves nothing that looks finished; the next build removes what
# it left, mounts included.
#
# What is in the guest, and why:
# - systemd (with networkd for DHCP from QEMU's user network, 10.0.2.15), udev, dbus, iproute2,
#   openssh-server, the cloud kernel (virtio drivers, veth, macvlan...) and initramfs-tools (the
#   initramfs mounts /dev/vda; MODULES=most, the default, holds virtio_blk, virtio_pci and ext4).
# - /etc/systemd/system/libvirtd.service: a stand-in for libvirtd, a oneshot in multi-user.target with
#   no ordering of its own, that runs /usr/local/sbin/pi2-probe to record, every boot, the network
#   state it starts with in /var/lib/pi2-probe/at-libvirtd.txt. The code under test orders its own
#   unit Before=libvirtd.service; the probe shows whether that ordering alone was enough.
# - Nothing that runs late work at boot (apt and dpkg timers, e2scrub, man-db: masked when present).
#
# Host tools (mmdebstrap, qemu-system-x86, qemu-utils, e2fsprogs, openssh-client) are installed with
# apt-get when missing; that and the build (mmdebstrap --mode=root: chroot and mounts) need root.
#
# Settings (environment): PI2_SYSGUEST_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-iproute2/systemd-guest), PI2_SYSGUEST_KERNEL_PACKAGE (default
# linux-image-cloud-amd64), PI2_SYSGUEST_MIRROR (default http://deb.debian.org/debian) and
# PI2_SYSGUEST_SECURITY_MIRROR (default http://deb.debian.org/debian-security): the mirrors the
# host's apt uses, since the kernel's version is the host's apt candidate (security updates included).
set -euo pipefail

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
suite=bookworm
kernel_package=${PI2_SYSGUEST_KERNEL_PACKAGE:-linux-image-cloud-amd64}
mirror=${PI2_SYSGUEST_MIRROR:-http://deb.debian.org/debian}
security_mirror=${PI2_SYSGUEST_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${PI2_SYSGUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-iproute2/systemd-guest}
# Besides the kernel (pinned to the candidate version below). Recommends are not installed.
packages=(systemd systemd-sysv udev dbus iproute2 openssh-server initramfs-tools kmod util-linux
  coreutils procps iputils-ping udhcpc dnsmasq-base)
# Timers a test guest does not need (apt, dpkg backups, scrubs, trims): under software emulation one
# of their runs costs tens of seconds of CPU, maybe in the middle of a test.
masked_units=(apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer man-db.timer
  e2scrub_all.timer e2scrub_reap.service fstrim.timer)
# What the initramfs needs to find and mount /dev/vda: in it or built into the kernel.
root_modules=(virtio_pci virtio_blk ext4)
# Free space on the guest's root file system besides what the packages take.
free_mib=300

log() { printf 'systemd-guest: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------------------------------------------
# The rootfs customisation, run by mmdebstrap's --customize-hook as `build.sh --customize ROOT KEYS`
# (the packages are installed and /proc, /sys and /dev are mounted in ROOT, so chroot works).
customize_rootfs() {
  local root=$1 keys=$2

  echo pi2-guest >"$root/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tpi2-guest\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  # QEMU's only disk; the kernel command line mounts it rw already, so no fsck at boot.
  printf '/dev/vda / ext4 rw 0 1\n' >"$root/etc/fstab"

  # SSH: the pinned host key only (openssh-server's postinst made rsa, ecdsa and ed25519 keys), root
  # with the test's key only.
  rm -f "$root"/etc/ssh/ssh_host_*
  install -m 0600 "$keys/host_ed25519" "$root/etc/ssh/ssh_host_ed25519_key"
  install -m 0644 "$keys/host_ed25519.pub" "$root/etc/ssh/ssh_host_ed25519_key.pub"
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$keys/client_ed25519.pub" "$root/root/.ssh/authorized_keys"
  # Debian's sshd_config includes sshd_config.d/*.conf first, and the first value of a setting wins.
  cat >"$root/etc/ssh/sshd_config.d/pi2.conf" <<'EOF'
# pulumi-iproute2 test guest: root logs in with the test's key only.
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF

  # The one virtio NIC (en* with udev's predictable names, eth* without), DHCP from QEMU's user network.
  cat >"$root/etc/systemd/network/20-pi2-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOF

  install -d -m 0755 "$root/usr/local/sbin" "$root/var/lib/pi2-probe"
  cat >"$root/usr/local/sbin/pi2-probe" <<'EOF'
#!/bin/sh
# Run by the stand-in libvirtd.service at every boot: records the network state that libvirtd would
# start with in /var/lib/pi2-probe/at-libvirtd.txt (overwritten each boot, by rename: a reader never
# sees half a file). Sections start with "## "; the first line is the boot id.
set -u
dir=/var/lib/pi2-probe
mkdir -p "$dir"
tmp="$dir/.at-libvirtd.txt.$$"
{
  echo "boot_id $(cat /proc/sys/kernel/random/boot_id)"
  echo "uptime $(cut -d' ' -f1 /proc/uptime)"
  echo "## ip -o link"
  ip -o link
  echo "## ip netns list"
  ip netns list
  for ns in $(ip netns list | cut -d' ' -f1); do
    echo "## ip -n $ns -o link"
    ip -n "$ns" -o link || echo "(ip -n $ns failed: $?)"
  done
} >"$tmp" 2>&1
sync "$tmp" 2>/dev/null || sync
mv -f "$tmp" "$dir/at-libvirtd.txt"
EOF
  chmod 0755 "$root/usr/local/sbin/pi2-probe"
  # Default dependencies (after sysinit.target and basic.target) and no ordering of its own.
  cat >"$root/etc/systemd/system/libvirtd.service" <<'EOF'
[Unit]
Description=Stand-in for libvirtd (pulumi-iproute2 reboot test): records the network state it starts with

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/pi2-probe

[Install]
WantedBy=multi-user.target
EOF

  # mmdebstrap keeps its --dpkgopt options in the guest; the path-excludes may stay, unsafe I/O not.
  sed -i '/^force-unsafe-io$/d' "$root/etc/dpkg/dpkg.cfg.d/99mmdebstrap"

  chroot "$root" systemctl enable --quiet systemd-networkd.service libvirtd.service
  local unit present=()
  for unit in "${masked_units[@]}"; do
    [ -e "$root/lib/systemd/system/$unit" ] && present+=("$unit")
  done
  [ ${#present[@]} -eq 0 ] || chroot "$root" systemctl mask --quiet "${present[@]}"
  chroot "$root" systemctl is-enabled --quiet ssh.service || die "ssh.service is not enabled in the guest"

  # The kernel's postinst made the initramfs; check it can mount the root disk.
  local release initrd_files module
  release=$(ls "$root/lib/modules")
  [ "$(wc -w <<<"$release")" = 1 ] || die "expected one kernel in the guest, found: $release"
  initrd_files=$(chroot "$root" lsinitramfs "/boot/initrd.img-$release")
  for module in "${root_modules[@]}"; do
    grep -Eq "/$module\.ko(\.[a-z]+)?$" "$root/lib/modules/$release/modules.builtin" && continue
    grep -Eq "/$module\.ko(\.[a-z]+)?$" <<<"$initrd_files" && continue
    die "$module is neither built into $release nor in its initramfs"
  done
}

if [ "${1:-}" = --customize ]; then
  customize_rootfs "$2" "$3"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------
apt_updated=false
apt_update_once() {
  "$apt_updated" && return
  [ "$(id -u)" = 0 ] || die "apt-get update is needed and needs root"
  log "apt-get update"
  apt-get update -qq >&2 || die "apt-get update failed"
  apt_updated=true
}

install_host_tools() {
  local need=()
  command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
  command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
  command -v qemu-img >/dev/null || need+=(qemu-utils)
  command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
  command -v ssh-keygen >/dev/null || need+=(openssh-client)
  [ ${#need[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || die "please install ${need[*]} (Debian packages); this needs root"
  apt_update_once
  log "installing ${need[*]}"
  local apt_log
  apt_log=$(mktemp)
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    rm -f "$apt_log"
    die "apt-get install ${need[*]} failed"
  fi
  rm -f "$apt_log"
}

# A fingerprint of what apt's candidate depends on: its package lists, sources and pins.
apt_fingerprint() {
  local files
  shopt -s nullglob
  files=(/var/lib/apt/lists/*_Packages* /etc/apt/sources.list /etc/apt/sources.list.d/* /etc/apt/preferences
    /etc/apt/preferences.d/*)
  shopt -u nullglob
  { echo "$kernel_package"; stat -c '%n %s %Y' "${files[@]}" 2>/dev/null || true; } | sha256sum | cut -c1-16
}

# Prints the kernel package's candidate version. `apt-cache policy` takes most of a second here (it
# rebuilds apt's cache in memory each time), so the answer is kept per apt fingerprint: a cached run
# stays well under a second, and any change to apt's lists or sources asks again.
kernel_candidate() {
  local memo version
  memo="$cache/apt-candidate/$(apt_fingerprint)"
  if [ -s "$memo" ]; then
    cat "$memo"
    return
  fi
  version=$(apt-cache policy "$kernel_package" 2>/dev/null | awk '/^ *Candidate: / && $2 != "(none)" { print $2 }')
  [ -n "$version" ] || return 0
  mkdir -p "$cache/apt-candidate"
  rm -f "$cache/apt-candidate"/*
  echo "$version" >"$memo.tmp.$$" && mv "$memo.tmp.$$" "$memo"
  echo "$version"
}

# The client key (root in the guest accepts it) and the guest's host key (the client pins it), made
# once: a rebuilt image keeps them, so known_hosts entries and running tests stay valid.
ensure_keys() {
  local name
  install -d -m 0700 "$keys"
  for name in client_ed25519 host_ed25519; do
    [ -s "$keys/$name" ] && [ -s "$keys/$name.pub" ] && continue
    log "generating $name"
    rm -f "$keys/.$name.tmp" "$keys/.$name.tmp.pub"
    ssh-keygen -q -t ed25519 -N '' -C "pi2-sysguest-${name%_ed25519}" -f "$keys/.$name.tmp" </dev/null >/dev/null
    chmod 0600 "$keys/.$name.tmp"
    mv "$keys/.$name.tmp.pub" "$keys/$name.pub"
    mv "$keys/.$name.tmp" "$keys/$name"
  done
}

keys_present() {
  local name
  for name in client_ed25519 client_ed25519.pub host_ed25519 host_ed25519.pub; do
    [ -s "$keys/$name" ] || return 1
  done
}

inputs_hash() {
  cat "$self" <(echo "$suite $mirror $security_mirror ${packages[*]} $kernel_package=$kernel_version") \
    "$keys/client_ed25519.pub" "$keys/host_ed25519.pub" | sha256sum | cut -c1-12
}

complete() { [ -s "$1/base.qcow2" ] && [ -s "$1/vmlinuz" ] && [ -s "$1/initrd.img" ]; }

# rm -rf of a build folder, made safe for one whose mmdebstrap was killed: that can leave /proc, /sys
# and /dev mounted inside the rootfs, so unmount those (deepest first) and never cross into another
# file system.
remove_tree() {
  local dir=$1 mount_point
  [ -e "$dir" ] || return 0
  while read -r mount_point; do
    umount -l "$mount_point" 2>/dev/null || true
  done < <(awk -v prefix="$dir/" 'index($5, prefix) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$dir"
}

build() {
  local out=$1 work rootfs release used size free
  local include
  include=$(IFS=,; echo "${packages[*]},$kernel_package=$kernel_version")
  work=$(mktemp -d "$cache/.build.XXXXXX")
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "remove_tree '$work'" EXIT
  rootfs="$work/rootfs"

  log "mmdebstrap $suite with ${packages[*]} $kernel_package=$kernel_version (1-3 minutes)"
  local started=$SECONDS
  # mmdebstrap's own temporary files (its gpg home...) go into the build folder too, so that what a
  # killed build leaves is removed with it.
  mkdir "$work/tmp"
  # --variant=apt: the Essential packages and apt, then --include. No docs, man pages or translations.
  # force-unsafe-io: dpkg skips an fsync per file, the bulk of the unpacking time; a build that dies
  # is thrown away anyway, and the customisation drops the option from the guest's dpkg.cfg.d.
  if ! TMPDIR="$work/tmp" mmdebstrap --mode=root --variant=apt --format=directory \
    --aptopt='Apt::Install-Recommends "false"' --dpkgopt=force-unsafe-io \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --include="$include" \
    --customize-hook="bash $(printf %q "$self") --customize \"\$1\" $(printf %q "$keys")" \
    "$suite" "$rootfs" \
    "deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security_mirror $suite-security main" \
    >"$work/mmdebstrap.log" 2>&1; then
    tail -n 40 "$work/mmdebstrap.log" >&2
    die "mmdebstrap failed"
  fi
  release=$(ls "$rootfs/lib/modules")
  log "rootfs done in $((SECONDS - started)) s: kernel $release, $(du -sxh "$rootfs" | cut -f1)"
  # A fixed machine id: with none, every boot of a fresh overlay is a "first boot" (presets applied,
  # systemd-firstboot's conditions met), which a test guest should not depend on.
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$rootfs/etc/machine-id"
  echo >>"$rootfs/etc/machine-id"

  mkdir "$work/out"
  install -m 0644 "$rootfs/boot/vmlinuz-$release" "$work/out/vmlinuz"
  install -m 0644 "$rootfs/boot/initrd.img-$release" "$work/out/initrd.img"
  echo "$release" >"$work/out/kernel-release"

  used=$(du -sxm "$rootfs" | cut -f1)
  # The files, ~10% for ext4's inode tables and directories, 64 MiB of journal, and the free space.
  size=$((used + used / 10 + 64 + free_mib))
  log "mkfs.ext4 -d: ${size} MiB image"
  truncate -s "${size}M" "$work/root.raw"
  mkfs.ext4 -q -F -L pi2-root -d "$rootfs" "$work/root.raw" >&2
  free=$(dumpe2fs -h "$work/root.raw" 2>/dev/null |
    awk -F: '/^Free blocks:/ { b = $2 } /^Block size:/ { s = $2 } END { printf "%d", b * s / 1048576 }')
  log "qemu-img convert to compressed qcow2 (root file system: ${free} MiB free)"
  qemu-img convert -q -c -f raw -O qcow2 "$work/root.raw" "$work/out/base.qcow2"
  chmod 0644 "$work/out/base.qcow2"
  # One rename: a concurrent or later run sees the whole build or none.
  mv "$work/out" "$out"
  log "built $(basename "$out"): $(du -h "$out/base.qcow2" | cut -f1) image, kernel $release"
}

install_host_tools
mkdir -p "$cache"
keys="$cache/keys"
if ! keys_present; then
  exec 9>"$cache/.lock"
  flock 9
  ensure_keys
  flock -u 9
fi

kernel_version=$(kernel_candidate)
if [ -z "$kernel_version" ]; then
  # An empty or stale package list knows no candidates (apt-cache needs `apt-get update` first).
  apt_update_once
  kernel_version=$(kernel_candidate)
fi
[ -n "$kernel_version" ] || die "no Debian package $kernel_package"
key=$(inputs_hash)
out="$cache/$key"

if complete "$out"; then
  log "cached: $key (kernel $(cat "$out/kernel-release" 2>/dev/null || echo "?"))"
else
  # One build at a time per cache; the lock holder also clears what killed builds left.
  exec 9>"$cache/.lock"
  flock 9
  if complete "$out"; then
    log "cached: $key (built by a concurrent run)"
  else
    # The kernel is pinned to the host's candidate; make sure the mirror still has it (a security
    # mirror keeps only the newest) by refreshing apt's lists before a minute-long build.
    apt_update_once
    kernel_version=$(kernel_candidate)
    [ -n "$kernel_version" ] || die "no Debian package $kernel_package"
    key=$(inputs_hash)
    out="$cache/$key"
    for leftover in "$cache"/.build.*; do
      [ -e "$leftover" ] && { log "removing $leftover (a killed build)"; remove_tree "$leftover"; }
    done
    if ! complete "$out"; then
      remove_tree "$out"
      build "$out"
    fi
    # Builds for other inputs are stale now.
    for stale in "$cache"/*; do
      if ! [[ $(basename "$stale") =~ ^[0-9a-f]{12}$ ]] || [ "$stale" = "$out" ]; then continue; fi
      log "removing stale build $(basename "$stale")"
      remove_tree "$stale"
    done
  fi
  flock -u 9
fi

echo "PI2_SYSGUEST_IMAGE=$out/base.qcow2"
echo "PI2_SYSGUEST_KERNEL=$out/vmlinuz"
echo "PI2_SYSGUEST_INITRD=$out/initrd.img"
echo "PI2_SYSGUEST_CLIENT_KEY=$keys/client_ed25519"
echo "PI2_SYSGUEST_HOST_KEY=$(cut -d' ' -f1,2 "$keys/host_ed25519.pub")"
