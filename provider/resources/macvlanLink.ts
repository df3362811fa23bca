// MacvlanLink: a macvlan child of a parent link, with the lifecycle every macvlan-kind link has.
import type * as pulumi from "@pulumi/pulumi";
import { macvlanLinkArgs } from "../schema/macvlanLink";
import { defineHandlers } from "./lifecycle";
import { macvlanKindLifecycle, MacvlanKindResource, macvlanOutputNames, type MacvlanLinkArgs } from "./macvlanKind";

export type { MacvlanLinkArgs } from "./macvlanKind";
export type { RouteArgs } from "./link";

export const macvlanLinkHandlers = defineHandlers(macvlanKindLifecycle(macvlanLinkArgs));

export class MacvlanLink extends MacvlanKindResource {
  /** The bridge it is a port of, as the kernel has it. */
  declare readonly master: pulumi.Output<string | undefined>;
  /** What the provider runs for this kind (impl.ts derives its map from these): not for programs. */
  static readonly handlers = macvlanLinkHandlers;

  constructor(name: string, args: MacvlanLinkArgs, opts?: pulumi.CustomResourceOptions) {
    super("MacvlanLink", name, args, [...macvlanOutputNames, "master"], opts);
  }
}
