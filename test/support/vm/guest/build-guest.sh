#!/usr/bin/env bash
# Builds the test guest for the macvtap proof: a Debian cloud kernel and a small initramfs holding
# static busybox, the virtio-net modules and init.sh as /init. Prints two lines on stdout,
#   PI2_GUEST_KERNEL=<path>
#   PI2_GUEST_INITRD=<path>
# and logs to stderr. Everything goes to a per-user cache outside the repository, keyed by kernel
# release; a second run with the same inputs only checks and prints (under a second).
#
# Host tools (qemu-system-x86, cpio, kmod for depmod) are installed with apt-get when missing, which
# needs root. What goes into the guest (the kernel package, busybox-static) is downloaded as .deb with
# apt-get and unpacked into the cache, not installed: installing a kernel package runs initramfs and
# bootloader hooks on the host, and busybox-static conflicts with the busybox package a host may need.
#
# Settings (environment): PI2_GUEST_KERNEL_PACKAGE (default linux-image-cloud-amd64: the smallest
# Debian kernel with virtio-net, as a module), PI2_GUEST_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-iproute2/guest).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel_package=${PI2_GUEST_KERNEL_PACKAGE:-linux-image-cloud-amd64}
cache=${PI2_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-iproute2/guest}
# The NIC driver and its PCI transport; everything else they need comes from modules.dep.
root_modules=(virtio_net virtio_pci)

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

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
  command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
  command -v cpio >/dev/null || need+=(cpio)
  command -v depmod >/dev/null || need+=(kmod)
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

# Prints "<package> <candidate version>" for each package apt knows (one apt-cache call: each costs
# about half a second, and a cached run should stay short).
candidate_versions() {
  apt-cache policy "$@" 2>/dev/null | awk '
    /^[^ ].*:$/ { package = substr($0, 1, length($0) - 1) }
    /^ *Candidate: / && $2 != "(none)" { print package, $2 }'
}

# Prints "<package> <version>" for the versioned kernel image that a meta package such as
# linux-image-cloud-amd64 depends on ("Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)").
resolve_kernel_image() {
  local meta=$1 version=$2 image
  if [[ $meta =~ ^linux-image-[0-9] ]]; then
    echo "$meta $version"
    return
  fi
  image=$(apt-cache show "$meta=$version" |
    sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\) (= \([^)]*\)).*/\1 \2/p' | head -n1)
  [ -n "$image" ] || die "$meta $version depends on no linux-image-<release> (= <version>) package"
  echo "$image"
}

