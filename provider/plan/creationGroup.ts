// A create's links carry the owner's creation group (ownerMark.ts) from their `ip link add` to their
// mark: the kernel ignores an alias given to the add, so the mark is a netlink request of its own, and a
// `kill -9` between the two (one batch, or two when the link goes to another namespace) used to leave a
// link the next create could not tell from a stranger's. The group goes in the add itself; the mark
// step puts it back to `default` in the same request. Only a live create does this: a boot part
// replays the plan as it was (a boot is not resumed by a create), and its text stays what it was.
import { creationGroup, ownerMark } from "../ownerMark";
import { isCommandStep, type IpStep, type Step } from "./steps";
import { vethPeerArgsAt } from "./vethPair";

/** Equivalent to: `ip [-n NETNS] link set dev DEV alias MARK group default`: the mark, the creation group gone. */
export function claimStep(netns: string | undefined, dev: string, owner: string): IpStep {
  return { netns, args: ["link", "set", "dev", dev, "alias", ownerMark(owner), "group", "default"] };
}

const isLinkAdd = (step: Step) => !isCommandStep(step) && step.args[0] === "link" && step.args[1] === "add";

/**
 * `steps` (a link's create plan) with `group G` in its `ip link add` (a veth's peer too: it takes its
 * own attributes after `type veth peer`), and each mark of the owner turned into a claim (claimStep):
 * in a link's create plan, those are the marks of the links it adds. A plan without an owner (a state
 * from before marks), or that adds no link (a namespace's), is left as it is.
 */
export function withCreationGroup(steps: Step[], owner: string | undefined): Step[] {
  if (owner === undefined || !steps.some(isLinkAdd)) return steps;
  const group = ["group", String(creationGroup(owner))];
  const mark = ownerMark(owner);
  return steps.map((step) => {
    if (isCommandStep(step)) return step;
    if (isLinkAdd(step)) {
      const peerAt = vethPeerArgsAt(step.args);
      const args = peerAt !== -1 ? [...step.args.slice(0, peerAt), ...group, ...step.args.slice(peerAt)] : step.args;
      return { ...step, args: [...args.slice(0, 2), ...group, ...args.slice(2)] };
    }
    const [verb, set, dev, name, alias, value, ...rest] = step.args;
    const isMark = verb === "link" && set === "set" && dev === "dev" && name !== undefined && alias === "alias" && value === mark && rest.length === 0;
    return isMark ? claimStep(step.netns, name, owner) : step;
  });
}
