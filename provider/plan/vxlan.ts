// Plans for a Vxlan: create, update and delete as iproute2 steps (its flood list with `bridge fdb`, one
// command per entry), and the diff that decides between updating in place and replacing.
import { floodMac, type VxlanDesired, type VxlanState } from "../model";
import { familyOf } from "../schema/fields";
import { spliced } from "../shape";
import { addressesRule, portPropertyRules, singleLinkPropertyRules, type PropertyRule } from "./diff";
import { planLinkCreate, planLinkDelete, planSingleLinkUpdate, singleLinkAdd } from "./link";
import type { CommandStep, IpStep, Step } from "./steps";

type Ends = Pick<VxlanDesired, "local" | "remote" | "group">;

/**
 * The family a tunnel's ends give it; undefined when it has none. The kernel makes a tunnel with none
 * IPv4, and clearing the last end of an IPv6 one replaces it (vxlanPropertyRules): a tunnel with no end
 * is IPv4.
 */
function familyOfEnds(x: Partial<Record<keyof Ends, unknown>>): 4 | 6 | undefined {
  const given = [x.local, x.remote, x.group].find((end): end is string => typeof end === "string");
  return given !== undefined ? familyOf(given) : undefined;
}

/** What `ip` reads as "no address" for a tunnel end, in the tunnel's family (the kernel refuses the other's). */
const noAddress = (family: 4 | 6 | undefined) => (family === 6 ? "::" : "0.0.0.0");

/**
 * Equivalent to: `bridge [-n NETNS] fdb append|del 00:00:00:00:00:00 dev NAME dst IP`: one entry of the
 * flood list. Always with its `dst`: a `del` without one removes every entry, `remote`'s too. `append`,
 * not `add`: an entry there already is no error. An append is replayed at boot (`fdb NETNS NAME IP`).
 */
export function floodEntryStep(netns: string | undefined, name: string, verb: "append" | "del", dst: string, undo?: Step[]): CommandStep {
  const argv = ["bridge", ...(netns !== undefined ? ["-n", netns] : []), "fdb", verb, floodMac, "dev", name, "dst", dst];
  return {
    command: { argv },
    describe: argv.join(" "),
    ...(verb === "append" && { replay: ["fdb", netns ?? "-", name, dst] }),
    ...(undo && { undo }),
  };
}

/** `remote IP`, `group IP dev UNDERLAY`, or `remote 0.0.0.0` or `::` (neither, in `family`): where the tunnel floods by default. */
function defaultEnd(x: Pick<VxlanDesired, "remote" | "group" | "underlay">, family?: 4 | 6): string[] {
  if (x.remote !== undefined) return ["remote", x.remote];
  if (x.group !== undefined) return ["group", x.group, ...(x.underlay !== undefined ? ["dev", x.underlay] : [])];
  return ["remote", noAddress(family)];
}

/**
 * Equivalent to:
 *   ip [-n NETNS] link add name NAME [address MAC] [mtu N] [txqueuelen N] type vxlan id VNI dstport PORT
 *      [local IP] [remote IP | group IP] [dev UNDERLAY] [nolearning]
 *   bridge [-n NETNS] fdb append 00:00:00:00:00:00 dev NAME dst IP   (each of `remotes`)
 * then what every link's create does (plan/link.ts planLinkCreate: its bridge, `master`, is a step of its
 * own, never a word of the add: `ip` would take it after `type vxlan`). Made in its own namespace, with its
 * underlay there: its socket stays in the namespace that makes it. `dstport` is always sent (the
 * kernel's default is 8472), and never again: the kernel refuses it in a `link set`, even unchanged.
 */
export function planVxlanCreate(d: VxlanDesired): Step[] {
  // Undone by deleting the link, which takes its flood list with it.
  const add = singleLinkAdd(d, [
    "type", "vxlan", "id", String(d.vni), "dstport", String(d.dstPort),
    ...(d.local !== undefined ? ["local", d.local] : []),
    ...(d.remote !== undefined || d.group !== undefined ? defaultEnd({ remote: d.remote, group: d.group }) : []),
    ...(d.underlay !== undefined ? ["dev", d.underlay] : []),
    ...(d.learning ? [] : ["nolearning"]),
  ]);
  const [made, ...rest] = planLinkCreate(d, add, [d]);
  return [...(made ? [made] : []), ...d.remotes.map((dst) => floodEntryStep(d.netns, d.name, "append", dst)), ...rest];
}

