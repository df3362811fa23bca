// A host reached through a jump host (proxyJump), against two real sshd hosts: the jump hop is
// verified like the target (StrictHostKeyChecking=yes, its known_hosts entry or a pin) and is offered
// the stack's key only. The jump host here also takes passwords, as many do: a key's passphrase sent
// there as a password (what ssh's own -J did, through the inherited askpass) shows in its log.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSshMasters } from "../../provider/exec/ssh";
import { netNamespaceHandlers } from "../../provider/resources/netNamespace";
import { repoRoot } from "../support/engine";
import { asTheEngine } from "../support/engineCalls";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";

let lab: SshHosts;
let jump: SshHost;
let target: SshHost;
beforeAll(async () => {
  lab = await startSshHosts(2, path.join(repoRoot, ".work"), { sshdConfig: (index) => (index === 0 ? ["PasswordAuthentication yes"] : []) });
  [jump, target] = [lab.hosts[0]!, lab.hosts[1]!];
}, 60_000);
afterAll(async () => {
  await closeSshMasters();
  await lab?.stop();
});

const namespaces = asTheEngine(netNamespaceHandlers);
const viaJump = (extra: Record<string, unknown> = {}) => ({
  type: "ssh",
  host: target.address,
  proxyJump: jump.address,
  sshConfigFile: lab.sshConfigFile,
  privateKey: lab.lockedKey.key,
  privateKeyPassphrase: lab.lockedKey.passphrase,
  connectRetries: 0,
  ...extra,
});

describe("proxyJump", () => {
  it("reaches the target through the jump host, which is offered the key and nothing else", async () => {
    const made = await namespaces.create({ name: "via-jump", connection: viaJump() });
    expect(await target.exec("ip", "netns", "list")).toContain("via-jump");
    expect(jump.log()).toMatch(/Accepted publickey for root/);
    expect(jump.log()).not.toMatch(/Failed password|password for root|keyboard-interactive/i);
    expect(await jump.exec("ip", "netns", "list")).toBe(""); // the work was done on the target
    await netNamespaceHandlers.delete(made.id, made.outs);
  });

  it("refuses a jump host whose key does not match its pin, naming it", async () => {
    await closeSshMasters();
    await expect(namespaces.create({ name: "never", connection: viaJump({ proxyJumpHostKey: target.hostKey }) })).rejects.toThrow(
      /the host key of 10\.90\.0\.3 or of the jump host 10\.90\.0\.2 could not be verified/,
    );
    expect(await target.exec("ip", "netns", "list")).toBe("");
  });

  it("reaches the target through a jump host pinned by its key", async () => {
    await closeSshMasters();
    const made = await namespaces.create({ name: "pinned-jump", connection: viaJump({ proxyJumpHostKey: jump.hostKey, hostKey: target.hostKey }) });
    expect(await target.exec("ip", "netns", "list")).toContain("pinned-jump");
    await netNamespaceHandlers.delete(made.id, made.outs);
  });
});
