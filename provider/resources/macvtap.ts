// Macvtap: a macvlan-kind link (same arguments, modes, rules and adopt as MacvlanLink) whose frames go
// to a character device a VM opens, plus that device's node: made where it is missing, repaired where
// stale, owned and moded as asked, checked on refresh, and removed on delete if this package made it.
import * as pulumi from "@pulumi/pulumi";
import { runOn } from "../apply";
import { runnerFor } from "../exec/connect";
import { classify, Iproute2Error } from "../exec/errors";
import type { Runner } from "../exec/runner";
import type { MacvlanLinkState, MacvtapDesired, MacvtapState, TapNodeObserved } from "../model";
import { diffProperties } from "../plan/diff";
import { macvlanPropertyRules } from "../plan/macvlanLink";
import { accountAs, planTapNode, tapNodePath } from "../plan/tapNode";
import { removeNodeCommand } from "../plan/tapNodeScript";
import { hostLabel } from "../schema/connection";
import { macvtapArgs } from "../schema/macvtap";
import { parseArgs } from "../schema/validate";
import { parseMacvlanState } from "../state/macvlanLink";
import { definedOnly } from "../shape";
import { devNumbersCommand, liveDeviceCommand, nodeStatCommand, parseDevNumbers, parseNodeStat } from "../state/tapNode";
import { createFailure, diffWith, outputSlots } from "./common";
import { macvlanKindHandlers, MacvlanKindResource, macvlanOutputNames, type MacvlanLinkArgs } from "./macvlanLink";
import { providerShim } from "./shim";
import { warnIfKeyInPlaintext, warnIfWorldAccessible } from "./warnings";

type Props = Record<string, unknown>;
type TapOutputs = Pick<MacvtapState, "tapDevice" | "tapDevNumbers" | "tapNodeCreated" | "tapOwner" | "tapGroup" | "tapMode" | "kernelChosen">;

// A create cut off while making the link is kept with no node yet.
const base = macvlanKindHandlers({
  spec: macvtapArgs,
  kind: "macvtap",
  unverifiedExtras: { tapDevice: "", tapDevNumbers: "", tapNodeCreated: false },
});

const context = (d: Pick<MacvtapDesired, "name" | "netns" | "connection">, verb: string) => ({
  verb,
  object: `Macvtap "${d.name}"`,
  netns: d.netns,
  host: hostLabel(d.connection),
});

/** The device's numbers (sysfs) and the node at `path` (stat), in one round trip. */
async function readTap(runner: Runner, link: Pick<MacvlanLinkState, "netns" | "name" | "ifindex" | "connection">, path: string) {
  const results = await runOn(runner, [devNumbersCommand(link.netns, link.name, link.ifindex), nodeStatCommand(path)], context(link, "read"));
  return { devNumbers: parseDevNumbers(results[0]), node: parseNodeStat(results[1], path) };
}

/** Owner and group as the user wrote them (id or name); unset ones as the system has them, by name. */
function tapOutputs(d: MacvtapDesired, link: MacvlanLinkState, devNumbers: string, node: TapNodeObserved | undefined, created: boolean): TapOutputs {
  return definedOnly({
    tapDevice: node?.path ?? tapNodePath(d, link.ifindex),
    tapDevNumbers: devNumbers,
    tapNodeCreated: created,
    tapOwner: node ? accountAs(d.tapOwner, node.uid, node.user) : d.tapOwner,
    tapGroup: node ? accountAs(d.tapGroup, node.gid, node.group) : d.tapGroup,
    tapMode: node?.mode ?? d.tapMode,
    kernelChosen: [...link.kernelChosen, ...(d.tapOwner === undefined ? ["tapOwner" as const] : []), ...(d.tapGroup === undefined ? ["tapGroup" as const] : [])],
  });
}

/**
 * Makes the node right for `link`: there, with the device's numbers, owned and moded as asked. A node
 * with other numbers is stale unless a live device has them (two namespaces can both have a tap5):
 * that is refused, pointing at tapDevicePath. A node this package made at an earlier path is removed.
 */
async function settleNode(runner: Runner, d: MacvtapDesired, link: MacvlanLinkState, previous?: MacvtapState): Promise<TapOutputs> {
  const path = tapNodePath(d, link.ifindex);
  const ctx = context(d, "set up the device node of");
  const { devNumbers, node } = await readTap(runner, link, path);
  if (node && node.devNumbers !== devNumbers) {
    const [live] = await runOn(runner, [liveDeviceCommand(node.devNumbers)], ctx);
    if (live?.exitCode === 0) {
      throw new Iproute2Error(
        "exists",
        ctx,
        `${path} is the node of another live device (${node.devNumbers}; ours is ${devNumbers}): ifindexes are per namespace, so two namespaces can both have tap${link.ifindex}`,
        "Set tapDevicePath to a path of its own",
      );
    }
  }
  const plan = planTapNode(d, path, devNumbers, node, previous?.tapDevice === path && previous.tapNodeCreated);
  const old = previous?.tapNodeCreated && previous.tapDevice !== path ? previous : undefined;
  // The changes, then in the same round trip what they left, and the old node gone if we made it.
  const statAfter = plan.commands.length > 0 ? [nodeStatCommand(path)] : [];
  const removeOld = old ? [removeNodeCommand(old.tapDevice, old.tapDevNumbers)] : [];
  const results = await runOn(runner, [...plan.commands, ...statAfter, ...removeOld], ctx);
  const failed = results.find((r) => r.exitCode !== 0);
  if (failed) throw new Iproute2Error(classify(failed.stderr), ctx, failed.stderr.trim() || `exit code ${failed.exitCode}`);
  const settled = statAfter.length > 0 ? parseNodeStat(results[plan.commands.length], path) : node;
  return tapOutputs(d, link, devNumbers, settled, plan.created);
}

