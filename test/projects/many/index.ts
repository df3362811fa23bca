// Many resources of one kind, for the end-to-end tests and the benchmarks:
// - kind "macvlan" (default): `count` MacvlanLinks (`mode`, default bridge) on one veth parent: `veth0`
//   in the existing namespace `parentNetns` when that is set; otherwise in a NetNamespace
//   `<namePrefix>lab` and a VethPair made by the stack. `withAddresses` gives child i 10.92.x.y/16.
// - kind "echo": `count` no-op Echo resources, the engine floor of the same shape.
// Over SSH when `sshHost` is set (`sshPrivateKey` as a secret, `sshConfigFile`; `keyAsPlainText` passes
// the key as a plain string, as a careless program would).
import * as pulumi from "@pulumi/pulumi";
import { MacvlanLink, macvlanModes, NetNamespace, VethPair, type ConnectionArgs } from "pulumi-iproute2";
import { Echo } from "pulumi-iproute2/echo";
import { z } from "zod";

const config = new pulumi.Config();

/** Config is text someone typed: checked, never cast, and an error names the key. */
function checked<T>(key: string, schema: z.ZodType<T>): T {
  const result = schema.safeParse(config.get(key));
  if (!result.success) throw new pulumi.RunError(`config "${key}": ${z.prettifyError(result.error)}`);
  return result.data;
}

const settings = {
  kind: checked("kind", z.enum(["macvlan", "echo"]).default("macvlan")),
  count: checked("count", z.coerce.number().int().min(1).max(1000).default(10)),
  mode: checked("mode", z.enum(macvlanModes).default("bridge")),
  withAddresses: checked("withAddresses", z.stringbool().default(false)),
  parentNetns: checked("parentNetns", z.string().min(1).optional()),
  namePrefix: checked("namePrefix", z.string().default("")),
  sshHost: checked("sshHost", z.string().min(1).optional()),
  sshConfigFile: checked("sshConfigFile", z.string().min(1).optional()),
  // Tests only: the key handed over as the plain string a careless program would pass.
  keyAsPlainText: checked("keyAsPlainText", z.stringbool().default(false)),
};

const connection: ConnectionArgs | undefined = settings.sshHost
  ? {
      type: "ssh",
      host: settings.sshHost,
      privateKey: settings.keyAsPlainText ? config.get("sshPrivateKey") : config.getSecret("sshPrivateKey"),
      sshConfigFile: settings.sshConfigFile,
    }
  : undefined;

if (settings.kind === "echo") {
  for (let i = 0; i < settings.count; i++) new Echo(`e${i}`, { value: `mv${i}` });
} else {
  let parentNetns: pulumi.Input<string>;
  let parent: pulumi.Input<string> = "veth0";
  if (settings.parentNetns) {
    parentNetns = settings.parentNetns;
  } else {
    const lab = new NetNamespace("lab", { name: `${settings.namePrefix}lab`, connection });
    parentNetns = lab.name;
    parent = new VethPair("parent", { name: "veth0", peerName: "veth1", netns: lab.name, connection }).name;
  }
  for (let i = 0; i < settings.count; i++) {
    new MacvlanLink(`mv${i}`, {
      name: `mv${i}`,
      parent,
      parentNetns,
      mode: settings.mode,
      addresses: settings.withAddresses ? [`10.92.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}/16`] : [],
      connection,
    });
  }
}
