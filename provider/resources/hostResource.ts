// The base of every resource class: a dynamic resource (run by Pulumi's dynamic-provider plugin) whose
// provider is one line of text naming the installed package, not a serialized closure.
import * as pulumi from "@pulumi/pulumi";
import type { HostKind, ResourceKind } from "../kinds";
import type { ConnectionArgs } from "./connectionArgs";
import { outputSlots } from "./outputs";
import { withDefaultOwner, type OwnerArgs } from "./owner";
import { warnIfKeyInPlaintext } from "./warnings";

/**
 * What the state keeps as `__provider` (in inputs and outputs) and the plugin loads again for refresh
 * and destroy: a module whose `handler()` gives the installed package's handlers of `kind`. Pulumi's
 * own `dynamic.Resource` serializes a provider object instead, about 2 KB per resource for six
 * one-line methods, stored twice; this is under 100 bytes, and a package upgrade still takes effect on
 * the next operation without replacing anything (the plugin does not compare provider texts).
 */
export function providerText(kind: ResourceKind): string {
  return `exports.handler = () => require("pulumi-iproute2/impl").handlers.${kind};\n`;
}

/**
 * A resource of `kind` on the plugin Pulumi's `dynamic.Resource` registers with (the same type token,
 * `pulumi-nodejs:dynamic/iproute2:<kind>`, so URNs and states stay as they were), with its provider
 * given as text.
 */
export abstract class HostResource extends pulumi.CustomResource {
  protected constructor(kind: ResourceKind, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    // As Pulumi's dynamic.Resource: the key is the engine's, never an argument.
    if (props.__provider !== undefined) throw new Error("A dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/iproute2:${kind}`, name, { ...props, __provider: providerText(kind) }, opts);
  }
}

/** The arguments every resource that manages something on a host takes, documented once. */
export interface HostObjectArgs extends OwnerArgs {
  /**
   * Default: the connection's `persist`, itself true. The host replays it at boot, before network.target
   * and the daemons that start VMs and containers: its part of /etc/pulumi-iproute2, run by the
   * pulumi-iproute2 systemd unit (docs/reboots.md). In place.
   */
  persist?: pulumi.Input<boolean>;
  connection?: pulumi.Input<ConnectionArgs>;
}

/**
 * A resource that manages something on a host: registered with its arguments (`owner` defaulted, `name`
 * the resource's by default) and a slot for each of its `outputs`, with a warning for a private key
 * given in plaintext.
 */
export abstract class HostObjectResource extends HostResource {
  protected constructor(kind: HostKind, name: string, args: HostObjectArgs, outputs: readonly string[], opts?: pulumi.CustomResourceOptions) {
    super(kind, name, outputSlots(name, withDefaultOwner(kind, name, args), outputs), opts);
    warnIfKeyInPlaintext(this, args.connection);
  }
}
