// An IPv6 address is "tentative" from when it is added (or its link comes up) until duplicate address
// detection (DAD) is done: about a second, up to two with the kernel's defaults. Until then nothing can
// bind it, so a service started right after `pulumi up` would fail; and an address another host already
// has ends "dadfailed", which `ip addr add` does not report. This step waits, in the same round trip,
// for the addresses a plan added or brought up to leave tentative, and fails naming any that failed DAD
// (the plan is then rolled back).
import type { Command } from "../exec/runner";
import { isIPv6Address } from "../model";
import type { CommandStep } from "./steps";

/** About how long the wait lasts at most (looks take time too): well past DAD's usual 1–2 s. */
export const dadWaitSeconds = 10;

// Each look asks ip for the link's flags, then for each address its line (`to ADDRESS/128` lets ip
// compare by value: the kernel may print an address in another form, an IPv4-mapped ::ffff:10.0.0.1,
// than the one given), whose flags say tentative or dadfailed. Without carrier (a parent down) DAD does
// not run until there is one: nothing to wait for now. A sleep that takes no fraction (some busybox
// builds) sleeps a whole second, and counts as ten looks.
const script = `
export LC_ALL=C
set -f
netns=$1 dev=$2 looks_left=$3
shift 3
ipn() { if [ -n "$netns" ]; then ip -n "$netns" "$@"; else ip "$@"; fi; }
# "IDX: NAME[@PARENT]: <FLAGS> mtu ...": neither a name nor the flags hold white space.
flags_of() { flags=$3; }
while :; do
  link=$(ipn -o link show dev "$dev") || exit
  flags_of $link
  case $flags in *[\\<,]LOWER_UP[,\\>]*) ;; *) exit 0 ;; esac
  pending=
  for address; do
    # "IDX: NAME    inet6 ADDRESS/LEN scope global [FLAGS] \\  valid_lft ...", or nothing when gone.
    line=$(ipn -6 -o addr show dev "$dev" to "\${address%/*}/128") || exit
    # The flags after the address: the interface's name (before it) could be "tentative".
    case \${line#*" inet6 "} in
    *" dadfailed "*)
      printf '%s failed duplicate address detection (dadfailed): another host on the link of %s already has it; choose another address\\n' "$address" "$dev" >&2
      exit 3 ;;
    *" tentative "*) pending="$pending $address" ;;
    esac
  done
  [ -z "$pending" ] && exit 0
  if [ "$looks_left" -le 0 ]; then
    printf 'IPv6 address(es)%s of %s still tentative (duplicate address detection) after about ${dadWaitSeconds} s; set nodad: true to skip the wait\\n' "$pending" "$dev" >&2
    exit 3
  fi
  if sleep 0.1 2>/dev/null; then looks_left=$((looks_left - 1)); else sleep 1; looks_left=$((looks_left - 10)); fi
done
`;

/**
 * The IPv6 addresses among `all` that run DAD now: the ones just `added`, unless added with nodad; when
 * the link `comesUp`, the others too, unless they were added with nodad before.
 */
export function runningDad(all: string[], added: string[], comesUp: boolean, nodad: { current: boolean; desired: boolean }): string[] {
  return all.filter((a) => (added.includes(a) ? !nodad.desired : comesUp && !nodad.current));
}

function waitCommand(netns: string | undefined, dev: string, addresses: string[]): Command {
  return { argv: ["sh", "-c", script, "ipv6-ready", netns ?? "", dev, String(dadWaitSeconds * 10), ...addresses] };
}

/**
 * Waits (for about dadWaitSeconds at most) until the IPv6 ones among `addresses` on DEV have left tentative; fails
 * if one is dadfailed. Roughly, for each: `while ip -n NETNS -6 addr show dev DEV to ADDRESS/128 |
 * grep -q tentative; do sleep 0.1; done`.
 * None when no address is IPv6.
 */
export function ipv6ReadySteps(netns: string | undefined, dev: string, addresses: string[]): CommandStep[] {
  const ipv6 = addresses.filter(isIPv6Address);
  if (ipv6.length === 0) return [];
  return [{ command: waitCommand(netns, dev, ipv6), describe: `wait for ${ipv6.join(", ")} on ${dev}${netns !== undefined ? ` in netns ${netns}` : ""} to pass duplicate address detection` }];
}
