// Telling neighbours where a link's addresses are now. A peer that talked to a link before it was made
// anew (new MAC), got a new MAC or moved keeps a REACHABLE entry for the old MAC and sends to it for a
// minute or more. The kernel announces a link's addresses itself (gratuitous ARP, unsolicited neighbour
// advertisements) when it comes up or changes MAC, and an IPv6 address after its duplicate address
// detection, once the device's arp_notify and ndisc_notify are 1: set before the link comes up, in the
// link's namespace (they are per device and per namespace, and a move starts them afresh). An IPv4
// address added to a link already up is announced by nothing: setting the link's MAC to itself does it.
import type { Command } from "../exec/runner";
import type { CommandStep, IpStep } from "./steps";

// Paths are written out whole: sysctl(8) would read a "." in an interface name as a separator.
const script = `
export LC_ALL=C
dev=$1 value=$2
for knob in "/proc/sys/net/ipv4/conf/$dev/arp_notify" "/proc/sys/net/ipv6/conf/$dev/ndisc_notify"; do
  # No IPv6 on this host (ipv6.disable=1): nothing to announce there.
  [ -e "$knob" ] || case $knob in /proc/sys/net/ipv6/*) continue ;; esac
  if ! said=$( { printf '%s\\n' "$value" > "$knob"; } 2>&1 ); then
    printf 'cannot set %s to %s (%s); set announce: false where /proc/sys cannot be written\\n' "$knob" "$value" "$said" >&2
    exit 3
  fi
done
`;

/** `sh -c SCRIPT`, inside `netns` when there is one (/proc/sys/net shows the namespace of its reader). */
export function inNetns(netns: string | undefined, argv: string[]): Command {
  return { argv: [...(netns !== undefined ? ["ip", "netns", "exec", netns] : []), ...argv] };
}

/**
 * Equivalent to: `ip netns exec NETNS sysctl -w net.ipv4.conf.DEV.arp_notify=V net.ipv6.conf.DEV.ndisc_notify=V`
 * (written to /proc/sys directly). Undone by the old value where there is one to put back.
 */
export function announceStep(netns: string | undefined, dev: string, on: boolean, before?: boolean): CommandStep {
  const set = (value: boolean): CommandStep => ({
    command: inNetns(netns, ["sh", "-c", script, "announce", dev, value ? "1" : "0"]),
    describe: `set arp_notify and ndisc_notify of ${dev}${netns !== undefined ? ` in netns ${netns}` : ""} to ${value ? 1 : 0} (announce: ${value})`,
  });
  return { ...set(on), ...(before !== undefined && { undo: [set(before)] }) };
}

/**
 * Equivalent to: `ip link set dev DEV address MAC` with the MAC it has: the kernel takes it as a MAC
 * change and announces every address of the link (with arp_notify set), including IPv4 ones just added.
 */
export function announceAgainStep(netns: string | undefined, dev: string, macAddress: string): IpStep {
  return { netns, args: ["link", "set", "dev", dev, "address", macAddress] };
}
