#!/usr/bin/env bash
# Puts a Pulumi CLI that matches the installed @pulumi/pulumi on this machine, with the Node.js
# language host (which runs `pulumi up` of a TypeScript project) and the dynamic-provider plugin, and
# prints the folder that holds them (the last line of stdout), for callers to put first on PATH.
#
# A user who already has a compatible `pulumi` on PATH keeps it, and a language host on PATH is used
# as it is. What is missing is built from the Go module proxy (the release downloads are not reachable
# from our machines) into a per-user cache keyed by version, so only the first run is slow. Nothing is
# fetched from anywhere but the Go module proxy (and its checksum database).
# Use: bin=$(bash scripts/install-pulumi.sh) && export PATH="$bin:$PATH"
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
log() { printf 'install-pulumi: %s\n' "$*" >&2; }

# The engine matching the SDK: the installed @pulumi/pulumi, or (before `npm ci`) the version this
# repository develops and tests with, pinned in package.json's devDependencies (users bring their own
# SDK: the package names it as a peer, by a range).
sdk_version=${PULUMI_VERSION:-$(node -e '
  const [root] = process.argv.slice(1);
  let version;
  try { version = require(require.resolve("@pulumi/pulumi/package.json", { paths: [root] })).version; }
  catch { version = require(`${root}/package.json`).devDependencies["@pulumi/pulumi"]; }
  if (!/^\d+\.\d+\.\d+$/.test(version ?? "")) { console.error(`no exact @pulumi/pulumi version in ${root}/package.json`); process.exit(1); }
  console.log(version);' "$root")}
tag="v${sdk_version#v}"
cache=${PULUMI_IPROUTE2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-iproute2}
bin="$cache/pulumi-$tag/bin"
# The official Node.js language host. From v3.90.0 on it is a Go module of its own
# (.../sdk/nodejs/cmd/pulumi-language-nodejs/v3), which the module proxy we reach refuses; up to
# v3.68.0 it is a package inside the sdk module, which is served. The engine talks to this older host
# through the calls both know (docs/engine.md says what it lacks).
langhost_tag=v3.68.0
langhost_package=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs

work_dirs=()
trap 'rm -rf "${work_dirs[@]}"' EXIT

# We run what we build here, so no other user may be able to change it: the cache folder and every
# folder above it must belong to us or root and be writable by no one else (a sticky folder like /tmp
# may be above it, not be it).
check_private_path() {
  local dir=$1 uid
  uid=$(id -u)
  while [ -n "$dir" ] && [ "$dir" != / ]; do
    if [ -e "$dir" ] || [ -L "$dir" ]; then
      local owner mode
      owner=$(stat -c %u "$dir") mode=$(stat -c %a "$dir")
      if [ -L "$dir" ] || { [ "$owner" != "$uid" ] && [ "$owner" != 0 ]; } \
         || { (( 8#$mode & 8#022 )) && { [ "$dir" = "$1" ] || ! (( 8#$mode & 8#1000 )); }; }; then
        log "refusing the cache folder $1: $dir is a symlink, or another user's, or writable by others (set PULUMI_IPROUTE2_CACHE to a private folder)"
        exit 1
      fi
    fi
    dir=$(dirname "$dir")
  done
}
check_private_path "$cache"
mkdir -p -m 0700 "$cache"

version_at_least() { # $1 >= $2, both "3.x.y"
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

# Builds Go package $3 into file $1 (ldflags $2) through a throwaway wrapper module that requires the
# modules named after it (path@version) and copies the first one's non-local replace lines: `go
# install` refuses modules whose go.mod has replace lines, and a local one (sdk => ../sdk) would point
# into nothing (the wrapper requires that sdk release instead).
build_go() {
  local out=$1 ldflags=$2 package=$3 work gomod
  shift 3
  command -v go >/dev/null || { log "Go is needed to build $package and is not on PATH"; exit 1; }
  work=$(mktemp -d)
  work_dirs+=("$work")
  gomod=$(cd "$work" && go mod download -json "$1" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const info = JSON.parse(s);
      if (info.Error) { console.error(info.Error); process.exit(1); }
      console.log(info.GoMod);
    });')
  {
    echo "module pulumi-iproute2-build"
    echo
    grep -m1 '^go ' "$gomod"
    echo
    grep -E '^replace .* => [^.]' "$gomod" || true
    echo
    echo "require ("
    local module
    for module in "$@"; do printf '\t%s %s\n' "${module%@*}" "${module#*@}"; done
    echo ")"
  } >"$work/go.mod"
  printf '//go:build tools\n\npackage build\n\nimport _ "%s"\n' "$package" >"$work/tools.go"
  mkdir -p "$(dirname "$out")"
  (
    cd "$work"
    GOFLAGS=-mod=mod go mod tidy >&2
    GOFLAGS=-mod=mod go build -trimpath -o "$work/out" -ldflags "$ldflags" "$package" >&2
  )
  mv "$work/out" "$out.$$" && mv -f "$out.$$" "$out" # a whole binary or none, even with two runs at once
}

# 1. The CLI: a compatible one already on PATH (a real user's machine; found without our own folder,
# which may hold a link to it), else ours, built once.
path_without_bin=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$bin" | paste -sd: -) || path_without_bin=""
cli_dir=""
if [ -z "${PULUMI_IPROUTE2_FORCE_BUILD:-}" ] && existing=$(PATH=$path_without_bin command -v pulumi 2>/dev/null); then
  have=$("$existing" version 2>/dev/null | sed 's/^v//') || have=""
  if [ -n "$have" ] && [ "${have%%.*}" = 3 ] && version_at_least "${have%%-*}" "${tag#v}"; then
    log "using pulumi $have from $(dirname "$existing")"
    cli_dir=$(dirname "$existing")
  elif [ -n "$have" ]; then
    log "pulumi $have on PATH is not a 3.x at or above ${tag#v}; building $tag"
  fi
fi
if [ -z "$cli_dir" ]; then
  if ! { [ -x "$bin/pulumi" ] && [ ! -L "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "$tag" ]; }; then
    log "building pulumi $tag from the Go module proxy (first run only; about 8 minutes)"
    start=$(date +%s)
    rm -f "$bin/pulumi"
    build_go "$bin/pulumi" "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$tag" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "github.com/pulumi/pulumi/pkg/v3@$tag" "github.com/pulumi/pulumi/sdk/v3@$tag"
    log "built pulumi $("$bin/pulumi" version) in $(( $(date +%s) - start ))s"
  fi
  cli_dir=$bin
fi

# 2. The plugins the CLI starts by name: the user's, next to their CLI or on PATH; else ours, in $bin
# (the shim is copied afresh each time, the language host is built once).
missing=()
have_plugin() {
  { [ "$cli_dir" != "$bin" ] && [ -x "$cli_dir/$1" ]; } || PATH=$path_without_bin command -v "$1" >/dev/null 2>&1
}
have_plugin pulumi-language-nodejs || missing+=(pulumi-language-nodejs)
have_plugin pulumi-resource-pulumi-nodejs || missing+=(pulumi-resource-pulumi-nodejs)
for plugin in "${missing[@]}"; do
  case $plugin in
    pulumi-language-nodejs)
      stamp="$bin/.pulumi-language-nodejs.version"
      if ! { [ -x "$bin/$plugin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$langhost_tag" ]; }; then
        log "building the Node.js language host $langhost_tag from the Go module proxy (first run only)"
        start=$(date +%s)
        build_go "$bin/$plugin" "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$langhost_tag" \
          "$langhost_package" "github.com/pulumi/pulumi/sdk/v3@$langhost_tag"
        echo "$langhost_tag" >"$stamp"
        log "built pulumi-language-nodejs $langhost_tag in $(( $(date +%s) - start ))s"
      fi
      ;;
    pulumi-resource-pulumi-nodejs)
      # The dynamic-provider plugin: a shim that runs @pulumi/pulumi's dynamic-provider host, resolved
      # from the program's folder (the plugin's working directory).
      mkdir -p "$bin"
      install -m 0755 "$here/pulumi-resource-pulumi-nodejs" "$bin/$plugin"
      ;;
  esac
done

# 3. One folder to put first on PATH. The user's CLI keeps its own plugins; what it lacked is in $bin,
# next to a link to that CLI.
if [ "$cli_dir" != "$bin" ] && [ ${#missing[@]} -gt 0 ]; then
  ln -sfn "$cli_dir/pulumi" "$bin/pulumi"
  log "added ${missing[*]} in $bin, next to a link to $cli_dir/pulumi"
  cli_dir=$bin
fi
echo "$cli_dir"
