#!/usr/bin/env bash
# The README's demo command: installs what is needed, then types in the lab project (examples/lab)
# what a user would, showing the CLI's own output: `pulumi up --yes`, pings inside the lab, a
# `pulumi preview --diff` of a switch to private mode, and `pulumi destroy --yes`.
#   bash scripts/demo.sh            the whole round, the lab removed at the end (even on failure)
#   bash scripts/demo.sh --keep     leaves the lab up, to look around
#   bash scripts/demo.sh --destroy  removes a kept lab
# Needs root (it makes network namespaces, all named demo-*); the machine's own interfaces and
# addresses are never touched.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

keep=false
case ${1:-} in
  "") ;;
  --keep) keep=true ;;
  --destroy) ;;
  *) echo "usage: bash scripts/demo.sh [--keep | --destroy]" >&2; exit 2 ;;
esac

[ "${1:-}" = --destroy ] || bash scripts/setup.sh
# The CLI and how it runs here (its folder on PATH; a local file backend and passphrase unless you
# have your own): NAME=value lines from engine-env.sh.
engine_env=$(bash scripts/engine-env.sh)
while IFS= read -r line; do export "${line?}"; done <<<"$engine_env"

cd examples/lab
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$@"; "$@"; }

if [ "${1:-}" = --destroy ]; then
  run pulumi destroy --yes --stack demo
  run pulumi stack rm --yes --stack demo
  exit 0
fi

# npm calls an installed copy of the same version up to date: drop it, so the demo runs this tree.
run rm -rf node_modules/pulumi-iproute2
run npm install --no-audit --no-fund --loglevel=error
run pulumi stack select --create demo
run pulumi config set namePrefix demo-
run pulumi config set mode bridge

finished=false
remove_lab() {
  if [ "$finished" = true ] && [ "$keep" = true ]; then return; fi
  run pulumi destroy --yes
  run pulumi stack rm --yes
}
trap remove_lab EXIT

run pulumi up --yes

echo
echo "Connectivity, from inside demo-ns1:"
failed=0
ping_from_ns1() { # address, what it is
  say ip netns exec demo-ns1 ping -c 3 -i 0.2 -W 1 "$1" "   # $2"
  ip netns exec demo-ns1 ping -c 3 -i 0.2 -W 1 "$1" || failed=$((failed + 1))
}
ping_from_ns1 10.77.0.2 "ns2's macvlan child: bridge mode lets children talk"
ping_from_ns1 10.77.0.254 "the veth peer in demo-lab"
ping_from_ns1 10.77.0.1 "its own address: lo is up"

echo
echo "What a pull request switching the lab to private mode would show its reviewers:"
run pulumi config set mode private
run pulumi preview --diff
run pulumi config set mode bridge

finished=true
if [ "$keep" = true ]; then
  echo
  echo "Kept. Look around with: ip netns exec demo-ns1 ip addr; remove it with: bash scripts/demo.sh --destroy"
fi
[ "$failed" = 0 ] || { echo "demo: $failed ping(s) failed; the lab is not as the tutorial says" >&2; exit 1; }
