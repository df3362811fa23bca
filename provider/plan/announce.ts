// Telling neighbours where a link's addresses are now. A peer that talked to a link before it was made
// anew (new MAC), got a new MAC or moved keeps a REACHABLE entry for the old MAC and sends to it for a
// minute or more. The kernel announces a link's addresses itself (gratuitous ARP, unsolicited neighbour
// advertisements) when it comes up or changes MAC, and an IPv6 address when its duplicate address
// detection (DAD) ends, once the device's arp_notify and ndisc_notify are 1: set before the link comes
// up, in the link's namespace (they are per device and per namespace, and a move starts them afresh).
// Nothing in the kernel announces an IPv4 address added to a link already up, nor an IPv6 one added
// with nodad (no DAD): setting the link's MAC to itself does (the kernel takes it as a MAC change).
import type { Command } from "../exec/runner";
import { where } from "../labels";
import { isIPv6Address } from "../model";
import type { CommandStep } from "./steps";

/**
 * Whether a link's (or a veth end's) announce settings are (to be) written: with announce, once it has
 * addresses to announce. A link without (a Macvtap whose guest has the addresses) is spared the command.
 */
export const announces = (link: { announce: boolean; addresses: string[] }) => link.announce && link.addresses.length > 0;

/** Whether `added` holds an address the kernel does not announce itself: IPv4, or IPv6 without DAD. */
export const needsAnnouncingAnew = (added: string[], nodad: boolean) => added.some((a) => !isIPv6Address(a) || nodad);

// One program, two operations:
//   set DEV VALUE   (in the link's namespace) arp_notify and ndisc_notify of DEV to VALUE. The paths
//                   are written out whole: sysctl(8) would read a "." in an interface name as a separator.
//   again DEV NETNS DEV's MAC (as the kernel has it now, not as a state last saw it) set to itself, with
//                   `ip -n NETNS`. The kernel then flushes DEV's neighbour entries, static ones too: the
//                   `nud permanent` ones are put back (not `nud noarp` ones, nor their other attributes).
const script = `
export LC_ALL=C
op=$1 dev=$2
die() { printf '%s\n' "$*" >&2; exit 3; }
case $op in
set)
  value=$3
  [ -e "/proc/sys/net/ipv4/conf/$dev" ] || die "cannot find $dev in /proc/sys/net/ipv4/conf of this namespace"
  for knob in "/proc/sys/net/ipv4/conf/$dev/arp_notify" "/proc/sys/net/ipv6/conf/$dev/ndisc_notify"; do
    # No IPv6 on this host (ipv6.disable=1): nothing to announce there.
    [ -e "$knob" ] || continue
    [ "$(cat -- "$knob")" = "$value" ] && continue
    # The shell's words without its "NAME: LINE: " prefix: "cannot create KNOB: Read-only file system".
    said=$( { printf '%s\n' "$value" > "$knob"; } 2>&1 ) ||
      die "cannot set $knob to $value (\${said#*: *: }); set announce: false where /proc/sys cannot be written"
  done
  ;;
again)
  netns=$3
  ipn() { if [ -n "$netns" ]; then ip -n "$netns" "$@"; else ip "$@"; fi; }
  failed() { die "announcing the addresses of $dev anew (its MAC set to itself) failed: $1; set announce: false to skip it"; }
  link=$(ipn -o link show dev "$dev" 2>&1) || failed "$link"
  mac=\${link#* link/ether }
  [ "$mac" != "$link" ] || exit 0 # no Ethernet address: nothing to announce with
  mac=\${mac%% *}
  static=$(ipn neigh show dev "$dev" nud permanent 2>&1) || failed "$static"
  said=$(ipn link set dev "$dev" address "$mac" 2>&1) || failed "$said"
  printf '%s\n' "$static" | while read -r dst rest; do
    [ -n "$dst" ] || continue
    lladdr=
    case $rest in "lladdr "*) lladdr=\${rest#lladdr } lladdr=\${lladdr%% *} ;; esac
    router=
    case " $rest " in *" router "*) router=router ;; esac
    # Unquoted on purpose: each expands to its words ("lladdr" and the address, "router"), or to none.
    said=$(ipn neigh replace "$dst" \${lladdr:+lladdr "$lladdr"} dev "$dev" $router nud permanent 2>&1) ||
      failed "putting back the static neighbour entry $dst: $said"
  done
  ;;
*) die "unknown operation $op" ;;
esac
`;

/** `sh -c SCRIPT`, inside `netns` when there is one (/proc/sys/net shows the namespace of its reader). */
function inNetns(netns: string | undefined, args: string[]): Command {
  return { argv: [...(netns !== undefined ? ["ip", "netns", "exec", netns] : []), "sh", "-c", script, "announce", ...args] };
}

/**
 * Equivalent to: `ip netns exec NETNS sysctl -w net.ipv4.conf.DEV.arp_notify=V net.ipv6.conf.DEV.ndisc_notify=V`
 * (written to /proc/sys directly). Undone by the old value where there is one to put back.
 */
export function announceStep(netns: string | undefined, dev: string, on: boolean, before?: boolean): CommandStep {
  const set = (value: boolean): CommandStep => ({
    command: inNetns(netns, ["set", dev, value ? "1" : "0"]),
    describe: `set arp_notify and ndisc_notify of ${dev} in ${where(netns)} to ${value ? 1 : 0} (announce: ${value})`,
  });
  return { ...set(on), ...(before !== undefined && { undo: [set(before)] }), ...(on && { replay: ["announce", netns ?? "-", dev] }) };
}

/**
 * Equivalent to: `ip link set dev DEV address MAC` with the MAC it has, then its static neighbour
 * entries put back: every address of the link announced, including the ones just added.
 */
export function announceAgainStep(netns: string | undefined, dev: string): CommandStep {
  return {
    command: { argv: ["sh", "-c", script, "announce", "again", dev, netns ?? ""] },
    describe: `announce the addresses of ${dev} in ${where(netns)} (its MAC set to itself)`,
  };
}
