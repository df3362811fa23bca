// The local runner's shells: a command that hangs is stopped, and its operation fails as interrupted,
// naming the command and the host; a program not on PATH is named, as the shell or sudo says it (the
// sudo case runs `sudo -n` as the suite's user, root).
import { describe, expect, it } from "vitest";
import { Iproute2Error } from "../../../provider/exec/errors";
import { LocalRunner } from "../../../provider/exec/local";
import { runOn } from "../../../provider/apply";

describe("LocalRunner", () => {
  it("stops a command that does not finish in time, and says so", async () => {
    const runner = new LocalRunner({ type: "local", sudo: false, persist: true }, { requestTimeoutMs: 300 });
    const failure = await runner.run([{ argv: ["sleep", "30"] }]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Iproute2Error);
    expect(failure).toMatchObject({ kind: "interrupted" });
    expect(String(failure)).toMatch(/run "sleep 30" on localhost: its request did not finish within 0.3 s and was stopped/);
  });

  it("runs commands in order and stops at the first that fails", async () => {
    const runner = new LocalRunner({ type: "local", sudo: false, persist: true });
    const results = await runner.run([{ argv: ["true"] }, { argv: ["false"] }, { argv: ["echo", "never"] }]);
    expect(results.map((r) => r.exitCode)).toEqual([0, 1]);
  });
});

describe("a program not on PATH", () => {
  const context = { verb: "read", object: 'MacvlanLink "mac0"', host: "localhost" };

  it.each([
    { how: "as the user", sudo: false },
    { how: "through sudo", sudo: true },
  ])("is named, $how, with what to install", async ({ sudo }) => {
    const runner = new LocalRunner({ type: "local", sudo, persist: true });
    const failure = await runOn(runner, [{ argv: ["true"] }, { argv: ["pi2-no-such-program", "link"] }], context).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Iproute2Error);
    expect(failure).toMatchObject({ kind: "failed", message: 'read MacvlanLink "mac0" on localhost: the pi2-no-such-program command was not found. Install pi2-no-such-program' });
  });

  it("is not read into a program's own words", async () => {
    const runner = new LocalRunner({ type: "local", sudo: false, persist: true });
    const results = await runOn(runner, [{ argv: ["sh", "-c", "echo 'sh: 1: ip: not found' >&2; exit 127"] }], context);
    expect(results.map((r) => r.exitCode)).toEqual([127]);
  });
});
