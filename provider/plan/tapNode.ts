// The character device node of a macvtap: make it where it is missing (no udev: containers, minimal
// hosts), replace a stale one (numbers of a device that is gone), and give it the owner, group and mode
// asked for, so an unprivileged QEMU can open it. Pure: commands as argv, run by tapNodeScript's program.
import { noNode, type MacvtapDesired, type MacvtapState, type TapNodeObserved } from "../model";
import type { CommandStep } from "./steps";
import { chownSpec, makeNodeCommand, ownNodeCommand, removeLiveNodeCommand, removeNodeUnlessLiveCommand, removeNodeCommand } from "./tapNodeScript";

export function tapNodePath(d: Pick<MacvtapDesired, "tapDevicePath">, ifindex: number): string {
  return d.tapDevicePath ?? `/dev/tap${ifindex}`;
}

/** An account the way the user wrote it: by numeric id if they gave an id, else by name. */
export function accountAs(wanted: string | undefined, id: string, name: string): string {
  return wanted !== undefined && /^\d+$/.test(wanted) ? id : name;
}

/** Whether `node` is owned as asked (unset owner or group: anything). */
export function ownedAs(node: TapNodeObserved, owner: string | undefined, group: string | undefined): boolean {
  const same = (wanted: string | undefined, id: string, name: string) => wanted === undefined || wanted === accountAs(wanted, id, name);
  return same(owner, node.uid, node.user) && same(group, node.gid, node.group);
}

export interface TapNodePlan {
  steps: CommandStep[];
  /** Whether the node at the path is (now) one this package made. */
  created: boolean;
}

/**
 * The node right for the device `devNumbers`, given what is at `path` (`node`), and a node this package
 * made at an earlier path (`old`) gone. Each change runs as the node program, which first checks the
 * folders and that the node is still as `node` says:
 *   mknod -m MODE NEW c MAJOR MINOR[; chown -h OWNER:GROUP NEW]; mv -f NEW PATH
 *                        no node, a stale one (checked not to be a live device's first), or another mode:
 *                        made anew rather than chmod-ed, as chmod would follow a link put in its place;
 *                        a node made where there was none is removed again if a later step fails
 *   chown -h OWNER:GROUP PATH   only the owner or group differ
 *   rm -f OLD            the old node, only while it has the old device's numbers
 */
export function planTapNode(
  d: Pick<MacvtapDesired, "tapOwner" | "tapGroup" | "tapMode">,
  path: string,
  devNumbers: string,
  node: TapNodeObserved | undefined,
  createdBefore: boolean,
  old?: MadeNode,
): TapNodePlan {
  const seen = node?.statLine ?? noNode;
  const owner = chownSpec(d.tapOwner, d.tapGroup);
  const removeOld = old ? planTapNodeRemoval(old) : [];
  if (!node || node.devNumbers !== devNumbers || node.mode !== d.tapMode) {
    const make: CommandStep = {
      command: makeNodeCommand(path, seen, d.tapMode, devNumbers, owner),
      describe: `make the device node ${path}`,
      ...(!node && { undo: planTapNodeRemoval({ path, devNumbers, ownerIds: "" }) }),
    };
    return { steps: [make, ...removeOld], created: true };
  }
  const own: CommandStep[] = ownedAs(node, d.tapOwner, d.tapGroup) ? [] : [{ command: ownNodeCommand(path, seen, owner), describe: `give the device node ${path} to ${owner}` }];
  return { steps: [...own, ...removeOld], created: createdBefore };
}

/** A node this package made: where, the numbers of its device, and its "UID GID" ("" if not known). */
export interface MadeNode {
  path: string;
  devNumbers: string;
  ownerIds: string;
}

/**
 * Equivalent to: `rm -f PATH`, for a node this package made, only while it has the device's numbers and,
 * when known, has the owner it was last seen with.
 */
export function planTapNodeRemoval(made: MadeNode): CommandStep[] {
  return [{ command: removeNodeCommand(made.path, made.devNumbers, made.ownerIds), describe: `remove the device node ${made.path}` }];
}

/**
 * The node `state` says this package made, removed as its device goes: on delete, on a refresh that
 * finds the link gone, and when a create fails. Runs before the link is deleted. Without the numbers (a
 * create cut off before it read them), those the link has are read where it lives; the node at the path
 * with those numbers goes, as it opens nothing but the device about to be deleted, and then whichever
 * device gets its numbers next. Nothing when the node was not made here (devtmpfs or udev remove theirs).
 * `unlessLive`: another link has the name now (a refresh found it): the node stays only while that link
 * is still our device (same ifindex, same numbers; say its parent was renamed), checked where it lives.
 */
export function planMadeNodeRemoval(
  state: Pick<MacvtapState, "tapNodeCreated" | "tapDevice" | "tapDevNumbers" | "tapNodeOwnerIds" | "netns" | "name" | "ifindex">,
  options: { unlessLive?: boolean } = {},
): CommandStep[] {
  if (!state.tapNodeCreated || state.tapDevice === "") return [];
  const describe = `remove the device node ${state.tapDevice}`;
  if (state.tapDevNumbers === "") return [{ command: removeLiveNodeCommand(state.tapDevice, state), describe }];
  if (options.unlessLive) return [{ command: removeNodeUnlessLiveCommand(state.tapDevice, state.tapDevNumbers, state.tapNodeOwnerIds, state), describe }];
  return planTapNodeRemoval({ path: state.tapDevice, devNumbers: state.tapDevNumbers, ownerIds: state.tapNodeOwnerIds });
}
