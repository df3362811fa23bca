// What a state written by an earlier version of this package lacks, and what the host had then. The
// defaults of new arguments describe what a new object gets; an old object did not get it.

/**
 * A link's state from before `announce` and `nodad`: the link was made without arp_notify and
 * ndisc_notify (the first update after the upgrade sets them, and its preview says so), and its IPv6
 * addresses with duplicate address detection. A VethPair's from before `adopt`: made, not taken over.
 * Any state from before `persist`: no boot description holds it (the first update writes its part).
 * Any state from before `owner`: it stays without one (nothing on the host carries a mark), so delete
 * and refresh act as they did; the first update, whose inputs have one, writes the mark in place.
 * A MacvlanLink's or VethPair's from before `dhcp`: no DHCP client (a kind without one ignores these).
 */
export function asWrittenByEarlierVersions(props: Record<string, unknown>): Record<string, unknown> {
  return {
    ...props,
    announce: props.announce ?? false,
    nodad: props.nodad ?? false,
    adopt: props.adopt ?? false,
    persist: props.persist ?? false,
    dhcp: props.dhcp ?? false,
    peerDhcp: props.peerDhcp ?? false,
  };
}

/** A namespace's state from before `adopt` and `persist`: made by this package, not taken over, not replayed at boot. */
export function namespaceAsWrittenByEarlierVersions(props: Record<string, unknown>): Record<string, unknown> {
  return { ...props, adopt: props.adopt ?? false, persist: props.persist ?? false };
}
