// The macvlan lab of the tutorial this package grew from: a `lab` namespace holds a veth pair (the
// parent, never a real NIC); `ns1` and `ns2` each get a macvlan child of it, addressed on one /24. In
// bridge mode ns1 and ns2 ping each other and the veth peer; in private mode they cannot.
import * as pulumi from "@pulumi/pulumi";
import { MacvlanLink, NetNamespace, VethPair, type ConnectionArgs, type MacvlanMode } from "pulumi-iproute2";

const config = new pulumi.Config();
// Prefixes every namespace name, so the lab cannot meet namespaces the host already has.
const prefix = config.get("namePrefix") ?? "";
// The modes two children can share: passthru takes the whole parent for one child.
const mode = config.get("mode", { allowedValues: ["bridge", "private", "vepa", "source"] satisfies MacvlanMode[] }) ?? "bridge";
// The parent's name. Renaming it replaces the pair, and the children with it (a new parent).
const uplinkName = config.get("uplinkName") ?? "veth0";
// Locally by default; on another machine over SSH when `sshHost` is set (the key as a secret).
const sshHost = config.get("sshHost");
const connection: ConnectionArgs | undefined = sshHost
  ? { type: "ssh", host: sshHost, privateKey: config.getSecret("sshPrivateKey"), sshConfigFile: config.get("sshConfigFile") }
  : undefined;

const lab = new NetNamespace("lab", { name: `${prefix}lab`, connection });
const ns1 = new NetNamespace("ns1", { name: `${prefix}ns1`, connection });
const ns2 = new NetNamespace("ns2", { name: `${prefix}ns2`, connection });

const uplink = new VethPair("uplink", {
  name: uplinkName,
  peerName: "veth1",
  netns: lab.name,
  peerAddresses: ["10.77.0.254/24"],
  connection,
});
// The MTU is pinned (not left to the kernel) so that one changed by hand shows as drift and is restored.
const mac1 = new MacvlanLink("mac1", {
  mtu: 1500,
  parent: uplink.name,
  parentNetns: lab.name,
  netns: ns1.name,
  mode,
  addresses: ["10.77.0.1/24"],
  connection,
});
const mac2 = new MacvlanLink("mac2", {
  mtu: 1500,
  parent: uplink.name,
  parentNetns: lab.name,
  netns: ns2.name,
  mode,
  addresses: ["10.77.0.2/24"],
  connection,
});

export const namespaces = { lab: lab.name, ns1: ns1.name, ns2: ns2.name };
export const children = {
  mac1: { address: "10.77.0.1", macAddress: mac1.macAddress, ifindex: mac1.ifindex },
  mac2: { address: "10.77.0.2", macAddress: mac2.macAddress, ifindex: mac2.ifindex },
};
export const vethPeer = "10.77.0.254";
