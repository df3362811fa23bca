// A vxlan found by a scan, as a Vxlan on its underlay: its own arguments as adopt takes them
// (state/linkArgs.ts), unless it has what a Vxlan cannot say or was moved from where it was made.
import { vxlanArgs } from "../../schema/vxlan";
import { vxlanArgsObserved } from "../../state/linkArgs";
import { announceOf, nonEmpty, refused, unsetAtDefault, withoutUndefined, type LayoutBuilder, type LinkAt } from "../layoutBuilder";
import { where } from "../../labels";
import { layOutSingleLink } from "./singleLink";

export function layOutVxlan(b: LayoutBuilder, at: LinkAt): void {
  const o = at.link.observed;
  const own = vxlanArgsObserved(o);
  const beyond = o.vxlan?.beyond ?? [];
  if (!own) return b.unmanaged(at);
  const { netns } = at;
  layOutSingleLink(b, at, {
    kind: "vxlan",
    refused: (args) => refused(vxlanArgs, args),
    written() {
      // Moved after it was made: its socket and underlay stay where it was made, which a Vxlan is not.
      if (o.parentNetnsid !== undefined) return "it was made in another namespace and moved here (its socket and underlay stayed there): a Vxlan is made in its own namespace";
      if (beyond.length > 0) return `it has what a Vxlan cannot say (${beyond.join(", ")}): one made from it, at a replace or a boot, would be another tunnel`;
      const notBridge = b.masterNotBridge(netns, at.link);
      if (notBridge !== undefined) return notBridge;
      const { underlay } = own;
      if (underlay !== undefined && !at.ns.links.some((l) => l.observed.name === underlay)) return `its underlay ${underlay} is not in ${where(netns)}`;
      return {
        args: (routes) =>
          withoutUndefined({
            name: o.name,
            netns,
            ...unsetAtDefault(vxlanArgs, own, ["learning", "remotes"]),
            macAddress: o.macAddress,
            mtu: o.mtu,
            txQueueLength: o.txQueueLength,
            addresses: nonEmpty(o.addresses),
            routes,
            up: o.up,
            announce: announceOf(at),
          }),
        add(args, notes, resumes) {
          b.layout.vxlans.push({
            netns,
            name: o.name,
            kind: "vxlan",
            vni: own.vni,
            addresses: o.addresses,
            ...(own.master !== undefined && { master: own.master }),
            ...(underlay !== undefined && { underlay: { netns, name: underlay } }),
            args,
            notes,
            ...(resumes && { resumes }),
          });
        },
      };
    },
  });
}