# Downloads package=version into the cache's debs/ (once) and prints the .deb's path.
fetch_deb() {
  local package=$1 version=$2 deb
  mkdir -p "$cache/debs"
  deb="$cache/debs/${package}_${version//:/%3a}_amd64.deb"
  if [ ! -s "$deb" ]; then
    log "downloading $package $version"
    local tmp
    # apt drops privileges to _apt for downloads: give it a folder it can reach (not under /root).
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/pi2-guest-download.XXXXXX")
    if id _apt >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then chown _apt "$tmp"; fi
    (cd "$tmp" && apt-get download -qq "$package=$version" >&2) || { rm -rf "$tmp"; die "apt-get download $package=$version failed"; }
    mv "$tmp"/*.deb "$deb"
    rm -rf "$tmp"
  fi
  echo "$deb"
}

# Prints the .ko paths (relative to the modules folder) that `modules` need, dependencies first,
# from modules.dep (lines "kernel/a.ko: kernel/b.ko kernel/c.ko").
modules_in_load_order() {
  local modules_dir=$1; shift
  awk -v roots="$*" '
    {
      key = $1; sub(/:$/, "", key)
      deps[key] = ""
      for (i = 2; i <= NF; i++) deps[key] = deps[key] " " $i
      name = key; sub(/.*\//, "", name); sub(/\.ko(\.[a-z]+)?$/, "", name)
      gsub(/-/, "_", name)
      path_of[name] = key
    }
    function visit(path,    n, list, i) {
      if (path in done) return
      if (path in visiting) { print "dependency cycle at " path > "/dev/stderr"; exit 1 }
      visiting[path] = 1
      n = split(deps[path], list, " ")
      for (i = 1; i <= n; i++) visit(list[i])
      done[path] = 1
      print path
    }
    END {
      n = split(roots, wanted, " ")
      for (i = 1; i <= n; i++) {
        if (!(wanted[i] in path_of)) { print "no module " wanted[i] " in modules.dep" > "/dev/stderr"; exit 1 }
        visit(path_of[wanted[i]])
      }
    }' "$modules_dir/modules.dep"
}

install_host_tools
# An empty or stale package list knows no candidates (apt-cache needs `apt-get update` first).
candidates=$(candidate_versions "$kernel_package" busybox-static)
if [ "$(wc -l <<<"$candidates")" -lt 2 ]; then
  apt_update_once
  candidates=$(candidate_versions "$kernel_package" busybox-static)
fi
kernel_package_version=$(awk -v p="$kernel_package" '$1 == p { print $2 }' <<<"$candidates")
busybox_version=$(awk '$1 == "busybox-static" { print $2 }' <<<"$candidates")
[ -n "$kernel_package_version" ] || die "no Debian package $kernel_package"
[ -n "$busybox_version" ] || die "no Debian package busybox-static"
read -r image_package image_version <<<"$(resolve_kernel_image "$kernel_package" "$kernel_package_version")"
release=${image_package#linux-image-}

out="$cache/$release"
kernel="$out/vmlinuz"
# The initramfs is keyed by everything that goes into it besides the kernel release.
inputs_hash=$(cat "$here/init.sh" "${BASH_SOURCE[0]}" <(echo "$image_version $busybox_version ${root_modules[*]}") |
  sha256sum | cut -c1-12)
initrd="$out/initrd-$inputs_hash.img"

if [ -s "$kernel" ] && [ -s "$initrd" ]; then
  log "cached: $release, initramfs $inputs_hash"
else
  kernel_deb=$(fetch_deb "$image_package" "$image_version")
  busybox_deb=$(fetch_deb busybox-static "$busybox_version")
  mkdir -p "$out"
  work=$(mktemp -d "$out/.build.XXXXXX")
  trap 'rm -rf "$work"' EXIT

  log "unpacking $image_package $image_version"
  dpkg-deb -x "$kernel_deb" "$work/kernel"
  modules_dir=""
  for candidate in "$work/kernel/lib/modules/$release" "$work/kernel/usr/lib/modules/$release"; do
    [ -d "$candidate" ] && modules_dir=$candidate && break
  done
  [ -n "$modules_dir" ] || die "$image_package has no lib/modules/$release"
  # The package ships no modules.dep (its postinst runs depmod); make it against the unpacked tree.
  depmod -b "${modules_dir%/lib/modules/"$release"}" "$release"

  initramfs="$work/initramfs"
  mkdir -p "$initramfs"/{bin,lib/modules,tmp}
  dpkg-deb -x "$busybox_deb" "$work/busybox"
  busybox=""
  for candidate in "$work/busybox/bin/busybox" "$work/busybox/usr/bin/busybox"; do
    [ -f "$candidate" ] && busybox=$candidate && break
  done
  [ -n "$busybox" ] || die "busybox-static $busybox_version has no bin/busybox"
  install -m 0755 "$busybox" "$initramfs/bin/busybox"
  install -m 0755 "$here/init.sh" "$initramfs/init"
  : >"$initramfs/lib/modules/load-order"
  while read -r module_path; do
    install -m 0644 "$modules_dir/$module_path" "$initramfs/lib/modules/"
    basename "$module_path" >>"$initramfs/lib/modules/load-order"
  done < <(modules_in_load_order "$modules_dir" "${root_modules[@]}")
  log "modules, in load order: $(tr '\n' ' ' <"$initramfs/lib/modules/load-order")"

  (cd "$initramfs" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc --owner=0:0 | gzip -n -6) >"$work/initrd.img"
  # Renames within one folder, so a concurrent run sees whole files or none.
  install -m 0644 "$work/kernel/boot/vmlinuz-$release" "$work/vmlinuz"
  mv "$work/vmlinuz" "$kernel"
  mv "$work/initrd.img" "$initrd"
  # Older initramfs builds for this kernel are stale now.
  find "$out" -maxdepth 1 -name 'initrd-*.img' ! -name "initrd-$inputs_hash.img" -delete
  log "built $release, initramfs $inputs_hash ($(du -h "$initrd" | cut -f1))"
fi

echo "PI2_GUEST_KERNEL=$kernel"
echo "PI2_GUEST_INITRD=$initrd"