function parseState(props: Props): MacvtapState {
  const link = parseMacvlanState(macvtapArgs, props);
  return {
    ...link,
    tapDevice: String(props.tapDevice ?? ""),
    tapDevNumbers: String(props.tapDevNumbers ?? ""),
    tapNodeCreated: props.tapNodeCreated === true,
  };
}

/** Inputs from a state: the tap outputs go, and so do the arguments left to the system. */
function inputsOf(state: MacvtapState & Props): Props {
  const { tapDevice: _d, tapDevNumbers: _n, tapNodeCreated: _c, ifindex: _i, kernelChosen, ...args } = state;
  return Object.fromEntries(Object.entries(args).filter(([key]) => !(kernelChosen as string[]).includes(key)));
}

export const macvtapHandlers = {
  check: base.check,

  diff: diffWith((olds, news) =>
    diffProperties(
      {
        ...macvlanPropertyRules,
        tapOwner: { kernelChosenWhenUnset: true },
        tapGroup: { kernelChosenWhenUnset: true },
        tapMode: {},
        tapDevicePath: {},
      },
      olds,
      news,
    ),
  ),

  async create(inputs: Props) {
    const d = parseArgs(macvtapArgs, inputs);
    const { id, outs } = await base.create(inputs);
    try {
      return { id, outs: { ...outs, ...(await settleNode(runnerFor(d.connection), d, outs)) } };
    } catch (error) {
      // Cut off while making the node: the link is there, the node maybe. Kept with the node claimed
      // as possibly ours (removal always checks its numbers), so the next up settles it.
      const path = tapNodePath(d, outs.ifindex);
      const unsettledNode = () => ({ ...outs, tapDevice: path, tapDevNumbers: "", tapNodeCreated: true });
      const failure = createFailure(error, inputs, context(d, "create"), id, unsettledNode);
      if (failure === error) await base.delete(id, outs); // a link without its node is no use: take it back
      throw failure;
    }
  },

  async read(id: string, props: Props) {
    const current = parseState(props);
    const result = await base.read(id, props);
    if (result.inputs === undefined) return result; // gone
    const link = parseMacvlanState(macvtapArgs, { ...result.props });
    const d: MacvtapDesired = {
      ...link,
      tapOwner: current.kernelChosen.includes("tapOwner") ? undefined : current.tapOwner,
      tapGroup: current.kernelChosen.includes("tapGroup") ? undefined : current.tapGroup,
    };
    const path = current.tapDevicePath ?? (link.ifindex === current.ifindex ? current.tapDevice : tapNodePath(d, link.ifindex));
    const { devNumbers, node } = await readTap(runnerFor(link.connection), link, path);
    const state = { ...result.props, ...tapOutputs(d, link, devNumbers, node, current.tapNodeCreated && node?.path === current.tapDevice) };
    return { id, props: state, inputs: inputsOf(state as MacvtapState & Props) };
  },

  async update(id: string, olds: Props, news: Props) {
    const previous = parseState(olds);
    const d = parseArgs(macvtapArgs, news);
    const { outs } = await base.update(id, olds, news);
    return { outs: { ...outs, ...(await settleNode(runnerFor(d.connection), d, outs, previous)) } };
  },

  async delete(id: string, props: Props) {
    const current = parseState(props);
    await base.delete(id, props);
    if (!current.tapNodeCreated) return; // devtmpfs or udev made it, and remove it with the device
    const runner = runnerFor(current.connection);
    const ctx = context(current, "delete the device node of");
    const [removal] = await runOn(runner, [removeNodeCommand(current.tapDevice, current.tapDevNumbers)], ctx);
    if (removal && removal.exitCode !== 0) {
      throw new Iproute2Error(classify(removal.stderr), ctx, removal.stderr.trim() || `exit code ${removal.exitCode}`);
    }
  },
};

export interface MacvtapArgs extends MacvlanLinkArgs {
  /** uid or user name of the device node, so an unprivileged QEMU can open it. */
  tapOwner?: pulumi.Input<string | number>;
  /** gid or group name of the device node. */
  tapGroup?: pulumi.Input<string | number>;
  /** Octal mode of the node; default "0600". */
  tapMode?: pulumi.Input<string>;
  /** Where to put the node, if not /dev/tap<ifindex>. */
  tapDevicePath?: pulumi.Input<string>;
}

/** A MacvlanLink's outputs, and its device node's. */
export class Macvtap extends MacvlanKindResource {
  /** The node QEMU opens, e.g. `-netdev tap,id=n0,fd=3 3<>/dev/tap12`. */
  declare readonly tapDevice: pulumi.Output<string>;
  /** "major:minor" of the character device, from /sys/class/net/<name>/macvtap/tap<ifindex>/dev. */
  declare readonly tapDevNumbers: pulumi.Output<string>;
  declare readonly tapOwner: pulumi.Output<string>;
  declare readonly tapGroup: pulumi.Output<string>;
  declare readonly tapMode: pulumi.Output<string>;
  /** Whether this package made the node (and so removes it on delete). */
  declare readonly tapNodeCreated: pulumi.Output<boolean>;

  constructor(name: string, args: MacvtapArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = [...macvlanOutputNames, "tapDevice", "tapDevNumbers", "tapNodeCreated", "tapOwner", "tapGroup", "tapMode"];
    super(providerShim("Macvtap"), name, outputSlots(name, args, outputs), opts, "iproute2", "Macvtap");
    warnIfKeyInPlaintext(this, args.connection);
    warnIfWorldAccessible(this, args.tapMode);
  }
}
