// NetNamespace: `ip netns add`, with its loopback up by default (a namespace that cannot ping its own
// address is a classic surprise).
import * as pulumi from "@pulumi/pulumi";
import { applyDelete, applyPlan, runOn } from "../apply";
import { runnerFor } from "../exec/connect";
import { hintFor, Iproute2Error } from "../exec/errors";
import type { Runner } from "../exec/runner";
import type { NetNamespaceDesired, NetNamespaceState } from "../model";
import { diffNetNamespace, planNetNamespaceCreate, planNetNamespaceDelete, planNetNamespaceUpdate } from "../plan/netNamespace";
import { hostLabel } from "../schema/connection";
import { netNamespaceArgs } from "../schema/netNamespace";
import { parseArgs } from "../schema/validate";
import { checkWith, createFailure, diffWith, outputSlots } from "./common";
import { netnsFromResults, netnsReadBack, netnsReadCommands } from "../state/netns";
import type { ConnectionArgs } from "./connectionArgs";
import { providerShim } from "./shim";
import { warnIfKeyInPlaintext } from "./warnings";

type Props = Record<string, unknown>;

const context = (d: Pick<NetNamespaceDesired, "name" | "connection">, verb: string) => ({
  verb,
  object: `NetNamespace "${d.name}"`,
  host: hostLabel(d.connection),
});

const stateOf = (d: NetNamespaceDesired, loopbackUp: boolean): NetNamespaceState => ({
  ...d,
  loopbackUp,
  path: `/run/netns/${d.name}`,
});

const inputsOf = ({ path: _path, ...inputs }: NetNamespaceState): NetNamespaceDesired => inputs;

const parseState = (props: Props): NetNamespaceState => ({
  ...parseArgs(netNamespaceArgs, { name: props.name, loopbackUp: props.loopbackUp, connection: props.connection }),
  path: String(props.path ?? ""),
});

/** A namespace whose create was cut off: what was asked, with no path (it was never observed). */
const unverifiedState = (d: NetNamespaceDesired): NetNamespaceState => ({ ...d, path: "" });

/** What an update starts from: the state, or for an unverified one what the host has (maybe nothing). */
async function startingPoint(runner: Runner, current: NetNamespaceState): Promise<NetNamespaceState | undefined> {
  if (current.path !== "") return current;
  const observed = netnsFromResults(await runOn(runner, netnsReadCommands(current.name), context(current, "read")), current.name);
  return observed ? stateOf(current, observed.loopbackUp) : undefined;
}

export const netNamespaceHandlers = {
  check: checkWith(netNamespaceArgs),
  diff: diffWith(diffNetNamespace),

  async create(inputs: Props) {
    const d = parseArgs(netNamespaceArgs, inputs);
    const results = await applyPlan(runnerFor(d.connection), planNetNamespaceCreate(d), {
      context: context(d, "create"),
      readBack: netnsReadBack(d.name),
      hint: (kind) =>
        kind === "exists"
          ? `A namespace named "${d.name}" already exists: choose another name, or remove it with "ip netns del ${d.name}"`
          : hintFor(kind),
    }).catch((error: unknown) => {
      throw createFailure(error, inputs, context(d, "create"), d.name, () => unverifiedState(d));
    });
    const observed = netnsFromResults(results, d.name);
    if (!observed) throw new Iproute2Error("not-found", context(d, "create"), "the namespace vanished right after it was made");
    return { id: d.name, outs: stateOf(d, observed.loopbackUp) };
  },

  async read(id: string, props: Props) {
    const d = parseState(props);
    const results = await runOn(runnerFor(d.connection), netnsReadCommands(d.name), context(d, "read"));
    const observed = netnsFromResults(results, d.name);
    if (!observed) return { id: "", props: {} };
    const state = stateOf(d, observed.loopbackUp);
    return { id, props: state, inputs: inputsOf(state) };
  },

  async update(_id: string, olds: Props, news: Props) {
    const d = parseArgs(netNamespaceArgs, news);
    const runner = runnerFor(d.connection);
    const current = await startingPoint(runner, parseState(olds));
    const results = await applyPlan(runner, current ? planNetNamespaceUpdate(current, d) : planNetNamespaceCreate(d), {
      context: context(d, "update"),
      readBack: netnsReadBack(d.name),
      hint: (kind) => hintFor(kind),
    });
    const observed = netnsFromResults(results, d.name);
    if (!observed) throw new Iproute2Error("not-found", context(d, "update"), "the namespace vanished during the update");
    return { outs: stateOf(d, observed.loopbackUp) };
  },

  async delete(_id: string, props: Props) {
    const d = parseState(props);
    await applyDelete(runnerFor(d.connection), planNetNamespaceDelete(d), context(d, "delete"));
  },
};

export interface NetNamespaceArgs {
  /** The namespace's name (a file in /run/netns); defaults to the resource name. Changing it replaces. */
  name?: pulumi.Input<string>;
  /** Bring the namespace's `lo` up; default true. */
  loopbackUp?: pulumi.Input<boolean>;
  connection?: pulumi.Input<ConnectionArgs>;
}

export class NetNamespace extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  /** `/run/netns/<name>`, for tools that take a namespace by path. */
  declare readonly path: pulumi.Output<string>;
  declare readonly loopbackUp: pulumi.Output<boolean>;

  constructor(name: string, args: NetNamespaceArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(providerShim("NetNamespace"), name, outputSlots(name, args, ["path"]), opts, "iproute2", "NetNamespace");
    warnIfKeyInPlaintext(this, args.connection);
  }
}
