// What a live create (a `pulumi up`) runs beyond its plan, so that a `kill -9` at any instant leaves
// nothing the next create cannot tell as its own (ownerMark.ts). A boot replays the plan as it is
// (plan/bootPart.ts: a boot is not resumed by a create, and its parts' text stays what it was).
//
// - A link: the kernel ignores an alias given to `ip link add`, so its mark is a netlink request of its
//   own, and a kill between the two (one batch, or two when the link goes to another namespace) left a
//   link the next create refused. The add gives it the owner's creation group (the kernel takes a
//   group with the add), and its mark step becomes a claim, which puts the group back to default in the
//   same request.
// - A namespace: `ip netns add` names it the moment it makes it, and the kernel makes its lo, so lo's
//   mark could only come after. It is made nameless (`unshare --net`), lo marked, then named (`ip netns
//   attach NAME PID`): a kill leaves no namespace, a marked one, or (inside ip, as `netns add` can) an
//   empty name file.
import { creationGroup, ownerMark } from "../ownerMark";
import { markStep } from "./linkSteps";
import { isCommandStep, type CommandStep, type IpStep, type Step } from "./steps";
import { vethPeerArgsAt } from "./vethPair";

/** Equivalent to: `ip [-n NETNS] link set dev DEV alias MARK group default`: the mark, the creation group gone. */
export function claimStep(netns: string | undefined, dev: string, owner: string): IpStep {
  return { netns, args: [...markStep(netns, dev, owner).args, "group", "default"] };
}

// $1 the mark, $2 the name. The inner `$$` is ip's own process after its `exec`, in the new namespace.
// An `sh` program, so that with sudo, sudoers still needs only ip, bridge and sh. Where `unshare` or
// `ip netns attach` (iproute2 5.1) is missing, named first and marked after, as before (a failed mark
// takes the namespace back: a failed step's own undo is not run).
const makeNamespace = `
if command -v unshare >/dev/null 2>&1 && ip netns help 2>&1 | grep -q 'netns attach'; then
  exec unshare --net -- sh -c 'ip link set dev lo alias "$1" && exec ip netns attach "$2" "$$"' sh "$1" "$2"
fi
ip netns add "$2" || exit
ip -n "$2" link set dev lo alias "$1" || { status=$?; ip netns del "$2"; exit "$status"; }
`;

/** Equivalent to: `ip netns add NAME` and `ip -n NAME link set dev lo alias MARK`, the namespace named once marked. */
export function makeNamespaceStep(name: string, owner: string): CommandStep {
  return {
    command: { argv: ["sh", "-c", makeNamespace, "sh", ownerMark(owner), name] },
    describe: `make the namespace "${name}" (ip netns attach, its lo marked first)`,
    undo: [{ args: ["netns", "del", name] }],
  };
}

const isLinkAdd = (step: Step): boolean => !isCommandStep(step) && step.args[0] === "link" && step.args[1] === "add";
const sameArgs = (a: string[], b: string[]) => a.length === b.length && a.every((w, i) => w === b[i]);
/** Whether `step` is the mark markStep writes for `owner` on its link (its args name the link after `dev`). */
const isMarkOf = (step: IpStep, owner: string) => step.args[3] !== undefined && sameArgs(step.args, markStep(step.netns, step.args[3], owner).args);

/**
 * `steps`, a create plan, as a live create runs it: a link's `ip link add` with `group G` (a veth's peer
 * too: it takes its own attributes after `type veth peer`) and each of the owner's marks a claim (in a
 * link's create plan, those are the marks of the links it adds); a namespace's `ip netns add` and lo's
 * mark one makeNamespaceStep. A plan without an owner (a state from before marks) is left as it is.
 */
export function liveCreate(steps: Step[], owner: string | undefined): Step[] {
  if (owner === undefined) return steps;
  const [first, second, ...rest] = steps;
  if (first && second && !isCommandStep(first) && first.args[0] === "netns" && first.args[1] === "add" && !isCommandStep(second) && isMarkOf(second, owner)) {
    const name = first.args[2];
    if (name !== undefined && second.netns === name && second.args[3] === "lo") return [makeNamespaceStep(name, owner), ...rest];
  }
  if (!steps.some(isLinkAdd)) return steps;
  const group = ["group", String(creationGroup(owner))];
  return steps.map((step) => {
    if (isCommandStep(step)) return step;
    if (isLinkAdd(step)) {
      const peerAt = vethPeerArgsAt(step.args);
      const args = peerAt !== -1 ? [...step.args.slice(0, peerAt), ...group, ...step.args.slice(peerAt)] : step.args;
      return { ...step, args: [...args.slice(0, 2), ...group, ...args.slice(2)] };
    }
    const dev = step.args[3];
    return dev !== undefined && isMarkOf(step, owner) ? claimStep(step.netns, dev, owner) : step;
  });
}
