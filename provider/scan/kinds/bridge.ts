// A bridge found by a scan, as a Bridge: its own arguments as adopt takes them (state/linkArgs.ts). Its
// MAC and MTU are left to the kernel, which has them follow the ports (set, they stay put).
import { bridgeArgs } from "../../schema/bridge";
import { bridgeArgsObserved } from "../../state/linkArgs";
import { announceOf, nonEmpty, refused, unsetAtDefault, withoutUndefined, type LayoutBuilder, type LinkAt } from "../layoutBuilder";
import { layOutSingleLink } from "./singleLink";

export function layOutBridge(b: LayoutBuilder, at: LinkAt): void {
  const own = bridgeArgsObserved(at.link.observed);
  if (!own) return b.unmanaged(at);
  const { netns } = at;
  const o = at.link.observed;
  layOutSingleLink(b, at, {
    kind: "bridge",
    refused: (args) => refused(bridgeArgs, args),
    written: () => ({
      args: (routes) =>
        withoutUndefined({
          name: o.name,
          netns,
          ...unsetAtDefault(bridgeArgs, own, ["stp", "forwardDelay", "vlanFiltering"]),
          addresses: nonEmpty(o.addresses),
          routes,
          up: o.up,
          announce: announceOf(at),
        }),
      add(args, notes, resumes) {
        b.layout.bridges.push({ netns, name: o.name, kind: "bridge", addresses: o.addresses, args, notes, ...(resumes && { resumes }) });
      },
    }),
  });
}
