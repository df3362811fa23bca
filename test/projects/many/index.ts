// Many resources of one kind, for the end-to-end tests and the benchmarks:
// - kind "macvlan" (default): `count` bridge-mode MacvlanLinks on one veth parent. The parent is
//   `veth0` in the existing namespace `parentNetns` when that is set; otherwise a NetNamespace "lab"
//   and a VethPair made by the stack. `withAddresses` gives child i 10.92.x.y/16 (i + 1).
// - kind "echo": `count` no-op Echo resources, the engine floor of the same shape.
// Over SSH when `sshHost` is set (`sshPrivateKey` as a secret, `sshConfigFile`).
import * as pulumi from "@pulumi/pulumi";
import { Echo, MacvlanLink, NetNamespace, VethPair, type ConnectionArgs } from "pulumi-iproute2";
import { z } from "zod";

const config = new pulumi.Config();
const settings = z
  .object({
    kind: z.enum(["macvlan", "echo"]).default("macvlan"),
    count: z.coerce.number().int().min(1).max(1000).default(10),
    withAddresses: z.stringbool().default(false),
    parentNetns: z.string().min(1).optional(),
    sshHost: z.string().min(1).optional(),
    sshConfigFile: z.string().min(1).optional(),
  })
  .parse({
    kind: config.get("kind"),
    count: config.get("count"),
    withAddresses: config.get("withAddresses"),
    parentNetns: config.get("parentNetns"),
    sshHost: config.get("sshHost"),
    sshConfigFile: config.get("sshConfigFile"),
  });

const connection: ConnectionArgs | undefined = settings.sshHost
  ? { type: "ssh", host: settings.sshHost, privateKey: config.getSecret("sshPrivateKey"), sshConfigFile: settings.sshConfigFile }
  : undefined;

if (settings.kind === "echo") {
  for (let i = 0; i < settings.count; i++) new Echo(`e${i}`, { value: `mv${i}` });
} else {
  let parentNetns: pulumi.Input<string>;
  let parent: pulumi.Input<string> = "veth0";
  if (settings.parentNetns) {
    parentNetns = settings.parentNetns;
  } else {
    const lab = new NetNamespace("lab", { connection });
    parentNetns = lab.name;
    parent = new VethPair("parent", { name: "veth0", peerName: "veth1", netns: lab.name, connection }).name;
  }
  for (let i = 0; i < settings.count; i++) {
    new MacvlanLink(`mv${i}`, {
      name: `mv${i}`,
      parent,
      parentNetns,
      addresses: settings.withAddresses ? [`10.92.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}/16`] : [],
      connection,
    });
  }
}
