// Where a host has no systemd, its resources' parts are written and nothing replays them at boot: the
// preview says so once per host, with how to hook the restore program in.
import { runOn } from "../apply";
import type { Runner } from "../exec/runner";
import type { Connection } from "../model";
import { restoreProgramPath } from "../plan/bootFiles";
import { hostLabel } from "../labels";
import { connectionTarget } from "../schema/connection";
import { warnUser } from "./engineLog";

const asked = new Set<string>();
/** A host that does not answer soon (not made yet, say) is not asked again: this is only a notice. */
const probeTimeoutMs = 5_000;

/**
 * Warns, once per host and run, when `args` would be replayed at boot on a host without systemd, asking
 * it through `runnerFor` (the lifecycle's). It never fails: the answer only ever makes a warning.
 */
export async function noticeHostWithoutSystemd(args: { persist?: unknown; connection?: unknown }, runnerFor: (connection: Connection) => Runner): Promise<void> {
  await askHost(args, runnerFor).catch(() => undefined);
}

async function askHost(args: { persist?: unknown; connection?: unknown }, runnerFor: (connection: Connection) => Runner): Promise<void> {
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
  await warnUser(
    `${hostLabel(connection)} has no systemd: its resources' parts of the boot description are written to /etc/pulumi-iproute2, ` +
      `but nothing replays them at boot. Run ${restoreProgramPath} from the host's boot (an /etc/rc.local line, an OpenRC ` +
      `local.d script, or your init's equivalent), after the NICs are up and before the daemons that use these links; ` +
      `or set persist: false.`,
  );
}
