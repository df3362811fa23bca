// The known limit and its fix (examples/host-shim), as a user would check them with the plain CLI:
// without a shim the host cannot ping its own macvlan child; with the shim (the default) it can; with a
// bridge holding the host's address, and the child a veth port of it, it can too.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { testStack } from "../support/testStack";
import { listNamespaces, pings } from "../support/netns";

describe("a host reaching its own macvlan children", () => {
  const prefix = `${inject("runId")}-shim-`;
  let s: CliStack;
  beforeAll(async () => {
    s = await testStack("examples/host-shim", "host-shim", { namePrefix: prefix, shim: "false" });
  });
  afterAll(async () => s?.dispose());

  it("cannot without a shim: the host's address on the parent itself", async () => {
    expect(await s.changes("up", "--yes")).toEqual({ create: 5 });
    const outputs = await s.outputs();
    expect(outputs).toEqual({ hostNamespace: `${prefix}host`, childNamespace: `${prefix}svc`, childAddress: "10.89.0.2" });
    expect(await pings(`${prefix}host`, "10.89.0.2")).toBe(false);
  });

  it("can once a bridge-mode shim on the same parent holds the host's address", async () => {
    await s.ok("config", "set", "shim", "true");
    expect(await s.changes("up", "--yes")).toMatchObject({ create: 1, update: 1 });
    expect(await pings(`${prefix}host`, "10.89.0.2")).toBe(true);
    expect(await pings(`${prefix}svc`, "10.89.0.1")).toBe(true);
  });

  it("can with a bridge holding the host's address instead, the child a veth end in it", async () => {
    await s.ok("config", "set", "bridge", "true");
    expect(await s.changes("up", "--yes")).toEqual({ create: 2, delete: 2, same: 4 });
    expect(await pings(`${prefix}host`, "10.89.0.2")).toBe(true);
    expect(await pings(`${prefix}svc`, "10.89.0.1")).toBe(true);
  });

  it("goes away whole", async () => {
    expect(await s.changes("destroy", "--yes")).toEqual({ delete: 6 });
    expect((await listNamespaces()).filter((name) => name.startsWith(prefix))).toEqual([]);
  });
});
