// What the local OpenSSH client is told when a host key is pinned, by its version.
import { execa } from "execa";

let version: Promise<{ major: number; minor: number } | undefined> | undefined;

/** `ssh -V`'s "OpenSSH_9.2p1 ...", read once per process; undefined when it says something else. */
function opensshVersion(env: Record<string, string>): Promise<{ major: number; minor: number } | undefined> {
  version ??= execa("ssh", ["-V"], { env, extendEnv: false, reject: false, stdin: "ignore", timeout: 5_000 }).then((result) => {
    const found = /OpenSSH_(\d+)\.(\d+)/.exec(`${String(result.stderr)} ${String(result.stdout)}`);
    return found ? { major: Number(found[1]), minor: Number(found[2]) } : undefined;
  });
  return version;
}

/**
 * Options that leave the pinned key the only one that counts, whatever the user's ssh_config says: a
 * KnownHostsCommand would add the keys it prints, and VerifyHostKeyDNS=yes would trust a key found in
 * (DNSSEC-signed) SSHFP records. ssh takes the first value given, and these come before the config.
 * KnownHostsCommand appeared in OpenSSH 8.5; an older ssh stops at it ("Bad configuration option"),
 * and has none to turn off, so it is told only from 8.5 on (and by an ssh that is not plainly
 * OpenSSH, which then fails rather than skip it). CheckHostIP=no: the pin names the host, not its address
 * (the lookup of the address would only add a line to the pinned file).
 */
export async function pinnedKeyOptions(env: Record<string, string>): Promise<string[]> {
  const found = await opensshVersion(env);
  const hasKnownHostsCommand = found === undefined || found.major > 8 || (found.major === 8 && found.minor >= 5);
  return [...(hasKnownHostsCommand ? ["-o", "KnownHostsCommand=none"] : []), "-o", "VerifyHostKeyDNS=no", "-o", "CheckHostIP=no"];
}
