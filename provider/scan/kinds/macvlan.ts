// A macvlan or macvtap found by a scan, as a MacvlanLink or Macvtap on its parent (wherever that is): its
// own arguments as adopt takes them (state/linkArgs.ts), a macvtap's device node as the host has it.
import { classOfLink } from "../../kinds";
import { macvlanLinkArgs } from "../../schema/macvlanLink";
import { macvtapArgs } from "../../schema/macvtap";
import { macvlanArgsObserved } from "../../state/linkArgs";
import { announceOf, nonEmpty, refused, unsetAtDefault, withoutUndefined, type LayoutBuilder, type LinkAt } from "../layoutBuilder";
import { where } from "../../labels";
import { layOutSingleLink } from "./singleLink";

/** `at`, a link of `kind` (macvlan or macvtap). */
export function layOutMacvlan(b: LayoutBuilder, at: LinkAt, kind: "macvlan" | "macvtap"): void {
  const { found, netns } = at;
  const o = at.link.observed;
  layOutSingleLink(b, at, {
    kind,
    refused: (args) => (kind === "macvtap" ? refused(macvtapArgs, args) : refused(macvlanLinkArgs, args)),
    ...("ref" in found && { parent: found.ref }),
    written() {
      const own = macvlanArgsObserved(o);
      if ("why" in found || !own) return `its parent cannot be found (${"why" in found ? found.why : "no macvlan data"})`;
      const parent = found.ref;
      if (netns === undefined && parent.netns !== undefined) return `its parent is in ${where(parent.netns)}: a ${classOfLink(kind)} left without netns is put in its parent's`;
      const bad = b.unwritable(parent.netns);
      if (bad !== undefined) return `its parent is in ${where(bad)}, a name it cannot refer to`;
      const notBridge = kind === "macvlan" ? b.masterNotBridge(netns, at.link) : undefined;
      if (notBridge !== undefined) return notBridge;
      const tap = kind === "macvtap" ? b.read.tapNodes.get(at.key) : undefined;
      return {
        args(routes) {
          const { bcQueueLength, master, ...modeAndOptions } = unsetAtDefault(macvlanLinkArgs, own, ["nopromisc", "sourceMacs"]);
          return withoutUndefined({
            name: o.name,
            parent: parent.name,
            parentNetns: parent.netns,
            netns,
            ...modeAndOptions,
            // A Macvtap takes no master (the kernel refuses one as a port).
            master: kind === "macvlan" ? master : undefined,
            macAddress: o.macAddress,
            mtu: o.mtu,
            txQueueLength: o.txQueueLength,
            bcQueueLength,
            addresses: nonEmpty(o.addresses),
            routes,
            up: o.up,
            announce: announceOf(at),
            tapOwner: tap?.owner,
            tapGroup: tap?.group,
            tapMode: tap?.mode,
          });
        },
        notes: {
          before: found.unnamed ? [`its parent is taken to be ${parent.name} in the host's namespace: ${where(netns)} knows that namespace by an id with no name, as it would a container's; check it`] : [],
          after: kind === "macvtap" && !tap ? [`no node at /dev/tap${o.ifindex} has this macvtap's numbers: adopting it makes one`] : [],
        },
        add(args, notes, resumes) {
          const master = kind === "macvlan" ? own.master : undefined;
          b.layout.macvlans.push({ netns, name: o.name, kind, mode: own.mode, addresses: o.addresses, ...(master !== undefined && { master }), parent, args, notes, ...(resumes && { resumes }) });
        },
      };
    },
  });
}
