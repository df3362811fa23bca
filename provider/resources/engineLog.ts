// Warnings from the dynamic provider's process to the user: the CLI shows them with the operation.
import * as pulumi from "@pulumi/pulumi";

/** Logs `message` as a warning where the CLI shows it (in a program as in the provider's process). */
export async function warnUser(message: string): Promise<void> {
  connectLogToEngine();
  await pulumi.log.warn(message);
}

/**
 * The engine's log, from the dynamic provider's process. The engine starts that process with its
 * address as the first argument, but @pulumi/pulumi does not connect its log to it (pulumi/pulumi#6065):
 * a pulumi.log.warn there goes to the plugin's stderr, which the CLI does not show. So the address is
 * set where @pulumi/pulumi looks for it (its runtime's options, read from PULUMI_NODEJS_ENGINE in a
 * program), once, and only in that process: a program has its own already.
 */
function connectLogToEngine(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the runtime's store, which @pulumi/pulumi keeps internal
  const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { options: { engineAddr?: string } } } };
  const options = state.getStore().settings.options;
  const [script = "", address = ""] = process.argv.slice(1);
  if (options.engineAddr || !/dynamic-provider/.test(script) || !/^[\w.[\]:-]+:\d+$/.test(address)) return;
  options.engineAddr = address;
}
