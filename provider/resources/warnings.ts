// Warnings the program prints (at preview and up) for arguments that work but expose something: they
// run where the resource is declared, so they name it, before anything reaches a host.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./connectionArgs";

/** A key given as a plain string goes into the stack's state as it is; a Pulumi secret is encrypted. */
export function warnIfKeyInPlaintext(resource: pulumi.Resource, connection: pulumi.Input<ConnectionArgs> | undefined): void {
  if (connection === undefined) return;
  const warn = () =>
    void pulumi.log.warn(
      "connection.privateKey is a plain string, so the stack's state holds it unencrypted: pass a Pulumi secret (config.requireSecret(...) or pulumi.secret(...))",
      resource,
    );
  // The key itself where the connection is a plain object: another field being secret says nothing of it.
  if (!pulumi.Output.isInstance(connection) && !(connection instanceof Promise)) {
    const key = "privateKey" in connection ? connection.privateKey : undefined;
    if (key === undefined) return;
    if (typeof key === "string") return warn();
    void pulumi.isSecret(pulumi.output(key)).then((secret) => (secret ? undefined : pulumi.output(key).apply((k) => (k ? warn() : undefined))), () => undefined);
    return;
  }
  const unwrapped = pulumi.output(connection);
  void pulumi.isSecret(unwrapped).then(
    (secret) => {
      if (secret) return;
      unwrapped.apply((c) => (c !== undefined && "privateKey" in c && c.privateKey ? warn() : undefined));
    },
    () => undefined,
  );
}

/** A tap node that every local user may open hands them the VM's traffic, both ways. */
export function warnIfWorldAccessible(resource: pulumi.Resource, tapMode: pulumi.Input<string> | undefined): void {
  if (tapMode === undefined) return;
  pulumi.output(tapMode).apply((mode) => {
    if (/^0?[0-7]{3,4}$/.test(mode) && (parseInt(mode, 8) & 0o006) !== 0) {
      void pulumi.log.warn(
        `tapMode ${mode} lets every local user read or write the VM's frames through the tap node: give access with tapOwner / tapGroup and a mode like 0660 instead`,
        resource,
      );
    }
  });
}
