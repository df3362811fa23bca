// VethPair: two linked ends, for labs and containers (and as parents of macvlan links in tests).
import * as pulumi from "@pulumi/pulumi";
import { applyDelete, applyPlan, runOn } from "../apply";
import { readBackCommands, type ReadBack } from "../state/readBack";
import { readLinkBatched } from "../state/namespaceLinks";
import { runnerFor } from "../exec/connect";
import { hintFor, Iproute2Error } from "../exec/errors";
import type { VethPairDesired, VethPairState } from "../model";
import { diffVeth, planVethCreate, planVethDelete, planVethUpdate } from "../plan/vethPair";
import { hostLabel } from "../schema/connection";
import { vethPairArgs } from "../schema/vethPair";
import { parseArgs } from "../schema/validate";
import { checkWith, createFailure, diffWith, outputSlots } from "./common";
import { linkFromResults, linkReadBack } from "../state/oneLink";
import { isUnverifiedVeth, parseVethState, unverifiedVethState, vethInputsOf, vethStateOf } from "../state/vethPair";
import type { CommandResult } from "../exec/runner";
import type { ConnectionArgs } from "./connectionArgs";
import { providerShim } from "./shim";
import { warnIfKeyInPlaintext } from "./warnings";

type Props = Record<string, unknown>;

const context = (d: Pick<VethPairDesired, "name" | "netns" | "connection">, verb: string) => ({
  verb,
  object: `VethPair "${d.name}"`,
  netns: d.netns,
  host: hostLabel(d.connection),
});

/** Both ends, with their addresses (a VethPair manages no routes): the end's batch, then the peer's. */
function readBack(d: VethPairDesired): ReadBack {
  const end = linkReadBack(d.netns, d.name, { routes: false });
  const peer = linkReadBack(d.peerNetns, d.peerName, { routes: false });
  return { ...end, extra: readBackCommands(peer) };
}

/** Both ends from readBack's results, or undefined when either is gone. */
function observeBoth(results: CommandResult[], d: VethPairDesired) {
  const end = linkFromResults(results.slice(0, 1), d.name);
  const peer = end && linkFromResults(results.slice(1, 2), d.peerName); // not read when the end is gone
  return end && peer ? vethStateOf(d, end, peer) : undefined;
}

export const vethPairHandlers = {
  check: checkWith(vethPairArgs),
  diff: diffWith(diffVeth),

  async create(inputs: Props) {
    const d = parseArgs(vethPairArgs, inputs);
    const id = d.netns !== undefined ? `${d.netns}/${d.name}` : d.name;
    const results = await applyPlan(runnerFor(d.connection), planVethCreate(d), {
      context: context(d, "create"),
      readBack: readBack(d),
      hint: (kind) =>
        kind === "exists" ? `"${d.name}" or "${d.peerName}" is already taken in its namespace: choose other names` : hintFor(kind, "veth"),
    }).catch((error: unknown) => {
      throw createFailure(error, inputs, context(d, "create"), id, () => unverifiedVethState(d));
    });
    const state = observeBoth(results, d);
    if (!state) throw new Iproute2Error("not-found", context(d, "create"), "the pair vanished right after it was made");
    return { id, outs: state };
  },

  async read(id: string, props: Props) {
    const d = vethInputsOf(parseVethState(props));
    const runner = runnerFor(d.connection);
    const [end, peer] = await Promise.all([readLinkBatched(runner, d.netns, d.name), readLinkBatched(runner, d.peerNetns, d.peerName)]);
    if (!end || !peer) return { id: "", props: {} };
    const state = vethStateOf(d, end, peer);
    return { id, props: state, inputs: vethInputsOf(state) };
  },

  async update(_id: string, olds: Props, news: Props) {
    const d = parseArgs(vethPairArgs, news);
    const runner = runnerFor(d.connection);
    let current: VethPairState | undefined = parseVethState(olds);
    if (isUnverifiedVeth(current)) {
      // A create that was cut off: start from what the host has (maybe nothing).
      const previous = vethInputsOf(current);
      const results = await runOn(runner, readBackCommands(readBack(previous)), context(previous, "read"));
      current = observeBoth(results, previous);
    }
    const results = await applyPlan(runner, current ? planVethUpdate(current, d) : planVethCreate(d), {
      context: context(d, "update"),
      readBack: readBack(d),
      hint: (kind) => hintFor(kind, "veth"),
    });
    const state = observeBoth(results, d);
    if (!state) throw new Iproute2Error("not-found", context(d, "update"), "the pair vanished during the update");
    return { outs: state };
  },

  async delete(_id: string, props: Props) {
    const current = parseVethState(props);
    await applyDelete(runnerFor(current.connection), planVethDelete(current), context(current, "delete"));
  },
};

export interface VethPairArgs {
  /** This end's name. Changing it replaces the pair. */
  name: pulumi.Input<string>;
  peerName: pulumi.Input<string>;
  /** Namespace of this end; the host's by default. */
  netns?: pulumi.Input<string>;
  /** Namespace of the peer; `netns` by default. */
  peerNetns?: pulumi.Input<string>;
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  peerAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Both ends; kernel default when unset. */
  mtu?: pulumi.Input<number>;
  /** Both ends up; default true. */
  up?: pulumi.Input<boolean>;
  connection?: pulumi.Input<ConnectionArgs>;
}

export class VethPair extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly peerName: pulumi.Output<string>;
  declare readonly netns: pulumi.Output<string | undefined>;
  declare readonly peerNetns: pulumi.Output<string | undefined>;
  declare readonly addresses: pulumi.Output<string[]>;
  declare readonly peerAddresses: pulumi.Output<string[]>;
  declare readonly mtu: pulumi.Output<number>;
  declare readonly up: pulumi.Output<boolean>;
  declare readonly macAddress: pulumi.Output<string>;
  declare readonly peerMacAddress: pulumi.Output<string>;
  declare readonly ifindex: pulumi.Output<number>;
  declare readonly peerIfindex: pulumi.Output<number>;

  constructor(name: string, args: VethPairArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = ["macAddress", "peerMacAddress", "ifindex", "peerIfindex", "kernelChosen", "mtu"];
    super(providerShim("VethPair"), name, outputSlots(name, args, outputs), opts, "iproute2", "VethPair");
    warnIfKeyInPlaintext(this, args.connection);
  }
}
