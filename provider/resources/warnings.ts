// Warnings the program prints (at preview and up) for arguments that work but expose something: they
// run where the resource is declared, so they name it, before anything reaches a host.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./connectionArgs";

/** A key given as a plain string goes into the stack's state as it is; a Pulumi secret is encrypted. */
export function warnIfKeyInPlaintext(resource: pulumi.Resource, connection: pulumi.Input<ConnectionArgs> | undefined): void {
  if (connection === undefined) return;
  const unwrapped = pulumi.output(connection);
  void pulumi.isSecret(unwrapped).then((secret) => {
    if (secret) return;
    unwrapped.apply((c) => {
      if (c !== undefined && "privateKey" in c && c.privateKey) {
        void pulumi.log.warn(
          "connection.privateKey is a plain string, so the stack's state holds it unencrypted: pass a Pulumi secret (config.requireSecret(...) or pulumi.secret(...))",
          resource,
        );
      }
    });
  });
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
