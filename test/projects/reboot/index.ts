// Every composition a host's boot description must bring back (docs/reboots.md): namespaces, a veth pair
// as a parent, a pair across two namespaces, macvlan children moved into namespaces (one with its MAC,
// IPv6 and a route), one in source mode left in its parent's namespace, a macvtap whose node belongs to
// an unprivileged user, a vxlan on the veth peer with a flood list, as the port of a bridge, and, where the host has a NIC to
// spare (`nic`), a child of that NIC; and where the test runs a DHCP server (`dhcpLan`, a real guest only),
// a child whose address comes from it, its client under systemd brought back at boot.
import * as pulumi from "@pulumi/pulumi";
import { Bridge, Macvtap, MacvlanLink, NetNamespace, VethPair, Vxlan, type ConnectionArgs } from "pulumi-iproute2";

const config = new pulumi.Config();
const prefix = config.get("namePrefix") ?? "";
const sshHost = config.get("sshHost");
const connection: ConnectionArgs | undefined = sshHost
  ? {
      type: "ssh",
      host: sshHost,
      port: config.getNumber("sshPort"),
      privateKey: config.getSecret("sshPrivateKey"),
      hostKey: config.get("sshHostKey"),
      sshConfigFile: config.get("sshConfigFile"),
    }
  : undefined;
// A NIC of the host's own namespace to hang a child on: only on a host of the test's own (never this
// machine's interfaces).
const nic = config.get("nic");
// A LAN with a DHCP server of the test's own (dnsmasq in namespace `dhs`, on the end dhs0): only where the
// test starts one, since a child with `dhcp` asks for a lease at each up and boot.
const dhcpLan = config.getBoolean("dhcpLan") ?? false;

const lab = new NetNamespace("lab", { name: `${prefix}lab`, connection });
const ns1 = new NetNamespace("ns1", { name: `${prefix}ns1`, connection });
const ns2 = new NetNamespace("ns2", { name: `${prefix}ns2`, connection });

const uplink = new VethPair("uplink", { name: "veth0", peerName: "veth1", netns: lab.name, peerAddresses: ["10.78.0.254/24"], connection });
const cross = new VethPair("cross", {
  name: "x0",
  peerName: "x1",
  netns: ns1.name,
  peerNetns: ns2.name,
  mtu: 1400,
  addresses: ["10.79.0.1/24"],
  peerAddresses: ["10.79.0.2/24"],
  connection,
});
const mac1 = new MacvlanLink("mac1", {
  parent: uplink.name,
  parentNetns: lab.name,
  netns: ns1.name,
  macAddress: "02:78:00:00:00:01",
  addresses: ["10.78.0.1/24", "fd00:78::1/64"],
  routes: [{ to: "10.99.0.0/24", via: "10.78.0.254" }],
  connection,
});
const mac2 = new MacvlanLink("mac2", { parent: uplink.name, parentNetns: lab.name, netns: ns2.name, addresses: ["10.78.0.2/24"], connection });
const source = new MacvlanLink("source", {
  name: "src0",
  parent: uplink.name,
  parentNetns: lab.name,
  mode: "source",
  sourceMacs: ["02:78:00:00:00:aa"],
  connection,
});
const tap = new Macvtap("tap", { name: "vmtap0", parent: uplink.name, parentNetns: lab.name, netns: ns2.name, tapOwner: "nobody", tapMode: "0660", connection });
// Its underlay is the pair's first end and its master the bridge: its part waits for both. In ns1, not
// lab: on the guest's kernel (6.1) a child made from lab into another namespace cannot be given back an
// ifindex a link of lab's holds (docs/reboots.md), and these would hold some.
const bridge = new Bridge("br", { name: "br0", netns: ns1.name, stp: true, forwardDelay: 4, connection });
const tunnel = new Vxlan("vx", { name: "vx0", netns: ns1.name, vni: 78, local: "10.79.0.1", underlay: cross.name, remotes: ["10.79.0.9"], master: bridge.name, connection });
const nicChild = nic !== undefined ? new MacvlanLink("nic-child", { name: "nicm0", parent: nic, netns: ns1.name, addresses: ["10.80.0.1/24"], connection }) : undefined;

// In namespaces of their own, apart from the ones a reboot test compares link by link: the lease
// comes back only once the test has started its server again after the boot.
let dhcpChild: MacvlanLink | undefined;
if (dhcpLan) {
  const server = new NetNamespace("dhcp-server", { name: `${prefix}dhs`, connection });
  const clients = new NetNamespace("dhcp-clients", { name: `${prefix}dhc`, connection });
  const lan = new VethPair("dhcp-lan", { name: "dhs0", netns: server.name, addresses: ["10.96.0.1/24"], peerName: "lan0", peerNetns: clients.name, connection });
  dhcpChild = new MacvlanLink("dhcp-child", { name: "dmac0", parent: lan.peerName, parentNetns: clients.name, macAddress: "02:96:00:00:00:01", dhcp: true, connection });
}

export const namespaces = [lab.name, ns1.name, ns2.name];
export const links = {
  mac1: { ifindex: mac1.ifindex, macAddress: mac1.macAddress },
  mac2: { ifindex: mac2.ifindex, macAddress: mac2.macAddress },
  src0: { ifindex: source.ifindex, macAddress: source.macAddress },
  x0: { ifindex: cross.ifindex, peerIfindex: cross.peerIfindex },
  vmtap0: { ifindex: tap.ifindex, tapDevice: tap.tapDevice, tapDevNumbers: tap.tapDevNumbers },
  vx0: { ifindex: tunnel.ifindex, remotes: tunnel.remotes },
  br0: { ifindex: bridge.ifindex, stp: bridge.stp },
  nicm0: nicChild?.ifindex,
};
export const dhcp = dhcpChild && { ifindex: dhcpChild.ifindex, lease: dhcpChild.dhcpLease };
