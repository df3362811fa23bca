// A scan's layout while it is built (layout.ts), and what every kind's part of it shares (scan/kinds/):
// claiming a link by its mark, drawing a link no resource manages, leaving one out with why, the routes
// adopt takes over, the checks a resource's schema makes of arguments. Pure.
import { isDeepStrictEqual } from "node:util";
import type { Route } from "../model";
import { validateArgs, type ArgsSpec } from "../schema/validate";
import { routeTakenOver } from "../state/linkArgs";
import type { NamespaceRead, ScannedLink, ScannedRoute } from "../state/namespaceScan";
import type { Found } from "./linkRefs";
import { netnsKey, refKey, type Args, type HostRead, type Layout, type LinkRef } from "./layoutShape";
import { where } from "../labels";
import type { Claim, Claims, Resumed } from "./owners";

/** A link's kind as a scan names it: the kernel's, "loopback" for lo, "device" for one of no kind (a NIC). */
export const kindOf = (link: ScannedLink) => link.observed.kind ?? (link.observed.name === "lo" ? "loopback" : "device");

export const handedOutNote = (address: string, ref: LinkRef) => `address ${address} on ${ref.name} in ${where(ref.netns)}: handed out with a lifetime (SLAAC or DHCP), which renews it`;

/** The schema's complaints about `args`, in one line, or undefined when the resource would accept them. */
export function refused<T>(spec: ArgsSpec<T>, args: Args): string | undefined {
  const result = validateArgs(spec, { ...args, adopt: true });
  return result.ok ? undefined : result.failures.map((f) => `${f.property} ${f.reason}`).join("; ");
}

export const resumedOf = (claim: Claim): Resumed | undefined => (claim.kind === "resumed" ? { owner: claim.owner, resourceName: claim.resourceName } : undefined);

export const withoutUndefined = (args: Record<string, Args[string] | undefined>): Args =>
  Object.fromEntries(Object.entries(args).filter((entry): entry is [string, Args[string]] => entry[1] !== undefined));

/**
 * `args` with those of `keys` whose value is the resource's default (its schema's) unset: a program
 * leaves them out, as a person writing it would.
 */
export function unsetAtDefault<T, A extends Record<string, unknown>>(spec: ArgsSpec<T>, args: A, keys: (keyof A & keyof T & string)[]): A {
  const unset = keys.filter((key) => isDeepStrictEqual(args[key], spec.fields[key].safeParse(undefined).data));
  return { ...args, ...Object.fromEntries(unset.map((key) => [key, undefined])) };
}

/** A list, or undefined when it is empty (the default of every list argument). */
export const nonEmpty = <T>(list: T[] | undefined): T[] | undefined => (list !== undefined && list.length > 0 ? list : undefined);

/**
 * A single link's routes as adopt takes them (state/linkArgs.ts routeTakenOver): ours and those added by
 * hand (`proto boot`, each with a note: replaced in place as ours), and the rest left out, each with why.
 */
export function routesTaken(routes: ScannedRoute[], netns: string | undefined) {
  const kept: ScannedRoute[] = [];
  const leftOut: string[] = [];
  for (const route of routes) {
    if (route.notExpressible !== undefined) leftOut.push(`route ${route.text} in ${where(netns)}: ${route.notExpressible}`);
    else if (routeTakenOver(route.protocol, route.notExpressible)) kept.push(route);
    else leftOut.push(`route ${route.text} in ${where(netns)}: made by ${route.protocol}, which keeps it (not taken over)`);
  }
  const notes = kept
    .filter((r) => r.protocol === "boot")
    .map(
      (route) =>
        `route ${route.text} was added by hand: adopting replaces it in place as proto static (\`ip route replace\`), the protocol this package's routes carry, so that refresh sees it; the route itself does not change`,
    );
  return { kept: kept.length > 0 ? kept.map((r): Route => r.route) : undefined, leftOut, notes };
}

/** One link of a scanned namespace, as a kind's part of the layout sees it. */
export interface LinkAt {
  netns: string | undefined;
  ns: NamespaceRead;
  link: ScannedLink;
  ref: LinkRef;
  /** refKey(ref). */
  key: string;
  kind: string;
  /** The link it refers to (a peer, a parent), or why it cannot be found. */
  found: Found;
  /** Its routes, in its namespace's main table. */
  routes: ScannedRoute[];
}

