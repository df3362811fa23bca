// Two hosts on one L2 segment over a VXLAN overlay, as two hypervisors would join their guests: on each
// host (over SSH), a bridge, a Vxlan on the host's NIC as the bridge's port, and a "guest" namespace on a
// veth whose other end is the bridge's port. Host 0 reaches host 1 by `remote`, host 1 reaches host 0 by
// its flood list (`remotes`), so both ways are used. The guests' MTU is the underlay's less VXLAN's 50.
import * as pulumi from "@pulumi/pulumi";
import { Bridge, NetNamespace, VethPair, Vxlan, type ConnectionArgs } from "pulumi-iproute2";
import { z } from "zod";

const config = new pulumi.Config();

/** Config is text someone typed: checked, never cast, and an error names the key. */
function checked<T>(key: string, schema: z.ZodType<T>): T {
  const result = schema.safeParse(config.get(key));
  if (!result.success) throw new pulumi.RunError(`config "${key}": ${z.prettifyError(result.error)}`);
  return result.data;
}

// The two hosts' addresses on their NIC (`underlay`), which are also where SSH reaches them.
const hosts = checked("hosts", z.string().transform((s) => JSON.parse(s) as unknown).pipe(z.tuple([z.string().min(1), z.string().min(1)])));
const settings = {
  underlay: checked("underlay", z.string().min(1).default("eth0")),
  sshConfigFile: checked("sshConfigFile", z.string().min(1).optional()),
  vni: checked("vni", z.coerce.number().int().default(1000)),
};

export const guests = hosts.map((host, i) => {
  const other = hosts[1 - i] ?? "";
  const connection: ConnectionArgs = { type: "ssh", host, privateKey: config.requireSecret("sshPrivateKey"), sshConfigFile: settings.sshConfigFile };
  const bridge = new Bridge(`br-${i}`, { name: "br-vx", connection });
  const tunnel = new Vxlan(
    `vx-${i}`,
    {
      name: "vx0",
      vni: settings.vni,
      local: host,
      underlay: settings.underlay,
      ...(i === 0 ? { remote: other } : { remotes: [other], learning: false }),
      master: bridge.name,
      connection,
    },
  );
  const guest = new NetNamespace(`guest-${i}`, { name: "guest", connection });
  const port = new VethPair(
    `port-${i}`,
    { name: "gp0", master: bridge.name, peerName: "eth0", peerNetns: guest.name, peerAddresses: [`192.168.77.${i + 1}/24`], mtu: 1450, connection },
  );
  return { host, tunnel: tunnel.name, remotes: tunnel.remotes, guestAddress: port.peerAddresses };
});
