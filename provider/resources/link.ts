// What every link kind's resource shares, declared once: its arguments (documented here; a kind
// re-declares one only where its meaning differs, as a pair's "both ends"), the outputs each has beyond
// them, and the class those outputs are on. A kind extends these with its own.
import type * as pulumi from "@pulumi/pulumi";
import type { Route } from "../model";
import { HostObjectResource, type HostObjectArgs } from "./hostResource";

export interface RouteArgs {
  /** "default", a CIDR, or an address. */
  to: pulumi.Input<string>;
  via?: pulumi.Input<string>;
  metric?: pulumi.Input<number>;
}

/** Every link kind's arguments. */
export interface LinkArgs extends HostObjectArgs {
  /** Interface name; defaults to the resource name. */
  name?: pulumi.Input<string>;
  /** The namespace the link is in; the host's by default. */
  netns?: pulumi.Input<string>;
  /** Default: chosen by the kernel, reported, and kept across updates. */
  mtu?: pulumi.Input<number>;
  /** IPv4/IPv6 addresses with prefix, e.g. "10.0.0.2/24". */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Default true. */
  up?: pulumi.Input<boolean>;
  /**
   * Default true: tell neighbours of this link's addresses when it comes up, changes MAC, moves
   * namespace or gets a new address (the kernel's arp_notify and ndisc_notify, set in the link's
   * namespace once it has addresses), so peers that knew an old MAC reach it at once. In place.
   */
  announce?: pulumi.Input<boolean>;
  /**
   * Default false: IPv6 addresses go through duplicate address detection, and create and update
   * wait (about 10 s at most) until they are usable, failing if another host has one. true adds them
   * with `nodad`: usable at once, unchecked. A change applies to addresses added from then on.
   */
  nodad?: pulumi.Input<boolean>;
  /**
   * Take over a link of this name that exists already (of the same kind, on the same parent or peer)
   * instead of failing, then converge the rest. Destroy removes it, as it would one this made.
   */
  adopt?: pulumi.Input<boolean>;
}

/** A single link's arguments (every kind but a pair): its MAC, queue length and routes too. */
export interface SingleLinkArgs extends LinkArgs {
  /** Default: chosen by the kernel, reported, and kept across updates. */
  macAddress?: pulumi.Input<string>;
  txQueueLength?: pulumi.Input<number>;
  routes?: pulumi.Input<pulumi.Input<RouteArgs>[]>;
}

/**
 * The outputs every link has beyond the arguments given: what the kernel reports after each operation,
 * and the arguments' defaults (without a slot, an argument left out has no output).
 */
export const linkOutputNames = ["ifindex", "macAddress", "mtu", "kernelChosen", "addresses", "up", "announce", "nodad", "persist"] as const;

/** A single link's: its queue length and routes too. */
export const singleLinkOutputNames = [...linkOutputNames, "txQueueLength", "routes"] as const;

/** The outputs every link kind's resource has: every shared argument as the kernel has it, and ifindex. */
export abstract class LinkResource extends HostObjectResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly netns: pulumi.Output<string | undefined>;
  declare readonly macAddress: pulumi.Output<string>;
  declare readonly mtu: pulumi.Output<number>;
  declare readonly addresses: pulumi.Output<string[]>;
  declare readonly up: pulumi.Output<boolean>;
  declare readonly announce: pulumi.Output<boolean>;
  declare readonly nodad: pulumi.Output<boolean>;
  /** Whether the host replays it at boot (refresh: whether its part is there as written). */
  declare readonly persist: pulumi.Output<boolean>;
  declare readonly ifindex: pulumi.Output<number>;
  /** Optional arguments left to the kernel (their outputs show what it chose). */
  declare readonly kernelChosen: pulumi.Output<string[]>;
  /** Whose it is: what the link carries as its mark. */
  declare readonly owner: pulumi.Output<string>;
}

/** A single link's outputs: its queue length and routes too. */
export abstract class SingleLinkResource extends LinkResource {
  declare readonly txQueueLength: pulumi.Output<number>;
  declare readonly routes: pulumi.Output<Route[]>;
}
