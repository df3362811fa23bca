// A pinned hostKey is the only key that counts, whatever the user's ssh_config says: a KnownHostsCommand
// there that vouches for another key, DNS (VerifyHostKeyDNS), or a HostKeyAlias that sends the lookup
// to a name that command knows, does not let a host whose key differs from the pin in.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSshMasters } from "../../provider/exec/ssh";
import { netNamespaceHandlers } from "../../provider/resources/netNamespace";
import { repoRoot } from "../support/engine";
import { asTheEngine } from "../support/engineCalls";
import { startSshHosts, type SshHosts } from "../support/sshHosts";

let lab: SshHosts;
beforeAll(async () => {
  lab = await startSshHosts(2, path.join(repoRoot, ".work"));
}, 60_000);
afterAll(async () => {
  await closeSshMasters();
  await lab?.stop();
});

/**
 * An ssh_config like the lab's, whose KnownHostsCommand vouches for host 0's real key (as `name`, the
 * host's address unless a HostKeyAlias renames it), with DNS checks on.
 */
function userConfig(file: string, extra: string[] = [], name = lab.hosts[0]!.address): string {
  const dir = path.dirname(lab.sshConfigFile);
  const vouched = path.join(dir, `${file}.vouched`);
  writeFileSync(vouched, `${name} ${lab.hosts[0]!.hostKey}\n`);
  const config = path.join(dir, file);
  const lab_ = readFileSync(lab.sshConfigFile, "utf8").replace(/^ {2}UserKnownHostsFile .*$/m, "  UserKnownHostsFile /dev/null");
  writeFileSync(config, `Host 10.90.*\n  KnownHostsCommand /bin/cat ${vouched}\n  VerifyHostKeyDNS yes\n${extra.map((line) => `  ${line}\n`).join("")}${lab_}`, { mode: 0o600 });
  return config;
}
const namespaces = asTheEngine(netNamespaceHandlers);
const createWith = (name: string, sshConfigFile: string, hostKey: string) =>
  namespaces.create({ name, connection: { type: "ssh", host: lab.hosts[0]!.address, privateKey: lab.clientKey, sshConfigFile, hostKey, connectRetries: 0 } });

describe("a pinned host key", () => {
  it("is the one the host must have, though the user's KnownHostsCommand vouches for another", async () => {
    const config = userConfig("khc_config");
    const wrongPin = lab.hosts[1]!.hostKey; // not host 0's: an impostor's key, as far as the pin knows
    await expect(createWith("vouched", config, wrongPin)).rejects.toThrow(/the host key of 10\.90\.0\.2 could not be verified/);
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toBe("");
    // The same config with the right pin connects: it is the pin that decides.
    const made = await createWith("pinned", config, lab.hosts[0]!.hostKey);
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toMatch(/pinned/);
    await netNamespaceHandlers.delete(made.id, made.outs);
  });

  it("is not bypassed by a HostKeyAlias sending the lookup to a name the user's KnownHostsCommand knows", async () => {
    const config = userConfig("alias_config", ["HostKeyAlias trusted-elsewhere"], "trusted-elsewhere");
    await expect(createWith("aliased", config, lab.hosts[1]!.hostKey)).rejects.toThrow(/could not be verified/);
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toBe("");
  });
});
