// NetNamespace: `ip netns add` (made nameless and named once marked, in an up: plan/liveCreate.ts),
// with its loopback up by default (a namespace that cannot ping its own address is a classic surprise).
import * as pulumi from "@pulumi/pulumi";
import { runOn } from "../apply";
import { hintFor } from "../exec/errors";
import { bootPartFile, type NetNamespaceDesired, type NetNamespaceObserved, type NetNamespaceState } from "../model";
import { netNamespacePart } from "../plan/bootPart";
import { diffNetNamespace, planNetNamespaceCreate, planNetNamespaceDelete, planNetNamespaceUpdate } from "../plan/netNamespace";
import { netNamespaceArgs } from "../schema/netNamespace";
import { parseArgs } from "../schema/validate";
import { namespaceAsWrittenByEarlierVersions } from "../state/earlierVersions";
import { netnsFromResults, netnsReadBack, netnsReadCommands } from "../state/netns";
import { contextOf, defineHandlers } from "./lifecycle";
import { HostObjectResource, type HostObjectArgs } from "./hostResource";

const stateOf = (d: NetNamespaceDesired, observed: NetNamespaceObserved): NetNamespaceState => ({
  ...d,
  loopbackUp: observed.loopbackUp,
  path: `/run/netns/${d.name}`,
});

export const netNamespaceHandlers = defineHandlers<NetNamespaceDesired, NetNamespaceState, NetNamespaceObserved>({
  noun: "the namespace",
  spec: netNamespaceArgs,
  diff: (olds, news) => diffNetNamespace(namespaceAsWrittenByEarlierVersions(olds), news),
  idOf: (d) => d.name,
  parseState: (stored) => {
    const props = namespaceAsWrittenByEarlierVersions(stored);
    const { name, loopbackUp, adopt, persist, owner, connection } = props;
    return { ...parseArgs(netNamespaceArgs, { name, loopbackUp, adopt, persist, owner, connection }), path: String(props.path ?? "") };
  },
  inputsOf: ({ path: _path, ...inputs }) => inputs,
  plan: { create: planNetNamespaceCreate, update: planNetNamespaceUpdate, delete: planNetNamespaceDelete },
  readBack: (d) => netnsReadBack(d.name),
  observe: (results, d) => netnsFromResults(results, d.name),
  read: async (runner, d, { context }) => netnsFromResults(await runOn(runner, netnsReadCommands(d.name), context), d.name),
  stateOf,
  // A namespace of that name is taken over as it is, then converged (its `lo`). Its mark is its `lo`'s alias.
  async existing(runner, d) {
    const observed = netnsFromResults(await runOn(runner, netnsReadCommands(d.name), contextOf("NetNamespace", d, "read")), d.name);
    return observed && { aliases: [observed.alias], takeOver: async () => stateOf(d, observed) };
  },
  aliases: (observed) => [observed.alias],
  // Cut off while being made: no path, as it was never observed.
  unverified: { stateOf: (d) => ({ ...d, path: "" }), is: (state) => state.path === "" },
  hint: (d, failure, _step, verb) =>
    failure === "exists" && verb === "create"
      ? `A namespace named "${d.name}" already exists: choose another name, set adopt: true to take it over, or remove it with "ip netns del ${d.name}"`
      : hintFor(failure),
  boot: { part: netNamespacePart, pinned: () => [], file: (d) => bootPartFile({ kind: "netns", name: d.name }) },
});

export interface NetNamespaceArgs extends HostObjectArgs {
  /** The namespace's name (a file in /run/netns); defaults to the resource name. Changing it replaces. */
  name?: pulumi.Input<string>;
  /** Bring the namespace's `lo` up; default true. */
  loopbackUp?: pulumi.Input<boolean>;
  /**
   * Take over a namespace of that name that exists already (made by hand or by a script) instead of
   * failing, then bring its `lo` to `loopbackUp`. Destroy removes it, as it would one this made.
   */
  adopt?: pulumi.Input<boolean>;
}

export class NetNamespace extends HostObjectResource {
  /** What the provider runs for this kind (impl.ts derives its map from these): not for programs. */
  static readonly handlers = netNamespaceHandlers;

  declare readonly name: pulumi.Output<string>;
  /** `/run/netns/<name>`, for tools that take a namespace by path. */
  declare readonly path: pulumi.Output<string>;
  declare readonly loopbackUp: pulumi.Output<boolean>;
  /** Whether the host replays it at boot (refresh: whether its part is there as written). */
  declare readonly persist: pulumi.Output<boolean>;
  /** Whose it is: what its `lo` carries as its mark. */
  declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: NetNamespaceArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super("NetNamespace", name, args, ["path", "persist"], opts);
  }
}
