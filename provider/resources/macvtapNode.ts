// A Macvtap's device node, the part of its lifecycle beyond the link: read (the device's numbers from
// sysfs, the node from stat), planned (plan/tapNode.ts) and applied with its undos like any step, then
// read back. A node with other numbers is stale unless a live device has them (two namespaces can both
// have a tap5): that is refused, pointing at tapDevicePath.
import { applyPlan, runOn } from "../apply";
import { commandFailure, Iproute2Error, type ErrorContext } from "../exec/errors";
import type { CommandResult, Runner } from "../exec/runner";
import { nodeOwnerIds, type MacvlanLinkState, type MacvtapDesired, type MacvtapState, type TapNodeObserved } from "../model";
import { accountAs, planMadeNodeRemoval, planTapNode, tapNodePath } from "../plan/tapNode";
import { definedOnly } from "../shape";
import { devNumbersCommand, nodeStatCommand, parseDevNumbers, parseNodeStat } from "../state/tapNode";
import { contextOf, type DevicePart, type Located } from "./lifecycle";

const context = (d: Located, verb: string) => contextOf("Macvtap", d, verb);

/** The errors that cut a node plan off, and whether that plan made a node (then it may be there, ours). */
const cutWhileMaking = new WeakMap<Error, boolean>();

/** A read's result parsed, or its failure as an error of `ctx` (a sudo refusal named as one). */
function parsed<T>(parse: (result: CommandResult | undefined) => T, result: CommandResult | undefined, ctx: ErrorContext): T {
  try {
    return parse(result);
  } catch (error) {
    throw commandFailure(result, ctx, (error as Error).message, { cause: error });
  }
}

/** The device's numbers (sysfs) and the node at `path` (stat), in one round trip. */
async function readTap(runner: Runner, link: MacvlanLinkState, path: string, ctx: ErrorContext) {
  const results = await runOn(runner, [devNumbersCommand(link.netns, link.name, link.ifindex), nodeStatCommand(path)], ctx);
  return { devNumbers: parsed(parseDevNumbers, results[0], ctx), node: parsed((r) => parseNodeStat(r, path), results[1], ctx) };
}

/** The state with the node's outputs: owner and group as the user wrote them (id or name), unset ones by name. */
function withNode(d: MacvtapDesired, link: MacvtapState, devNumbers: string, node: TapNodeObserved | undefined, created: boolean): MacvtapState {
  return definedOnly({
    ...link,
    tapDevice: node?.path ?? tapNodePath(d, link.ifindex),
    tapDevNumbers: devNumbers,
    tapNodeCreated: created,
    tapNodeOwnerIds: created && node ? nodeOwnerIds(node) : "",
    tapOwner: node ? accountAs(d.tapOwner, node.uid, node.user) : d.tapOwner,
    tapGroup: node ? accountAs(d.tapGroup, node.gid, node.group) : d.tapGroup,
    tapMode: node?.mode ?? d.tapMode,
    kernelChosen: [...link.kernelChosen, ...(d.tapOwner === undefined ? ["tapOwner" as const] : []), ...(d.tapGroup === undefined ? ["tapGroup" as const] : [])],
  });
}

export const tapNodePart: DevicePart<MacvtapDesired, MacvtapState> = {
  async write(runner, d, link, previous) {
    const path = tapNodePath(d, link.ifindex);
    const ctx = context(d, "set up the device node of");
    const { devNumbers, node } = await readTap(runner, link, path, ctx);
    if (node && node.devNumbers !== devNumbers && node.numbersInUse) {
      throw new Iproute2Error(
        "exists",
        ctx,
        `${path} is the node of another live device (${node.devNumbers}; ours is ${devNumbers}): ifindexes are per namespace, so two namespaces can both have tap${link.ifindex}`,
        "Set tapDevicePath to a path of its own",
      );
    }
    const old =
      previous?.tapNodeCreated && previous.tapDevice !== path ? { path: previous.tapDevice, devNumbers: previous.tapDevNumbers, ownerIds: previous.tapNodeOwnerIds } : undefined;
    const plan = planTapNode(d, path, devNumbers, node, previous?.tapDevice === path && previous.tapNodeCreated, old);
    if (plan.steps.length === 0) return withNode(d, link, devNumbers, node, plan.created);
    const [after] = await applyPlan(runner, plan.steps, { context: ctx, readBack: { lines: [], extra: [nodeStatCommand(path)] } }).catch((error: unknown) => {
      if (error instanceof Error) cutWhileMaking.set(error, plan.created);
      throw error;
    });
    return withNode(d, link, devNumbers, parsed((r) => parseNodeStat(r, path), after, ctx), plan.created);
  },

  // Cut off while making the node: the link is there, the node maybe. Kept with the node claimed as
  // possibly ours (removal always checks its numbers), so the next up settles it; a link taken over
  // claims it only when its plan was to make one (a node it had may be someone else's).
  unsettled: (d, link, adopted, cause) => ({
    ...link,
    tapDevice: tapNodePath(d, link.ifindex),
    tapDevNumbers: "",
    tapNodeCreated: !adopted || (cause instanceof Error && cutWhileMaking.get(cause) === true),
    tapNodeOwnerIds: "",
  }),

  async read(runner, link, previous) {
    const d: MacvtapDesired = {
      ...link,
      tapOwner: previous.kernelChosen.includes("tapOwner") ? undefined : previous.tapOwner,
      tapGroup: previous.kernelChosen.includes("tapGroup") ? undefined : previous.tapGroup,
    };
    const path = previous.tapDevicePath ?? (link.ifindex === previous.ifindex ? previous.tapDevice : tapNodePath(d, link.ifindex));
    const { devNumbers, node } = await readTap(runner, link, path, context(link, "read"));
    return withNode(d, link, devNumbers, node, previous.tapNodeCreated && node?.path === previous.tapDevice);
  },

  // A node devtmpfs or udev made goes with the device; one this package made is removed by this.
  removal: planMadeNodeRemoval,
};
