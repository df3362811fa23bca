#!/usr/bin/env bash
# Prints the environment in which this repository's demo, tests and benchmarks run the Pulumi CLI, as
# NAME=value lines: the CLI and its plugins (install-pulumi.sh) first on PATH, update checks and
# plugin downloads off, and a backend:
#   engine-env.sh             (the demo) your own backend and passphrase if you have them (a login,
#                             PULUMI_BACKEND_URL); where you have none, a file backend in .pulumi-state/
#                             with a local passphrase, used for those stacks only
#   engine-env.sh --isolated  (tests, benchmarks) always that file backend and passphrase: their
#                             stacks never land in your own backend
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state_dir=$(cd "$here/.." && pwd)/.pulumi-state
isolated=false
[ "${1:-}" = --isolated ] && isolated=true

bin=$(bash "$here/install-pulumi.sh")
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
if $isolated || { [ -z "${PULUMI_BACKEND_URL:-}" ] && ! logged_in; }; then
  mkdir -p "$state_dir"
  echo "PULUMI_BACKEND_URL=file://$state_dir"
  # This backend's secrets are the demo's and the tests' own: a published passphrase is enough
  # (it wins over a PULUMI_CONFIG_PASSPHRASE_FILE of yours, for these stacks only).
  echo "PULUMI_CONFIG_PASSPHRASE=pulumi-iproute2-local-state"
fi
