// What the provider text in the state loads at run time (`require("pulumi-iproute2/impl")`): the
// handlers of each resource kind, by the name the text carries. Derived from the registry of kinds
// (kinds.ts) and each kind's class (its `handlers`): the compiler refuses a kind index.ts does not export.
import type * as pulumi from "@pulumi/pulumi";
import { Echo } from "./echo";
import * as api from "./index";
import { resourceKindNames, type ResourceKind } from "./kinds";

const classes: Record<ResourceKind, { handlers: pulumi.dynamic.ResourceProvider }> = { ...api, Echo };

export const handlers = Object.fromEntries(resourceKindNames.map((kind) => [kind, classes[kind].handlers])) as Record<ResourceKind, pulumi.dynamic.ResourceProvider>;
