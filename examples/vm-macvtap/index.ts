// A VM's NIC straight on the LAN (libvirt's <interface type='direct'>): a bridge-mode Macvtap on the
// same parent as a service namespace's macvlan, so the guest and the service talk directly. The stack
// exports what whatever starts the VM needs: the device node to open and the MAC the guest NIC must
// use (frames to any other MAC never reach it). The hypervisor is this machine, or another over SSH.
import * as pulumi from "@pulumi/pulumi";
import { Macvtap, MacvlanLink, NetNamespace, VethPair, type ConnectionArgs } from "pulumi-iproute2";

const config = new pulumi.Config();
const prefix = config.get("namePrefix") ?? "";
// Locally by default; on another machine over SSH when `sshHost` is set (the key as a secret).
const sshHost = config.get("sshHost");
const connection: ConnectionArgs | undefined = sshHost
  ? { type: "ssh", host: sshHost, privateKey: config.getSecret("sshPrivateKey"), sshConfigFile: config.get("sshConfigFile") }
  : undefined;

const lab = new NetNamespace("lab", { name: `${prefix}lab`, connection });
const svc = new NetNamespace("svc", { name: `${prefix}svc`, connection });
// The parent: a veth pair standing in for the host's NIC.
const uplink = new VethPair("uplink", { name: "veth0", peerName: "veth1", netns: lab.name, connection });

new MacvlanLink("service", {
  parent: uplink.name,
  parentNetns: lab.name,
  netns: svc.name,
  mode: "bridge",
  addresses: ["10.88.0.2/24"],
  connection,
});
const vmNic = new Macvtap("vm-nic", {
  name: "vmtap0",
  parent: uplink.name,
  parentNetns: lab.name,
  mode: "bridge",
  // For an unprivileged QEMU: set tapOwner (or tapGroup, with tapMode 0660) to its user.
  tapOwner: config.get("tapOwner"),
  tapGroup: config.get("tapGroup"),
  tapMode: config.get("tapMode"),
  tapDevicePath: config.get("tapDevicePath"),
  connection,
});

export const tapDevice = vmNic.tapDevice;
export const macAddress = vmNic.macAddress;
export const guestAddress = "10.88.0.3/24";
export const serviceAddress = "10.88.0.2";
