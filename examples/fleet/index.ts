// One stack, many machines: the same layout on every host of a fleet, over SSH. Each host gets a
// namespace with a veth parent and a few bridge-mode macvlan children. All resources of one host share
// one SSH connection; the hosts are worked on in parallel.
//
// Config: `hosts` (a JSON list of addresses or names), `linksPerHost` (default 5), `sshPrivateKey`
// (secret; or leave it out and use your agent), `sshUser`, `sudo`, `sshConfigFile`, `persist` (optional).
import * as pulumi from "@pulumi/pulumi";
import { MacvlanLink, NetNamespace, VethPair, type ConnectionArgs } from "pulumi-iproute2";
import { z } from "zod";

const config = new pulumi.Config();

/** Structured config is JSON someone typed: checked, never cast, and an error names the key. */
function checked<T>(key: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new pulumi.RunError(`config "${key}": ${z.prettifyError(result.error)}`);
  return result.data;
}

// Up to 256 hosts: host h's children are addressed in 10.91.h.0/24.
const hosts = checked("hosts", z.array(z.string().min(1)).min(1).max(256), config.requireObject("hosts"));
const linksPerHost = checked("linksPerHost", z.number().int().min(1).max(250), config.getNumber("linksPerHost") ?? 5);
const privateKey = config.getSecret("sshPrivateKey");
const sshConfigFile = config.get("sshConfigFile");
const user = config.get("sshUser");
// A user other than root runs iproute2 through `sudo -n` (passwordless sudo on the hosts).
const sudo = config.getBoolean("sudo") ?? false;
// Each host brings its layout back at boot (docs/reboots.md); false leaves every host out of it.
const persist = config.getBoolean("persist") ?? true;

export const fleet = hosts.map((host, h) => {
  const connection: ConnectionArgs = { type: "ssh", host, user, privateKey, sshConfigFile, sudo, persist };
  const netns = new NetNamespace(`h${h}-fleet`, { name: "fleet", connection });
  const parent = new VethPair(`h${h}-uplink`, { name: "veth0", peerName: "veth1", netns: netns.name, connection });
  const links = Array.from(
    { length: linksPerHost },
    (_, i) =>
      new MacvlanLink(`h${h}-mv${i}`, {
        name: `mv${i}`,
        parent: parent.name,
        parentNetns: netns.name,
        mode: "bridge",
        addresses: [`10.91.${h}.${i + 1}/16`],
        connection,
      }),
  );
  return { host, macAddresses: links.map((link) => link.macAddress) };
});
