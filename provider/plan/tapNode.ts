// The character device node of a macvtap: make it where it is missing (no udev: containers, minimal
// hosts), replace a stale one (numbers of a device that is gone), and give it the owner, group and mode
// asked for, so an unprivileged QEMU can open it. Pure: commands as argv.
import type { Command } from "../exec/runner";
import type { MacvtapDesired, TapNodeObserved } from "../model";

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
 * Equivalent to:
 *   [rm -f PATH]                             a stale node (checked not to be a live device's first)
 *   mknod -m MODE PATH c MAJOR MINOR         when there is no node
 *   chown [OWNER][:GROUP] PATH; chmod MODE PATH   when they differ from what is asked
 */
export function planTapNode(
  d: Pick<MacvtapDesired, "tapOwner" | "tapGroup" | "tapMode">,
  path: string,
  devNumbers: string,
  node: TapNodeObserved | undefined,
  createdBefore: boolean,
): TapNodePlan {
  const [major = "", minor = ""] = devNumbers.split(":");
  const chown =
    d.tapOwner !== undefined || d.tapGroup !== undefined
      ? [{ argv: ["chown", `${d.tapOwner ?? ""}${d.tapGroup !== undefined ? `:${d.tapGroup}` : ""}`, path] }]
      : [];
  if (!node || node.devNumbers !== devNumbers) {
    return {
      commands: [
        ...(node ? [{ argv: ["rm", "-f", path] }] : []),
        { argv: ["mknod", "-m", d.tapMode, path, "c", major, minor] },
        ...chown,
      ],
      created: true,
    };
  }
  return {
    commands: [
      ...(ownedAs(node, d.tapOwner, d.tapGroup) ? [] : chown),
      ...(node.mode === d.tapMode ? [] : [{ argv: ["chmod", d.tapMode, path] }]),
    ],
    created: createdBefore,
  };
}

/** Equivalent to: `rm -f PATH`, for a node this package made, only while it still has our numbers. */
export function planTapNodeRemoval(node: TapNodeObserved | undefined, devNumbers: string): Command[] {
  return node && node.devNumbers === devNumbers ? [{ argv: ["rm", "-f", node.path] }] : [];
}
