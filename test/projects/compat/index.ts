// Every resource kind this package exports, in one stack, for the state-compatibility test
// (test/e2e/stateCompat.test.ts): a stack made by one version of the package must be refreshed,
// previewed and destroyed by the next with no change. So it sets the arguments whose state an internal
// change could reshape: addresses of both families, a route, a pinned MTU and MAC, source MACs, a
// moved link, and a tap node with its owner, mode and path.
// Every name comes from `namePrefix`; everything lives in the two namespaces the stack makes, on a veth
// pair between them: the host's own interfaces are never a parent.
import * as pulumi from "@pulumi/pulumi";
import * as iproute2 from "pulumi-iproute2";
import { Macvtap, MacvlanLink, NetNamespace, VethPair } from "pulumi-iproute2";

type EchoClass = new (name: string, args: { value: pulumi.Input<string> }) => pulumi.CustomResource & { readonly value: pulumi.Output<string> };
// Echo left the main entry point for "pulumi-iproute2/echo" after f11a272 (docs/resources.md, "Echo"): a user's
// program changes that import on upgrade; what this test holds fixed is the stack's state.
const mainEntry: { Echo?: EchoClass } = iproute2;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry point is not there at f11a272: a static import would fail there
const Echo = mainEntry.Echo ?? (require("pulumi-iproute2/echo") as { Echo: EchoClass }).Echo;

const config = new pulumi.Config();
const prefix = config.require("namePrefix");

const left = new NetNamespace("left", { name: `${prefix}left` });
const right = new NetNamespace("right", { name: `${prefix}right`, loopbackUp: false });

// The parents: a veth pair with one end in each namespace.
const pair = new VethPair("pair", {
  name: "veth0",
  peerName: "veth1",
  netns: left.name,
  peerNetns: right.name,
  addresses: ["10.93.0.1/24"],
  peerAddresses: ["10.93.0.2/24"],
  mtu: 1500,
});

// Made on the left end and moved into the right namespace (`netns` differs from `parentNetns`).
const service = new MacvlanLink("service", {
  name: "svc0",
  parent: pair.name,
  parentNetns: left.name,
  netns: right.name,
  mode: "private",
  addresses: ["10.93.1.1/24", "fd93:0:0:1::1/64"],
  routes: [{ to: "10.93.8.0/24", via: "10.93.1.254" }],
  mtu: 1400,
});

// Source mode on the right end: it takes only frames from the MACs listed.
const sniffer = new MacvlanLink("sniffer", {
  name: "src0",
  parent: pair.peerName,
  parentNetns: right.name,
  mode: "source",
  sourceMacs: ["02:93:00:00:00:01", "02:93:00:00:00:02"],
  macAddress: "02:93:00:00:00:10",
});

const vmNic = new Macvtap("vm-nic", {
  name: "tap0",
  parent: pair.name,
  parentNetns: left.name,
  mode: "bridge",
  tapOwner: "nobody",
  tapMode: "0660",
  tapDevicePath: `/dev/${prefix}tap`,
});

const echo = new Echo("echo", { value: `${prefix}echo` });

export const namespaces = { left: left.name, leftPath: left.path, right: right.name, rightLoopbackUp: right.loopbackUp };
export const veth = {
  ifindex: pair.ifindex,
  macAddress: pair.macAddress,
  peerIfindex: pair.peerIfindex,
  peerMacAddress: pair.peerMacAddress,
  mtu: pair.mtu,
};
export const serviceLink = {
  ifindex: service.ifindex,
  macAddress: service.macAddress,
  netns: service.netns,
  mode: service.mode,
  addresses: service.addresses,
  routes: service.routes,
  kernelChosen: service.kernelChosen,
};
export const snifferLink = { ifindex: sniffer.ifindex, macAddress: sniffer.macAddress, sourceMacs: sniffer.sourceMacs };
export const tap = {
  ifindex: vmNic.ifindex,
  macAddress: vmNic.macAddress,
  tapDevice: vmNic.tapDevice,
  tapDevNumbers: vmNic.tapDevNumbers,
  tapOwner: vmNic.tapOwner,
  tapMode: vmNic.tapMode,
};
export const echoValue = echo.value;
