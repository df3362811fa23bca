// The character device node of a macvtap: make it where it is missing (no udev: containers, minimal
// hosts), replace a stale one (numbers of a device that is gone), and give it the owner, group and mode
// asked for, so an unprivileged QEMU can open it. Pure: commands as argv, run by tapNodeScript's program.
import type { Command } from "../exec/runner";
import { noNode, type MacvtapDesired, type TapNodeObserved } from "../model";
import { chownSpec, makeNodeCommand, ownNodeCommand } from "./tapNodeScript";

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
  commands: Command[];
  /** Whether the node at the path is (now) one this package made. */
  created: boolean;
}

/**
 * Equivalent to (each as one `makeNodeCommand`/`ownNodeCommand`, which first checks the folders and
 * that the node is still as `node` says):
 *   [rm -f PATH;] mknod -m MODE PATH c MAJOR MINOR[; chown -h OWNER:GROUP PATH]
 *                        no node, a stale one (checked not to be a live device's first), or another mode:
 *                        made anew rather than chmod-ed, as chmod would follow a link put in its place
 *   chown -h OWNER:GROUP PATH   only the owner or group differ
 */
export function planTapNode(
  d: Pick<MacvtapDesired, "tapOwner" | "tapGroup" | "tapMode">,
  path: string,
  devNumbers: string,
  node: TapNodeObserved | undefined,
  createdBefore: boolean,
): TapNodePlan {
  const seen = node?.statLine ?? noNode;
  const owner = chownSpec(d.tapOwner, d.tapGroup);
  if (!node || node.devNumbers !== devNumbers || node.mode !== d.tapMode) {
    return { commands: [makeNodeCommand(path, seen, d.tapMode, devNumbers, owner)], created: true };
  }
  return {
    commands: ownedAs(node, d.tapOwner, d.tapGroup) ? [] : [ownNodeCommand(path, seen, owner)],
    created: createdBefore,
  };
}
