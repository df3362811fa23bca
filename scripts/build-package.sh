#!/usr/bin/env bash
# npm's `prepare`: builds what the package ships (dist/provider). npm runs it after `npm ci` here, and
# when an example project installs this folder as a dependency (`file:../..` with install-links), so a
# fresh clone's `cd examples/lab && npm install` gets a built package. The compiler comes from this
# folder's own devDependencies, installed first if they are not there yet.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi
node_modules/.bin/tsc -p tsconfig.build.json
