// Who a resource's objects belong to, by default: what the program knows of it (project, stack, kind and
// resource name), so a rerun after a kill computes the same owner and finds its own marks. Only the
// program knows these: a dynamic provider is never told its resource's URN.
import * as pulumi from "@pulumi/pulumi";
import { ownerOf } from "../ownerMark";
import type { HostKind } from "../kinds";

/** `args` with `owner` filled: the one given, else `project/stack/Kind/name`. */
export function withDefaultOwner<A extends { owner?: pulumi.Input<string> }>(kind: HostKind, resourceName: string, args: A): A {
  return { ...args, owner: args.owner ?? ownerOf(pulumi.getProject(), pulumi.getStack(), kind, resourceName) };
}

/** The argument's documentation, shared by every resource's args. */
export interface OwnerArgs {
  /**
   * Whose objects these are, written on the host as their mark (a link's alias; a namespace's `lo`'s).
   * Default `project/stack/Kind/resourceName`. A create that finds an object of its name with this mark
   * takes it over (its own work, cut off earlier); one with another mark, or none, is refused; delete and
   * refresh leave an object without it alone. Set it to hand objects over to another stack. In place.
   */
  owner?: pulumi.Input<string>;
}
