// The chain every stack runs on, with the plain CLI: `pulumi` and its Node.js language host run a
// TypeScript program (test/projects/many with kind "echo"), the dynamic-provider plugin runs this
// package from the project's node_modules. Echo touches no host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, previewSummary } from "../support/cliStack";
import { testStack } from "../support/testStack";

/** The length of the longest `__provider` text in an exported state. */
function longestProviderText(deployment: string): number {
  const resources = (JSON.parse(deployment) as { deployment?: { resources?: { outputs?: Record<string, unknown> }[] } })
    .deployment?.resources ?? [];
  return Math.max(0, ...resources.map((r) => String(r.outputs?.__provider ?? "").length));
}

describe("engine chain", () => {
  let s: CliStack;
  beforeAll(async () => {
    s = await testStack("test/projects/many", "engine", { kind: "echo", count: "3" });
  });
  afterAll(async () => s?.dispose());

  it("runs a TypeScript program through the language host: up, preview --diff, refresh, destroy", async () => {
    const up = await s.ok("up", "--yes");
    expect(up.stdout).toContain("pulumi-nodejs:dynamic/iproute2:Echo");
    expect((await s.lastUpdate()).resourceChanges).toEqual({ create: 4 });
    // The language host is older than the engine: neither may have printed a warning or an error.
    expect(up.stderr).toBe("");
    expect(up.stdout).not.toMatch(/Diagnostics:|warning:|error:/i);

    await s.ok("config", "set", "count", "4");
    const preview = await s.ok("preview", "--diff");
    expect(previewSummary(preview.stdout)).toEqual({ create: 1, same: 4 });
    expect(preview.stdout).toMatch(/\+\s+pulumi-nodejs:dynamic\/iproute2:Echo: \(create\)[\s\S]*value\s*:\s*"mv3"/);
    await s.ok("config", "set", "count", "3");

    expect(await s.changes("refresh", "--yes")).toEqual({ same: 4 });
    const state = (await s.ok("stack", "export")).stdout;
    // The provider text is a line that loads the package by name: small, whatever the package grows to.
    expect(longestProviderText(state)).toBeGreaterThan(0);
    expect(longestProviderText(state)).toBeLessThan(100);
    expect(state).toContain('require(\\"pulumi-iproute2/impl\\")');

    expect(await s.changes("destroy", "--yes")).toEqual({ delete: 4 });
    expect((await s.ok("stack", "export")).stdout).not.toContain("iproute2:Echo");
  }, 300_000); // eight CLI commands, four of them running the program: more than the default on a loaded machine

  it("stops at invalid config, naming the key", async () => {
    await s.ok("config", "set", "count", "three");
    const preview = await s.pulumi(["preview"]);
    expect(preview.exitCode).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/config "count": .*expected number/s);
    await s.ok("config", "set", "count", "3");
  });
});
