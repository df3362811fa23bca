// The local runner's bound: a command that hangs is stopped, and its operation fails as interrupted,
// naming the command and the host (no root: the command is `sleep`).
import { describe, expect, it } from "vitest";
import { Iproute2Error } from "../../../provider/exec/errors";
import { LocalRunner } from "../../../provider/exec/local";

describe("LocalRunner", () => {
  it("stops a command that does not finish in time, and says so", async () => {
    const runner = new LocalRunner({ type: "local", sudo: false, persist: true }, 300);
    const failure = await runner.run([{ argv: ["sleep", "30"] }]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Iproute2Error);
    expect(failure).toMatchObject({ kind: "interrupted" });
    expect(String(failure)).toMatch(/run "sleep 30" on localhost: it did not finish within 0.3 s and was stopped/);
  });

  it("runs commands in order and stops at the first that fails", async () => {
    const runner = new LocalRunner({ type: "local", sudo: false, persist: true });
    const results = await runner.run([{ argv: ["true"] }, { argv: ["false"] }, { argv: ["echo", "never"] }]);
    expect(results.map((r) => r.exitCode)).toEqual([0, 1]);
  });
});
