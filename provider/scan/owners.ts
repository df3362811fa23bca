// What a scan does with an object that carries a stack's mark (ownerMark.ts): it belongs to that stack,
// so the program lists it under its owner instead of adopting it, unless the scan was asked to rebuild
// that stack's program (--stack): then it is written as the resource its mark names, without adopt, and
// its create finds it by the mark and resumes it. Pure.
import type { HostKind } from "../kinds";
import { parseMark } from "../ownerMark";

/** An object a stack's mark is on, which the program does not write: who owns it, and what it is. */
export interface OwnedObject {
  /** The owner, decoded (`project/stack/Kind/name`, or whatever a user set). */
  owner: string;
  /** What the listing groups by: the owner's `project/stack`, or the whole owner when it has no such form. */
  stack: string;
  /** The object on the host ("macvlan m1 in netns \"a\""). */
  what: string;
  /** Why it is not written although it is the scanned stack's, or the listing's words of warning. */
  why?: string;
}

/** A resource the program writes to resume what its mark says it made. */
export interface Resumed {
  owner: string;
  /** The resource's name, from the mark. */
  resourceName: string;
}

export type Claim = { kind: "unmarked" } | ({ kind: "resumed" } & Resumed) | { kind: "listed"; owned: OwnedObject };

/** `project/stack/Kind/name` split; a resource name may hold "/", a project or stack name cannot. */
export function ownerParts(owner: string): { stack: string; kind: string; resourceName: string } | undefined {
  const [project, stack, kind, ...rest] = owner.split("/");
  const resourceName = rest.join("/");
  if (project === undefined || stack === undefined || kind === undefined || resourceName === "") return undefined;
  return { stack: `${project}/${stack}`, kind, resourceName };
}

/**
 * Whether a mark was cut to fit an alias: ownerMark keeps 236 to 238 characters of a long one and adds
 * `~` and 16 hex digits of its hash, so the resource name it ends with is not the whole name. (An owner
 * whose mark happens to have that shape uncut is taken for cut: listed, never written wrong.)
 */
const isCut = (alias: string) => alias.length >= 236 + 17 && /~[0-9a-f]{16}$/.test(alias);

/** Decides, object by object, what the program does with each mark; one resource per owner. */
export class Claims {
  private readonly resumed = new Set<string>();

  /** `stack`: the `project/stack` whose objects are written as its resources (--stack), if any. */
  constructor(private readonly stack: string | undefined) {}

  /**
   * What to do with an object the program would write as a `kind`: `aliases` are its links' (a pair's
   * two ends, a namespace's lo), `what` names it for the listing.
   */
  claim(kind: HostKind, aliases: (string | undefined)[], what: string): Claim {
    const marked = aliases.find((a) => parseMark(a) !== undefined);
    if (marked === undefined) return { kind: "unmarked" };
    const owner = parseMark(marked)?.owner ?? marked;
    const parts = ownerParts(owner);
    const listed = (why?: string): Claim => ({ kind: "listed", owned: { owner, stack: parts?.stack ?? owner, what, ...(why !== undefined && { why }) } });
    if (aliases.some((a) => a !== marked)) {
      const other = aliases.find((a) => a !== marked);
      return listed(`its ends carry different marks (the other: ${other === undefined ? "none" : JSON.stringify(parseMark(other)?.owner ?? other)})`);
    }
    if (isCut(marked)) return listed("its mark was cut with a hash to fit an alias (255 bytes): the resource's whole name cannot be read back from it");
    if (this.stack === undefined || parts?.stack !== this.stack) return listed();
    if (parts.kind !== kind) return listed(`its mark names a ${parts.kind}, but it is what a ${kind} makes`);
    if (this.resumed.has(owner)) return listed("another object carries the same mark, and one resource makes one");
    this.resumed.add(owner);
    return { kind: "resumed", owner, resourceName: parts.resourceName };
  }
}
