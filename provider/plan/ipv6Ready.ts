// An IPv6 address is "tentative" from when it is added until duplicate address detection (DAD) is done:
// about a second, up to two with the kernel's defaults. Until then nothing can bind it, so a service
// started right after `pulumi up` would fail; and an address another host already has ends "dadfailed",
// which `ip addr add` does not report. This step waits, in the same round trip, for the addresses a
// plan added to leave tentative, and fails naming any that failed DAD (the plan is then rolled back).
import type { Command } from "../exec/runner";
import { isIPv6Address } from "../model";
import type { CommandStep } from "./steps";

/** How long the wait lasts at most: well past DAD's usual 1–2 s, short of hiding a real problem. */
export const dadWaitSeconds = 10;

// One `ip addr show dev DEV` per look: its first line is the link's (flags), then a line per address
// that ends with its flags (tentative, dadfailed), then its lifetimes.
// Without carrier (a parent down) DAD does not run until there is one: nothing to wait for now.
const script = `
export LC_ALL=C
netns=$1 dev=$2 polls=$3
shift 3
ipn() { if [ -n "$netns" ]; then ip -n "$netns" "$@"; else ip "$@"; fi; }
nl='
'
looks=0
while :; do
  shown=$(ipn addr show dev "$dev") || exit
  case \${shown%%"$nl"*} in *[\\<,]LOWER_UP[,\\>]*) ;; *) exit 0 ;; esac
  pending=
  for address; do
    line=\${shown#*" inet6 $address "}
    [ "$line" = "$shown" ] && continue # not on the link (any more): the read-back reports that
    case \${line%%"$nl"*} in
    *dadfailed*)
      printf '%s failed duplicate address detection (dadfailed): another host on the link of %s already has it; choose another address\\n' "$address" "$dev" >&2
      exit 3 ;;
    *tentative*) pending="$pending $address" ;;
    esac
  done
  [ -z "$pending" ] && exit 0
  if [ "$looks" -ge "$polls" ]; then
    printf 'IPv6 address(es)%s of %s still tentative (duplicate address detection) after ${dadWaitSeconds} s; set nodad: true to skip the wait\\n' "$pending" "$dev" >&2
    exit 3
  fi
  looks=$((looks + 1))
  sleep 0.1
done
`;

function waitCommand(netns: string | undefined, dev: string, addresses: string[]): Command {
  return { argv: ["sh", "-c", script, "ipv6-ready", netns ?? "", dev, String(dadWaitSeconds * 10), ...addresses] };
}

/**
 * Waits (up to dadWaitSeconds) until the IPv6 ones among `addresses` on DEV have left tentative; fails
 * if one is dadfailed. Roughly: `until ! ip -n NETNS -6 addr show dev DEV tentative | grep -q .; do sleep 0.1; done`.
 * None when no address is IPv6.
 */
export function ipv6ReadySteps(netns: string | undefined, dev: string, addresses: string[]): CommandStep[] {
  const ipv6 = addresses.filter(isIPv6Address);
  if (ipv6.length === 0) return [];
  return [{ command: waitCommand(netns, dev, ipv6), describe: `wait for ${ipv6.join(", ")} on ${dev}${netns !== undefined ? ` in netns ${netns}` : ""} to pass duplicate address detection` }];
}
