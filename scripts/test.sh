#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh machine, builds, runs every test.
# Integration and end-to-end tests need root (they make network namespaces); they never skip.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
npm run build
npm run typecheck --silent
npm run lint --silent
npx vitest run "$@"
