#!/usr/bin/env bash
# The README's demo command: installs what is needed, brings the macvlan lab up with the real Pulumi
# CLI, prints ping results from inside it, and destroys it (pass --keep to keep it, --destroy later).
# Needs root: it makes network namespaces. It never touches the machine's own interfaces.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
npm run build --silent
node dist/examples/lab/demo.js "$@"
