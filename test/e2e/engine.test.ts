// The chain every stack runs on: the real Pulumi CLI, the dynamic-provider plugin, and this package
// loaded from node_modules. Echo touches no host, so these need no root.
import { afterAll, describe, expect, it } from "vitest";
import { app, longestProviderText, testStack, type TestStack } from "../support/stack";

describe("engine chain", () => {
  const stacks: TestStack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.dispose();
  });

  it("runs up, preview, refresh and destroy through the Automation API", async () => {
    const { iproute2 } = app();
    let value = "hello";
    const s = await testStack("engine-auto", async () => {
      const echo = new iproute2.Echo("greeting", { value });
      return { length: echo.length };
    });
    stacks.push(s);

    const up = await s.stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges).toMatchObject({ create: 2 });
    expect(up.outputs.length?.value).toBe(5);

    const again = await s.stack.up();
    expect(again.summary.resourceChanges).toEqual({ same: 2 });

    value = "hello, world";
    const preview = await s.stack.preview({ diff: true });
    expect(preview.changeSummary).toMatchObject({ update: 1, same: 1 });
    expect(preview.stdout).toMatch(/value\s*:\s*"hello" => "hello, world"/);

    const refresh = await s.stack.refresh();
    expect(refresh.summary.result).toBe("succeeded");

    const state = await s.exportText();
    expect(state).toContain("pulumi-nodejs:dynamic/iproute2:Echo");
    // The provider text is a shim that loads the package by name: small, whatever the package grows to.
    expect(longestProviderText(state)).toBeGreaterThan(0);
    expect(longestProviderText(state)).toBeLessThan(4096);
    expect(state).toContain('require(\\"pulumi-iproute2/impl\\")');

    const destroy = await s.stack.destroy();
    expect(destroy.summary.resourceChanges).toMatchObject({ delete: 2 });
  });

  it("refreshes and destroys a Pulumi.yaml project with the plain CLI, running the stored provider", async () => {
    const { iproute2 } = app();
    const s = await testStack("engine-cli", async () => {
      new iproute2.Echo("greeting", { value: "from the CLI" });
    });
    stacks.push(s);
    expect((await s.stack.up()).summary.result).toBe("succeeded");

    // refresh and destroy do not run the program: the engine starts the dynamic-provider plugin, which
    // runs the `__provider` text from the state, which loads pulumi-iproute2 from node_modules.
    const refresh = await s.cli("refresh", "--yes", "--skip-preview");
    expect(refresh.exitCode, refresh.stderr).toBe(0);
    expect(refresh.stdout).toContain("pulumi-nodejs:dynamic/iproute2:Echo");

    const exported = await s.cli("stack", "export");
    expect(exported.exitCode).toBe(0);
    expect(longestProviderText(exported.stdout)).toBeGreaterThan(0); // the provider text is there...
    expect(longestProviderText(exported.stdout)).toBeLessThan(4096); // ...and small

    const destroy = await s.cli("destroy", "--yes", "--skip-preview");
    expect(destroy.exitCode, destroy.stderr).toBe(0);
    expect(destroy.stdout).toMatch(/- +(pulumi-nodejs:dynamic\/iproute2:Echo|.*deleted)/);
    const after = await s.cli("stack", "export");
    expect(after.stdout).not.toContain("iproute2:Echo");
  });
});
