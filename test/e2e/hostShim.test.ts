// The known limit and its fix, as a user would check them: without a shim the host cannot ping its
// own macvlan child; with the shim (the example's default) it can.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { hostShimProgram } from "../../examples/host-shim/program";
import { pings } from "../support/netns";
import { exampleProgram, testStack, type TestStack } from "../support/stack";

const quiet = { onOutput: () => undefined };

describe("a host reaching its own macvlan children", () => {
  const prefix = `${inject("runId")}-shim-`;
  let s: TestStack;
  beforeAll(async () => {
    const { hostShimProgram: program } = exampleProgram<{ hostShimProgram: typeof hostShimProgram }>("host-shim");
    s = await testStack("host-shim", program, { namePrefix: prefix, shim: "false" });
  });
  afterAll(async () => s?.dispose());

  it("cannot without a shim: the host's address on the parent itself", async () => {
    await s.stack.up(quiet);
    expect(await pings(`${prefix}host`, "10.89.0.2")).toBe(false);
  });

  it("can once a bridge-mode shim on the same parent holds the host's address", async () => {
    await s.stack.setConfig("shim", { value: "true" });
    const up = await s.stack.up(quiet);
    expect(up.summary.resourceChanges).toMatchObject({ create: 1, update: 1 });
    expect(await pings(`${prefix}host`, "10.89.0.2")).toBe(true);
    expect(await pings(`${prefix}svc`, "10.89.0.1")).toBe(true);
  });
});