/**
 * The vxlan's own changes (`ip link set dev NAME type vxlan ...`, `bridge fdb`), each undone: flood
 * entries removed first, then local, the default end and learning, then entries added, so an address
 * moving between `remote` and `remotes` is never in both at once (the kernel would flood to it twice).
 * vni, dstPort, underlay and the namespace replace the link (vxlanPropertyRules).
 */
function vxlanTypeChanges(cur: VxlanState, d: VxlanDesired): Step[] {
  const setType = (...args: string[]): IpStep => ({ netns: d.netns, args: ["link", "set", "dev", d.name, "type", "vxlan", ...args] });
  const entry = (verb: "append" | "del", dst: string) =>
    floodEntryStep(d.netns, d.name, verb, dst, [floodEntryStep(d.netns, d.name, verb === "append" ? "del" : "append", dst)]);
  // In place, the family is the same before and after (a change of it replaces): whichever side has an end says it.
  const family = familyOfEnds(d) ?? familyOfEnds(cur);
  const steps: Step[] = cur.remotes.filter((r) => !d.remotes.includes(r)).map((r) => entry("del", r));
  if (cur.local !== d.local) steps.push({ ...setType("local", d.local ?? noAddress(family)), undo: [setType("local", cur.local ?? noAddress(family))] });
  if (cur.remote !== d.remote || cur.group !== d.group) steps.push({ ...setType(...defaultEnd(d, family)), undo: [setType(...defaultEnd(cur, family))] });
  if (cur.learning !== d.learning) {
    const learning = (on: boolean) => setType(on ? "learning" : "nolearning");
    steps.push({ ...learning(d.learning), undo: [learning(cur.learning)] });
  }
  steps.push(...d.remotes.filter((r) => !cur.remotes.includes(r)).map((r) => entry("append", r)));
  return steps;
}

/** Steps from the current state to the desired one: a single link's (plan/link.ts), with the vxlan's own. */
export function planVxlanUpdate(cur: VxlanState, d: VxlanDesired): Step[] {
  return planSingleLinkUpdate(cur, d, vxlanTypeChanges(cur, d));
}

/** Equivalent to: `ip [-n NETNS] link del dev NAME` (its flood list goes with it); a link already gone is success. */
export const planVxlanDelete = planLinkDelete;

/**
 * Whether the tunnel's family changes, from all its ends old and new (adding `local 2001:db8::1` to a
 * tunnel with `remote 2001:db8::2` is no change of it). A tunnel with no end is IPv4 (familyOfEnds): the
 * kernel refuses an IPv6 end on one made with none, and clearing an IPv6 one's last end replaces it, so
 * that a tunnel with none never is IPv6 (its read-back could not tell).
 */
const familyChange = (_old: unknown, _next: unknown, olds: Record<string, unknown>, news: Record<string, unknown>) =>
  (familyOfEnds(olds) ?? 4) !== (familyOfEnds(news) ?? 4);

/**
 * Which properties update in place and which replace the link. The kernel refuses to change the VNI and
 * the port (`Cannot change VNI.`, `Cannot change port.`) and the tunnel's family (`New local address
 * family does not match old.`), so those replace.
 * An underlay change the kernel takes, but leaves `remote`'s entry on the old link: replaced too. A
 * move to another namespace would leave its socket and underlay behind: replaced as well.
 */
export const vxlanPropertyRules: Record<string, PropertyRule> = spliced(
  { ...singleLinkPropertyRules, netns: { replace: true } },
  {
    netns: {
      vni: { replace: true },
      local: { replace: familyChange },
      remote: { replace: familyChange },
      group: { replace: familyChange },
      dstPort: { replace: true },
      underlay: { replace: true },
      learning: {},
      remotes: addressesRule,
      ...portPropertyRules,
    },
  },
);
