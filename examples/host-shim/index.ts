// The host cannot reach its own macvlan (or macvtap) children through their parent: frames the host
// sends out of the parent leave the box, and the children's frames to the host never come back in.
// The usual fix is a "shim": a macvlan of the host's own on the same parent, in bridge mode, holding
// the host's address, so host and children talk macvlan to macvlan.
//
// Here `host` stands for the machine: it holds the parent (a veth pair in place of the NIC); `svc`
// holds a child (a container, or a VM on a Macvtap). With `shim: false` the host's address sits on
// the parent itself, and the host cannot reach the child; with `shim: true` it sits on the shim.
// With `bridge: true`, the other usual fix (libvirt's bridged networking): the host's address sits on a
// bridge, and the child is a veth pair whose host end is the bridge's port. (On a real host the NIC
// would be a port too, to give the guests the LAN; a NIC that still has macvlan children cannot be one.)
import * as pulumi from "@pulumi/pulumi";
import { Bridge, MacvlanLink, NetNamespace, VethPair } from "pulumi-iproute2";

const config = new pulumi.Config();
const prefix = config.get("namePrefix") ?? "";
const bridge = config.getBoolean("bridge") ?? false;
const shim = !bridge && (config.getBoolean("shim") ?? true);

const host = new NetNamespace("host", { name: `${prefix}host` });
const svc = new NetNamespace("svc", { name: `${prefix}svc` });
const nic = new VethPair("nic", {
  name: "eth0",
  peerName: "wire0",
  netns: host.name,
  addresses: shim || bridge ? [] : ["10.89.0.1/24"],
});
if (bridge) {
  const br0 = new Bridge("br0", { netns: host.name, addresses: ["10.89.0.1/24"] });
  new VethPair("guest", { name: "svc0", netns: host.name, master: br0.name, peerName: "eth0", peerNetns: svc.name, peerAddresses: ["10.89.0.2/24"] });
} else {
  new MacvlanLink("child", { parent: nic.name, parentNetns: host.name, netns: svc.name, mode: "bridge", addresses: ["10.89.0.2/24"] });
}
if (shim) {
  new MacvlanLink("shim", { name: "shim0", parent: nic.name, parentNetns: host.name, mode: "bridge", addresses: ["10.89.0.1/24"] });
}

export const hostNamespace = host.name;
export const childNamespace = svc.name;
export const childAddress = "10.89.0.2";
