#!/usr/bin/env bash
# Puts a Pulumi CLI that matches the installed @pulumi/pulumi on this machine and prints the folder
# that holds it (the last line of stdout), for callers to put first on PATH.
#
# A user who already has a compatible `pulumi` on PATH keeps it. Otherwise the CLI is built from the
# Go module proxy (the release downloads are not reachable from our machines) into a per-user cache
# keyed by version, so only the first run is slow. Nothing is fetched from anywhere but the Go module
# proxy. The Node.js language host (module .../sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not
# served by the proxy, so programs run as Automation API inline programs, which need no language host.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
log() { printf 'install-pulumi: %s\n' "$*" >&2; }

sdk_version=${PULUMI_VERSION:-$(node -p "require(require.resolve('@pulumi/pulumi/package.json', {paths: ['$root']})).version")}
tag="v${sdk_version#v}"
cache=${PULUMI_IPROUTE2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-iproute2}
bin="$cache/pulumi-$tag/bin"

# The dynamic-provider plugin is a shim the engine starts by name; it runs @pulumi/pulumi's
# dynamic-provider resolved from the program's folder (the plugin's working directory).
install_shim() {
  mkdir -p "$1"
  install -m 0755 "$here/pulumi-resource-pulumi-nodejs" "$1/pulumi-resource-pulumi-nodejs"
}

version_at_least() { # $1 >= $2, both "3.x.y"
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

# 1. A compatible CLI already on PATH (a real user's machine), not one of ours.
if [ -z "${PULUMI_IPROUTE2_FORCE_BUILD:-}" ] && existing=$(command -v pulumi 2>/dev/null) \
   && [ "$(dirname "$existing")" != "$bin" ]; then
  have=$(pulumi version 2>/dev/null | sed 's/^v//') || have=""
  if [ -n "$have" ] && [ "${have%%.*}" = 3 ] && version_at_least "${have%%-*}" "${tag#v}"; then
    log "using pulumi $have from $(dirname "$existing")"
    if ! command -v pulumi-resource-pulumi-nodejs >/dev/null 2>&1; then
      install_shim "$bin"
      log "added the dynamic-provider shim in $bin"
    fi
    dirname "$existing"
    exit 0
  fi
  [ -n "$have" ] && log "pulumi $have on PATH is older than $tag; building $tag"
fi

# 2. Our cache.
if [ -x "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "$tag" ]; then
  install_shim "$bin"
  echo "$bin"
  exit 0
fi

# 3. Build from the Go module proxy, through a throwaway wrapper module: `go install` refuses modules
# with replace directives, and pkg/v3's go.mod has some (sdk => ../sdk is local and is replaced here
# by requiring the same sdk release; the clipboard fork is not local and is copied).
command -v go >/dev/null || { log "Go is needed to build the Pulumi CLI and is not on PATH"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "building pulumi $tag from the Go module proxy (first run only; a few minutes)"
start=$(date +%s)
pkg_mod=$(cd "$work" && go mod download -json "github.com/pulumi/pulumi/pkg/v3@$tag" | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
    const info = JSON.parse(s);
    if (info.Error) { console.error(info.Error); process.exit(1); }
    console.log(info.GoMod);
  });')
go_line=$(grep -m1 '^go ' "$pkg_mod")
{
  echo "module pulumi-iproute2-engine-build"
  echo
  echo "$go_line"
  echo
  # Non-local replace lines of pkg/v3 (a local one, like sdk => ../sdk, would point into nothing).
  grep -E '^replace .* => [^.]' "$pkg_mod" | grep -v ' => \.' || true
  echo
  echo "require ("
  echo "	github.com/pulumi/pulumi/pkg/v3 $tag"
  echo "	github.com/pulumi/pulumi/sdk/v3 $tag"
  echo ")"
} > "$work/go.mod"
printf '//go:build tools\n\npackage engine\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$work/tools.go"
(
  cd "$work"
  GOFLAGS=-mod=mod go mod tidy >&2
  mkdir -p "$bin.partial"
  GOFLAGS=-mod=mod go build -trimpath -o "$bin.partial/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$tag" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
)
rm -rf "$bin"
mv "$bin.partial" "$bin"
install_shim "$bin"
log "built pulumi $("$bin/pulumi" version) in $(( $(date +%s) - start ))s into $bin"
echo "$bin"
