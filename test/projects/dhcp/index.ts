// Children on a LAN with a DHCP server, over SSH: the tutorial's lab, where `ip netns exec ns1 dhclient
// mac1` for a second namespace refuses to start (one PID file for all). Here two macvlan children of
// one name in two namespaces, a second child in the first namespace (with a static address beside its
// lease), and a veth end on the same segment each run a DHCP client of their own.
import * as pulumi from "@pulumi/pulumi";
import { MacvlanLink, NetNamespace, VethPair, type ConnectionArgs } from "pulumi-iproute2";
import { z } from "zod";

const config = new pulumi.Config();

/** Config is text someone typed: checked, never cast, and an error names the key. */
function checked<T>(key: string, schema: z.ZodType<T>): T {
  const result = schema.safeParse(config.get(key));
  if (!result.success) throw new pulumi.RunError(`config "${key}": ${z.prettifyError(result.error)}`);
  return result.data;
}

const host = checked("host", z.string().min(1));
// The LAN: a bridge on the host whose other port leads to the DHCP server.
const lan = checked("lan", z.string().min(1).default("lan0"));
const prefix = checked("namespacePrefix", z.string().min(1).default("dh"));
const connection: ConnectionArgs = { type: "ssh", host, privateKey: config.requireSecret("sshPrivateKey"), sshConfigFile: checked("sshConfigFile", z.string().min(1).optional()) };

const a = new NetNamespace("a", { name: `${prefix}-a`, loopbackUp: true, connection });
const b = new NetNamespace("b", { name: `${prefix}-b`, loopbackUp: true, connection });
const child = (name: string, netns: NetNamespace, extra: { addresses?: string[] } = {}) =>
  new MacvlanLink(`${name}-${netns === a ? "a" : "b"}`, { name, parent: lan, mode: "bridge", netns: netns.name, up: true, dhcp: true, ...extra, connection });

const mac1a = child("mac1", a);
const mac1b = child("mac1", b);
const mac2a = child("mac2", a, { addresses: ["10.95.0.9/24"] });
// A veth end in namespace b on the LAN's bridge; its other end takes its address from DHCP.
const port = new VethPair("port", { name: "dhp0", master: lan, peerName: "eth1", peerNetns: b.name, up: true, peerDhcp: true, connection });

export const leases = {
  mac1a: mac1a.dhcpLease,
  mac1b: mac1b.dhcpLease,
  mac2a: mac2a.dhcpLease,
  eth1b: port.peerDhcpLease,
};
