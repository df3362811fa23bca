#!/usr/bin/env bash
# Installs what this repository needs on a fresh machine of our kind (Debian, Node 20, Go): Debian
# packages for the tests and the demo, the npm dependencies, and the Pulumi CLI (cached per user).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
# The VM test: QEMU, and what build-guest.sh needs to assemble the guest's initramfs.
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v cpio >/dev/null || need+=(cpio)
command -v depmod >/dev/null || need+=(kmod)
# The SSH tests: real sshd hosts (started by the tests inside namespaces; none on this machine itself).
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v nc >/dev/null || need+=(netcat-openbsd)
command -v nsenter >/dev/null || need+=(util-linux)
command -v sudo >/dev/null || need+=(sudo)
# The boot description's unit: systemd-escape names a NIC's .device unit, systemd-analyze checks the unit.
command -v systemd-escape >/dev/null || need+=(systemd)
command -v flock >/dev/null || need+=(util-linux)
# DHCP (issue #24): the client each link with `dhcp` runs (busybox's udhcpc), and the DHCP server the
# tests run in a namespace of their own (dnsmasq-base: the binary alone, no service, no configuration).
command -v udhcpc >/dev/null || need+=(udhcpc)
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: please install ${need[*]} (Debian packages); this needs root" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  # No service may start on this machine itself (openssh-server would start an sshd listening on its
  # interfaces): Debian's policy-rc.d says no to every start while the packages install.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/install-pulumi.sh >/dev/null
