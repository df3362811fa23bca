#!/usr/bin/env bash
# Prints the environment in which this repository's demo, tests and benchmarks run the Pulumi CLI, as
# NAME=value lines: the CLI and its plugins (scripts/install-pulumi.sh) first on PATH, update checks
# and plugin downloads off, and, only where the user has configured nothing of their own, a file
# backend in .pulumi-state/ (or $1) and a local passphrase for secrets. A user with a login, or with
# PULUMI_BACKEND_URL / PULUMI_CONFIG_PASSPHRASE(_FILE) set, keeps them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state_dir=${1:-$(cd "$here/.." && pwd)/.pulumi-state}

bin=$(bash "$here/install-pulumi.sh" | tail -n 1)
[ -x "$bin/pulumi" ] || { echo "engine-env: install-pulumi.sh did not name a folder with pulumi (got \"$bin\")" >&2; exit 1; }

logged_in() {
  local credentials="${PULUMI_HOME:-$HOME/.pulumi}/credentials.json"
  [ -f "$credentials" ] && node -e '
    try { process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).current ? 0 : 1); }
    catch { process.exit(1); }' "$credentials"
}

echo "PATH=$bin:$PATH"
echo "PULUMI_SKIP_UPDATE_CHECK=true"
echo "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! logged_in; then
  mkdir -p "$state_dir"
  echo "PULUMI_BACKEND_URL=file://$state_dir"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  echo "PULUMI_CONFIG_PASSPHRASE=pulumi-iproute2-local-state"
fi
