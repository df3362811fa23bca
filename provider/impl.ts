// What the provider text in the state loads at run time (`require("pulumi-iproute2/impl")`): the
// handlers of each resource kind, by the name the text carries.
import { echoHandlers } from "./resources/echo";
import { macvlanLinkHandlers } from "./resources/macvlanLink";
import { macvtapHandlers } from "./resources/macvtap";
import { netNamespaceHandlers } from "./resources/netNamespace";
import { vethPairHandlers } from "./resources/vethPair";
import type * as pulumi from "@pulumi/pulumi";
import type { ResourceKind } from "./resources/hostResource";

export const handlers: Record<ResourceKind, pulumi.dynamic.ResourceProvider> = {
  Echo: echoHandlers,
  NetNamespace: netNamespaceHandlers,
  VethPair: vethPairHandlers,
  MacvlanLink: macvlanLinkHandlers,
  Macvtap: macvtapHandlers,
};
