import type * as pulumi from "@pulumi/pulumi";

/** How a resource reaches its host. Only the local kind exists so far. */
export interface LocalConnectionArgs {
  type?: pulumi.Input<"local">;
  /** Run iproute2 through `sudo -n`. */
  sudo?: pulumi.Input<boolean>;
}
export type ConnectionArgs = LocalConnectionArgs;
