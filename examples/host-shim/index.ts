// The host cannot reach its own macvlan (or macvtap) children through their parent: frames the host
// sends out of the parent leave the box, and the children's frames to the host never come back in.
// The usual fix is a "shim": a macvlan of the host's own on the same parent, in bridge mode, holding
// the host's address, so host and children talk macvlan to macvlan.
//
// Here `host` stands for the machine: it holds the parent (a veth pair in place of the NIC); `svc`
// holds a child (a container, or a VM on a Macvtap). With `shim: false` the host's address sits on
// the parent itself, and the host cannot reach the child; with `shim: true` it sits on the shim.
import * as pulumi from "@pulumi/pulumi";
import { MacvlanLink, NetNamespace, VethPair } from "pulumi-iproute2";

const config = new pulumi.Config();
const prefix = config.get("namePrefix") ?? "";
const shim = config.getBoolean("shim") ?? true;

const host = new NetNamespace("host", { name: `${prefix}host` });
const svc = new NetNamespace("svc", { name: `${prefix}svc` });
const nic = new VethPair("nic", {
  name: "eth0",
  peerName: "wire0",
  netns: host.name,
  addresses: shim ? [] : ["10.89.0.1/24"],
});
new MacvlanLink("child", { parent: nic.name, parentNetns: host.name, netns: svc.name, mode: "bridge", addresses: ["10.89.0.2/24"] });
if (shim) {
  new MacvlanLink("shim", { name: "shim0", parent: nic.name, parentNetns: host.name, mode: "bridge", addresses: ["10.89.0.1/24"] });
}

export const hostNamespace = host.name;
export const childNamespace = svc.name;
export const childAddress = "10.89.0.2";
