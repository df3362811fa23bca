import type * as pulumi from "@pulumi/pulumi";

/** The resource kinds whose handlers `pulumi-iproute2/impl` exports. */
export type ResourceKind = "Echo" | "NetNamespace" | "VethPair" | "MacvlanLink" | "Macvtap";

/**
 * The provider object Pulumi serializes into the state (`__provider`) and runs again on refresh and
 * destroy. Each method loads the installed package's handlers by name at run time and captures nothing
 * but the kind's name, so the text stays small and a package upgrade takes effect without replacement.
 */
export function providerShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded when called, from the installed package: an import would be serialized */
  return {
    check: (olds, news) => require("pulumi-iproute2/impl").handlers[kind].check(olds, news),
    diff: (id, olds, news) => require("pulumi-iproute2/impl").handlers[kind].diff(id, olds, news),
    create: (inputs) => require("pulumi-iproute2/impl").handlers[kind].create(inputs),
    read: (id, props) => require("pulumi-iproute2/impl").handlers[kind].read(id, props),
    update: (id, olds, news) => require("pulumi-iproute2/impl").handlers[kind].update(id, olds, news),
    delete: (id, props) => require("pulumi-iproute2/impl").handlers[kind].delete(id, props),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}
