// Where a host has no systemd, its resources' parts are written and nothing replays them at boot: the
// preview says so once per host, with how to hook the restore program in.
import * as pulumi from "@pulumi/pulumi";
import { runOn } from "../apply";
import { runnerFor } from "../exec/connect";
import type { Connection } from "../model";
import { restoreProgramPath } from "../plan/bootFiles";
import { connectionTarget, hostLabel } from "../schema/connection";

const asked = new Set<string>();
/** A host that does not answer soon (not made yet, say) is not asked again: this is only a notice. */
const probeTimeoutMs = 5_000;

/**
 * Warns, once per host and run, when `args` would be replayed at boot on a host without systemd. It
 * never fails: the answer only ever makes a warning.
 */
export async function noticeHostWithoutSystemd(args: { persist?: unknown; connection?: unknown }): Promise<void> {
  await askHost(args).catch(() => undefined);
}

async function askHost(args: { persist?: unknown; connection?: unknown }): Promise<void> {
  const connection = args.connection as Connection | undefined;
  if (args.persist !== true || connection === null || typeof connection !== "object") return;
  const key = connectionTarget(connection);
  if (asked.has(key)) return;
  asked.add(key);
  const probe = runOn(runnerFor(connection), [{ argv: ["sh", "-c", "command -v systemctl"] }], { verb: "look for systemd on", object: "the host", host: hostLabel(connection) });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), probeTimeoutMs);
  });
  const result = await Promise.race([probe.then(([r]) => r, () => undefined), timeout]).finally(() => clearTimeout(timer));
  if (result === undefined || result.exitCode === 0) return;
  connectLogToEngine();
  await pulumi.log.warn(
    `${hostLabel(connection)} has no systemd: its resources' parts of the boot description are written to /etc/pulumi-iproute2, ` +
      `but nothing replays them at boot. Run ${restoreProgramPath} from the host's boot (an /etc/rc.local line, an OpenRC ` +
      `local.d script, or your init's equivalent), after the NICs are up and before the daemons that use these links; ` +
      `or set persist: false.`,
  );
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
