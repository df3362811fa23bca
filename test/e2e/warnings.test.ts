// Arguments that work but expose something get a warning in the preview a reviewer reads, on the
// resource concerned: a key given as a plain string (the state would hold it unencrypted), a tap node
// every local user may open. Previews only: nothing touches a host.
import { afterAll, describe, expect, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { testStack } from "../support/testStack";

const fakeKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
/** The CLI wraps long diagnostics to the terminal's width. */
const asOneLine = (text: string) => text.replace(/\s+/g, " ");
const keyWarning = /warning: connection\.privateKey is a plain string, so the stack's state holds it unencrypted/;

describe("warnings in the preview", () => {
  const stacks: CliStack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.dispose();
  });

  it.each([
    ["warns about a key given as a plain string", "true", true],
    ["says nothing of a key given as a secret", "false", false],
  ])("%s", async (_title, keyAsPlainText, warned) => {
    const s = await testStack("test/projects/many", `warn-key-${keyAsPlainText}`, { count: "1", sshHost: "hv1.example.net", keyAsPlainText });
    stacks.push(s);
    if (keyAsPlainText === "true") await s.setFromStdin("sshPrivateKey", fakeKey);
    else await s.setSecret("sshPrivateKey", fakeKey);
    const preview = await s.ok("preview");
    expect(keyWarning.test(asOneLine(preview.stdout))).toBe(warned);
    expect(preview.stdout).not.toContain("b3BlbnNzaC1rZXktdjEAAAAA");
  });

  it.each([
    ["warns about a tap node every local user may open (0666)", "0666", true],
    ["says nothing of a tap node open to its group (0660)", "0660", false],
  ])("%s", async (_title, tapMode, warned) => {
    const s = await testStack("examples/vm-macvtap", `warn-tap-${tapMode}`, { namePrefix: "never-", tapMode });
    stacks.push(s);
    const preview = await s.ok("preview");
    expect(/warning: tapMode \d+ lets every local user read or write the VM's frames/.test(asOneLine(preview.stdout))).toBe(warned);
  });
});