/** The layout while it is built: what is managed, drawn and left out so far. */
export class LayoutBuilder {
  /** refKeys of the links a resource manages (or a stack's mark gives to that stack). */
  readonly managed = new Set<string>();
  private readonly drawn = new Set<string>();

  constructor(
    readonly read: HostRead,
    readonly layout: Layout,
    /** Who each mark's object goes to (owners.ts). */
    readonly claims: Claims,
    /** Namespaces whose name the resources would refuse, with why: nothing in them can be written. */
    private readonly badNamespaces: Map<string, string>,
    /** refKeys of the links that are some child's parent. */
    private readonly parents: Set<string>,
  ) {}

  /** The first of `namespaces` a resource cannot name, if any. */
  unwritable(...namespaces: (string | undefined)[]): string | undefined {
    return namespaces.find((n) => n !== undefined && this.badNamespaces.has(n));
  }

  isParent(ref: LinkRef): boolean {
    return this.parents.has(refKey(ref));
  }

  /** Draws `link` as one no resource of the program manages (once), with what it hangs off, its owner, its peer. */
  addOther(ref: LinkRef, link: ScannedLink, parent?: LinkRef, owner?: string, peer?: LinkRef): void {
    if (this.drawn.has(refKey(ref))) return;
    this.drawn.add(refKey(ref));
    // A macvlan's mode is drawn whether or not a resource manages it.
    const kind = link.observed.macvlan ? `${kindOf(link)} ${link.observed.macvlan.mode}` : kindOf(link);
    this.layout.others.push({ ...ref, kind, addresses: link.observed.addresses, ...(parent && { parent }), ...(owner !== undefined && { owner }), ...(peer && { peer }) });
  }

  isDrawn(ref: LinkRef): boolean {
    return this.drawn.has(refKey(ref));
  }

  /** Whether a claim leaves `at` to the stack whose mark it carries: then listed under it, and drawn. */
  listedByClaim(at: LinkAt, claim: Claim, parent?: LinkRef): boolean {
    if (claim.kind !== "listed") return false;
    // Its routes and addresses are its owner's too: nothing more to list.
    this.layout.owned.push(claim.owned);
    this.managed.add(at.key);
    this.addOther(at.ref, at.link, parent, claim.owned.owner);
    return true;
  }

  /** Leaves `at` out, saying why, drawn with what it hangs off; its routes are listed as on a link not managed. */
  leaveOut(at: LinkAt, why: string, parent?: LinkRef): void {
    this.layout.skipped.push(`${at.kind} ${at.link.observed.name} in ${where(at.netns)}: ${why}`);
    this.addOther(at.ref, at.link, parent);
    this.listRoutesOfUnmanaged(at);
  }

  /** `at`, of a kind this package does not manage: listed with its addresses, and drawn. */
  unmanaged(at: LinkAt): void {
    this.addOther(at.ref, at.link, "ref" in at.found ? at.found.ref : undefined);
    const addresses = at.link.observed.addresses.length > 0 ? ` (${at.link.observed.addresses.join(", ")})` : "";
    this.layout.skipped.push(`${at.kind} ${at.link.observed.name} in ${where(at.netns)}${addresses}: not a kind this package manages`);
    this.listRoutesOfUnmanaged(at);
  }

  private listRoutesOfUnmanaged(at: LinkAt): void {
    for (const route of at.routes) this.layout.skipped.push(`route ${route.text} in ${where(at.netns)}: on ${at.link.observed.name}, which is not managed`);
  }

  /**
   * Why `link`'s master (in `netns`) cannot be written, or undefined when it has none or it is a bridge:
   * `master` names a Bridge, and a bond's slave, a VRF's member or an Open vSwitch port (`ovs-system`)
   * written as a bridge port would be taken from what it is in.
   */
  masterNotBridge(netns: string | undefined, link: ScannedLink): string | undefined {
    const { master, name } = link.observed;
    if (master === undefined) return undefined;
    const found = this.read.namespaces.get(netnsKey(netns))?.links.find((l) => l.observed.name === master);
    if (found && kindOf(found) === "bridge") return undefined;
    return `the master of ${name}, ${master}, is ${found ? `of kind ${kindOf(found)}` : `not in ${where(netns)}`}, not a bridge: only a bridge's port is written with master`;
  }
}

/** `announce: false` where a link with addresses does not announce them (the default, true, is left out). */
export const announceOf = (at: LinkAt): false | undefined => (at.link.observed.addresses.length === 0 || at.ns.announcing.has(at.link.observed.name) ? undefined : false);
