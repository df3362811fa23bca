// One stack, many machines: the same layout on every host of a fleet, over SSH. Each host gets a
// namespace with a veth parent and a few bridge-mode macvlan children. All resources of one host share
// one SSH connection; the hosts are worked on in parallel.
//
// Config: `hosts` (JSON list of addresses or names), `linksPerHost` (default 5), `sshPrivateKey`
// (secret; or leave it out and use your agent), `sshConfigFile` (optional).
import * as pulumi from "@pulumi/pulumi";
import { MacvlanLink, NetNamespace, VethPair, type ConnectionArgs } from "pulumi-iproute2";

export async function fleetProgram() {
  const config = new pulumi.Config();
  const hosts = config.requireObject<string[]>("hosts");
  const linksPerHost = config.getNumber("linksPerHost") ?? 5;
  const privateKey = config.getSecret("sshPrivateKey");
  const sshConfigFile = config.get("sshConfigFile");

  const perHost = hosts.map((host, h) => {
    const connection: ConnectionArgs = { type: "ssh", host, privateKey, sshConfigFile };
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
  return { hosts: perHost };
}
