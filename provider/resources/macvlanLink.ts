// MacvlanLink: a macvlan child of a parent link, with the lifecycle every macvlan-kind link has.
import type * as pulumi from "@pulumi/pulumi";
import { macvlanLinkArgs } from "../schema/macvlanLink";
import { defineHandlers } from "./lifecycle";
import type { DhcpLease } from "../model";
import { macvlanKindLifecycle, MacvlanKindResource, macvlanOutputNames, type DhcpArgs, type MacvlanLinkArgs as MacvlanKindArgs } from "./macvlanKind";

export type MacvlanLinkArgs = MacvlanKindArgs & DhcpArgs;
export type { RouteArgs } from "./link";

export const macvlanLinkHandlers = defineHandlers(macvlanKindLifecycle(macvlanLinkArgs));

export class MacvlanLink extends MacvlanKindResource {
  /** The bridge it is a port of, as the kernel has it. */
  declare readonly master: pulumi.Output<string | undefined>;
  /** Whether its DHCP client is asked for and running (false on refresh when it died). */
  declare readonly dhcp: pulumi.Output<boolean>;
  /** The DHCP client's lease: address, prefixLength, gateway, server, leaseTime (s); none before the first. */
  declare readonly dhcpLease: pulumi.Output<DhcpLease | undefined>;
  /** What the provider runs for this kind (impl.ts derives its map from these): not for programs. */
  static readonly handlers = macvlanLinkHandlers;

  constructor(name: string, args: MacvlanLinkArgs, opts?: pulumi.CustomResourceOptions) {
    super("MacvlanLink", name, args, [...macvlanOutputNames, "master", "dhcp", "dhcpLease"], opts);
  }
}
