// Arguments that work but expose something get a warning in the preview a reviewer reads, on the
// resource concerned: a key given as a plain string (the state would hold it unencrypted), a tap node
// every local user may open. Previews only: nothing touches a host.
import { afterAll, describe, expect, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { testStack } from "../support/testStack";

const fakeKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const keyWarning = /warning: connection\.privateKey is a plain string, so the stack's state holds it unencrypted/;

describe("warnings in the preview", () => {
  const stacks: CliStack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.dispose();
  });

  it.each([
    ["a plain string", "true", true],
    ["a secret", "false", false],
  ])("for a key given as %s: %s", async (_what, keyAsPlainText, warned) => {
    const s = await testStack("test/projects/many", `warn-key-${keyAsPlainText}`, { count: "1", sshHost: "hv1.example.net", keyAsPlainText });
    stacks.push(s);
    if (keyAsPlainText === "true") await s.ok("config", "set", "sshPrivateKey", fakeKey);
    else await s.setSecret("sshPrivateKey", fakeKey);
    const preview = await s.ok("preview");
    expect(keyWarning.test(preview.stdout)).toBe(warned);
    expect(preview.stdout).not.toContain("b3BlbnNzaC1rZXktdjEAAAAA");
  });

  it.each([
    ["0666", true],
    ["0660", false],
  ])("for a tap node of mode %s: %s", async (tapMode, warned) => {
    const s = await testStack("examples/vm-macvtap", `warn-tap-${tapMode}`, { namePrefix: "never-", tapMode });
    stacks.push(s);
    const preview = await s.ok("preview");
    expect(/warning: tapMode \d+ lets every local user read or write the VM's frames/.test(preview.stdout)).toBe(warned);
  });
});
