// A read's failure leaves every handler in the resource's context: whichever reader threw it (state/
// knows no resource), the error names the verb, the object, its namespace and its host. The tables
// here are a namespace's, with a read that fails before it would ask the (scripted) host anything.
import { describe, expect, it } from "vitest";
import { Iproute2Error } from "../../../provider/exec/errors";
import type { NetNamespaceDesired, NetNamespaceState } from "../../../provider/model";
import { defineHandlers, type ResourceLifecycle } from "../../../provider/resources/lifecycle";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { parseArgs } from "../../../provider/schema/validate";
import { ReadError } from "../../../provider/state/readError";
import { ScriptedRunner } from "../../support/scriptedRunner";

const refused = new ReadError("permission", 'reading namespace "lab" failed: Operation not permitted');
const refuse = async (): Promise<never> => {
  throw refused;
};

/** A namespace's tables, as far as these handlers get: each read is refused. */
const tables = {
  noun: "the namespace",
  spec: netNamespaceArgs,
  idOf: (d: NetNamespaceDesired) => d.name,
  parseState: ({ path, ...props }: Record<string, unknown>) => ({ ...parseArgs(netNamespaceArgs, props), path: String(path) }),
  inputsOf: ({ path: _path, ...inputs }: NetNamespaceState) => inputs,
  unverified: { stateOf: (d: NetNamespaceDesired) => ({ ...d, path: "" }), is: (state: NetNamespaceState) => state.path === "" },
  read: refuse,
  existing: refuse,
} as unknown as ResourceLifecycle<NetNamespaceDesired, NetNamespaceState, unknown>;
const handlers = defineHandlers(tables, { runnerFor: () => new ScriptedRunner() });

const inputs = { name: "lab", loopbackUp: true, adopt: false, persist: false, owner: "o1", connection: { type: "local" } };
const state = { ...inputs, path: "/run/netns/lab" };

describe("a read's failure, out of a handler", () => {
  it.each([
    { verb: "read", call: () => handlers.read("lab", state) },
    { verb: "update", call: () => handlers.update("lab", state, { ...inputs, loopbackUp: false }) },
    { verb: "adopt", call: () => handlers.create({ ...inputs, adopt: true }) },
    { verb: "delete", call: () => handlers.delete("lab", state) },
  ])("names the resource: $verb", async ({ verb, call }) => {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Iproute2Error);
    expect(error).toMatchObject({ kind: "permission", cause: refused, context: { verb, object: 'NetNamespace "lab"', host: "localhost" } });
    expect((error as Error).message).toContain(`${verb} NetNamespace "lab" on localhost: reading namespace "lab" failed: Operation not permitted`);
  });
});
