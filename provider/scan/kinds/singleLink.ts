// What a scan does with a link one resource makes on its own (a macvlan, a macvtap, a bridge, a vxlan),
// written once: a stack's mark may claim it; a kind's checks may leave it out, with why; its routes are
// taken as adopt takes them; its arguments must pass the resource's schema; then it is written. Pure.
import { classOfLink, type KernelKind } from "../../kinds";
import type { Route } from "../../model";
import { resumedOf, routesTaken, type LayoutBuilder, type LinkAt } from "../layoutBuilder";
import { type Args, type LinkRef } from "../layoutShape";
import { where } from "../../labels";
import type { Resumed } from "../owners";

/** What a kind of single link gives. */
export interface SingleLinkLayout {
  /** The kernel's name for its links, which names its resource in the registry. */
  kind: KernelKind;
  /** What its resource's schema says of the arguments written (refused), or undefined when it takes them. */
  refused(args: Args): string | undefined;
  /** The link it hangs off, drawn with it when it is not written. */
  parent?: LinkRef;
  /** Why it cannot be written (the first of its checks that fails), or how it is. */
  written(): string | Written;
}

/** How a link that passed its kind's checks is written. */
export interface Written {
  /** Its arguments as the host has them, with the routes adopt would take over (undefined: none). */
  args(routes: Route[] | undefined): Args;
  /** What the program must say of it, before the notes on its routes and after. */
  notes?: { before?: string[]; after?: string[] };
  /** Puts it in the layout, written with `args`. */
  add(args: Args, notes: string[], resumes: Resumed | undefined): void;
}

/** Lays out `at` as `kind` says. */
export function layOutSingleLink(b: LayoutBuilder, at: LinkAt, kind: SingleLinkLayout): void {
  const claim = b.claims.claim(classOfLink(kind.kind), [at.link.observed.alias], `${at.kind} ${at.link.observed.name} in ${where(at.netns)}`);
  if (b.listedByClaim(at, claim, kind.parent)) return;
  const written = kind.written();
  if (typeof written === "string") return b.leaveOut(at, written, kind.parent);
  const { kept, leftOut, notes } = routesTaken(at.routes, at.netns);
  const args = written.args(kept);
  const problem = kind.refused(args);
  if (problem !== undefined) return b.leaveOut(at, `as it is, it would be refused: ${problem}`, kind.parent);
  b.managed.add(at.key);
  b.layout.skipped.push(...leftOut);
  written.add(args, [...(written.notes?.before ?? []), ...notes, ...(written.notes?.after ?? [])], resumedOf(claim));
}
